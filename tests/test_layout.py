"""The house rules, checked over the whole tree: no import loop (module-level or inside functions), no module
importing another's private names, ``eqenvs`` never importing ``agents``, every package saying what it holds, no
module above ~400 lines unless it holds one concern (listed here with it), and the README's layout naming every
module and package that exists."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "eqenvs")
LONG_BUT_ONE_CONCERN = {  # module -> its one concern; any other module stays under LONG lines
    "eqenvs.groups": "the group library (every rotation and translation)",
    "eqenvs.pusht": "EqPushT-v1: its scene and env, one env per module as Gymnasium's",
    "eqenvs.pusht3d": "EqPushT3D-v1: its MuJoCo scene and env",
    "agents.stats": "the statistics of every table",
    "agents.world_models.models": "the four world models behind one protocol",
    "agents.paper.claims": "the paper's claims, row by row",
}
LONG, HARD_LIMIT = 420, 800


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(imported module, imported name or None) for every import anywhere in the module's source."""
    found = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full, None) if full in known else (base, alias.name))
    return [(m, n) for m, n in found if m.split(".")[0] in PACKAGES]


def owner(module: str, known: dict[str, Path]) -> str:
    while module not in known:
        module = module.rpartition(".")[0]
    return module


def test_no_import_loop_and_no_private_import_anywhere():
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    private = []
    for name, path in known.items():
        for module, imported in imports(name, path, known):
            target = owner(module, known)
            if target != name:
                edges[name].add(target)
                if imported is not None and imported.startswith("_") and not imported.startswith("__"):
                    private.append(f"{name} imports {target}.{imported}")
    assert not private, private
    # a depth-first search: an edge back into the current path is a loop
    state: dict[str, int] = {}
    loops = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                loops.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not loops, loops
    assert not [m for m in known if m.startswith("eqenvs") and any(t.startswith("agents") for t in edges[m])]


def test_the_tree_has_teeth_on_a_loop_and_a_private_import(tmp_path, monkeypatch):
    """The checks above fail on a tree that breaks them (a loop through a function-level import, a private)."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text('"""x"""\n')
    (tmp_path / "agents" / "a.py").write_text("def f():\n    from agents.b import g\n")
    (tmp_path / "agents" / "b.py").write_text("from agents.a import f\nfrom agents.a import _hidden\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    try:
        test_no_import_loop_and_no_private_import_anywhere()
    except AssertionError as err:
        assert "_hidden" in str(err)
    else:
        raise AssertionError("a private import went unnoticed")
    (tmp_path / "agents" / "b.py").write_text("from agents.a import f\n")
    try:
        test_no_import_loop_and_no_private_import_anywhere()
    except AssertionError as err:
        assert "agents.a -> agents.b -> agents.a" in str(err)
    else:
        raise AssertionError("an import loop went unnoticed")


def test_every_package_says_what_it_holds_and_long_modules_hold_one_concern():
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        if path.name == "__init__.py":
            assert ast.get_docstring(tree), f"{name}: its __init__ has no docstring saying what the package holds"
        lines = len(path.read_text().splitlines())
        assert lines <= HARD_LIMIT, f"{name}: {lines} lines"
        assert lines <= LONG or name in LONG_BUT_ONE_CONCERN, f"{name}: {lines} lines; split it by concern"


def layout_entries() -> set[str]:
    """The paths the README's layout block names: top-level folders, and under each the modules and folders its
    indented lines mention (``a.py, b.py``, ``nn/``, anywhere on the line)."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    block = layout[layout.index("```") + 3 :]
    block = block[: block.index("```")]
    named, top = set(), ""
    for line in block.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            top = line.split()[0]
            named.add(top)
            continue
        current = top
        for token in re.findall(r"[\w.]+/(?=[\s:,;)]|$)|\w+\.py", line):  # a folder's files follow it on its line
            named.add(current + token if not token.endswith("/") else top + token)
            current = top + token if token.endswith("/") else current
    return named


def test_the_readme_layout_names_every_module_and_package():
    named = layout_entries()
    for path in named:
        if path.startswith(PACKAGES):
            assert (ROOT / path.rstrip("/")).exists(), f"the README's layout names {path}, which does not exist"
    for path in modules().values():
        rel = path.relative_to(ROOT)
        if len(rel.parts) == 2:  # a top-level module of a package: named itself
            assert str(rel) in named or rel.name == "__init__.py", f"the README's layout does not name {rel}"
        else:  # inside a subpackage: the subpackage is named
            assert f"{rel.parts[0]}/{rel.parts[1]}/" in named, f"the README's layout does not name {rel.parent}/"

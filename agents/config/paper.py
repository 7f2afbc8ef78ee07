"""The config of ``python -m agents paper``: the claim groups and the README block it rewrites."""

from __future__ import annotations

from dataclasses import dataclass

from agents.config.common import Workers
from eqenvs.files import check_output_folder, existing_file

PAPER_CLAIMS = ("optimiser", "ood", "closed_loop", "bitter_lesson", "hstep")
"""The claim groups of ``python -m agents paper`` (agents.paper): [A], [B], [C], the bitter lesson, H-step."""
PAPER_BEGIN, PAPER_END = "<!-- paper:begin -->", "<!-- paper:end -->"


@dataclass(frozen=True, kw_only=True)
class PaperConfig(Workers):
    """The paper reproduced: every claim of arXiv 2606.03003's abstract beside the published figure."""

    claims: tuple[str, ...] = ()
    """Claim groups to run (default: all): optimiser, ood, closed_loop, bitter_lesson, hstep."""
    out: str = "runs/paper"
    """Output folder: one subfolder per part (finished parts are reused), paper.json, paper.md, hstep.png."""
    readme: str = ""
    """A markdown file whose block between <!-- paper:begin --> and <!-- paper:end --> gets the table."""

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = [c for c in self.claims if c not in PAPER_CLAIMS]
        if unknown:
            raise ValueError(f"claims: unknown claim {unknown[0]!r}; expected some of {', '.join(PAPER_CLAIMS)}")
        check_output_folder(self.out, "out")
        if self.readme:
            try:
                text = existing_file(self.readme, "readme", "a markdown file").read_text()
            except UnicodeDecodeError:
                raise ValueError(f"readme: {self.readme} is not UTF-8 text (expected a markdown file)") from None
            if (
                text.count(PAPER_BEGIN) != 1
                or text.count(PAPER_END) != 1
                or text.index(PAPER_BEGIN) > text.index(PAPER_END)
            ):
                raise ValueError(f"readme: {self.readme} needs one {PAPER_BEGIN} line followed by one {PAPER_END} line")

    @property
    def selected(self) -> tuple[str, ...]:
        """The claim groups to run, in the table's order."""
        return tuple(c for c in PAPER_CLAIMS if not self.claims or c in self.claims)

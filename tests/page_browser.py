"""A results page opened in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's
chromedriver (no browser is downloaded). ``tests/test_page.py`` uses it; it also measures pages by hand:

    .venv/bin/python tests/page_browser.py runs/story/page/index.html [more pages]

prints, per page, the time from navigation start to the load event (best of three loads), the console's messages,
every URL the page requested, and each video's readyState.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
)  # fmt: skip
"""Headless, and quiet: without the background-networking flags Chromium reaches out on its own at start (and
/dev/shm, small in containers, is not used)."""
INSTALL = ("apt-get install -y chromium chromium-driver (as root; .ci/run does it on CI, and make setup says so "
           "where it is missing)")  # fmt: skip


def binaries() -> tuple[str, str]:
    """The paths of chromium and chromedriver; an AssertionError that says how to install them where either is
    missing (the browser test fails, it does not skip: a page nobody opened is untested)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if path is None]
    assert not missing, f"{' and '.join(missing)} not found: the results page is tested in Chromium; {INSTALL}"
    return chromium, driver


@contextmanager
def browser(width: int = 1600, height: int = 1200):
    """A headless Chromium with a fresh profile, logging the console and the network (Selenium's driver)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise AssertionError(f"selenium is missing ({err}): pip install -e '.[dev]'") from None
    chromium, driver = binaries()
    profile = tempfile.mkdtemp(prefix="eqenvs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    session = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(session: Any, index: Path) -> dict[str, Any]:
    """Load ``index`` from disk; return the load time (navigation start to the load event, ms), the console's
    messages and the URLs requested, every request since the previous load included."""
    session.get_log("performance")  # drop what came before (the browser's own start page)
    session.get_log("browser")
    url = Path(index).resolve().as_uri()
    session.get(url)
    load_ms = session.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;"
    )
    requests = []
    for entry in session.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            requests.append({"url": params["request"]["url"], "document": params.get("documentURL", "")})
    return {"url": url, "load_ms": load_ms, "console": session.get_log("browser"), "requests": requests}


def video_states(session: Any, timeout: float = 20.0) -> list[int]:
    """Every video's readyState, once all reach 2 (HAVE_CURRENT_DATA: a frame to show) or ``timeout`` s pass."""
    script = "return Array.from(document.querySelectorAll('video')).map(v => v.readyState);"
    deadline = time.monotonic() + timeout
    states = session.execute_script(script)
    while any(s < 2 for s in states) and time.monotonic() < deadline:
        time.sleep(0.1)
        states = session.execute_script(script)
    return states


def main(pages: list[str]) -> None:
    with browser() as session:
        for page in pages:
            loads = [open_page(session, Path(page)) for _ in range(3)]
            states = video_states(session)
            first, times = loads[0], ", ".join(format(x["load_ms"], ".0f") for x in loads)
            print(f"{page}: load event {min(x['load_ms'] for x in loads):.0f} ms (best of 3; {times} ms), "
                  f"{len(states)} videos, readyState >= 2: {sum(s >= 2 for s in states)}; console: "
                  f"{first['console'] or 'nothing'}")  # fmt: skip
            mine = [r["url"] for r in first["requests"] if r["document"].startswith("file:")]
            print(f"  {len(mine)} requests from the page, not file: {[u for u in mine if not u.startswith('file:')]}")


if __name__ == "__main__":
    main(sys.argv[1:])

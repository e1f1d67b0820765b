"""The readers' site in a real browser: Debian's Chromium, headless, driven by Playwright.

Serves dist/site (built by `./course site`, or by `./course test` before pytest) with
`python3 -m http.server --bind 127.0.0.1` on a free port, then: the search finds a word, "next"
leads from 00 to 04 and "previous" back, the language switch opens the same page in Chinese
(when dist/site/zh exists), and no request leaves 127.0.0.1. Screenshots (desktop and a 390 px
phone) go to dist/screenshots/. Never `playwright install`: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "dist" / "site"
SHOTS = ROOT / "dist" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; ./course test"
                " installs it unless LABKIT_BROWSER=0)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    """dist/site served on 127.0.0.1 by Python's own http.server, stopped afterwards."""
    chapters = sorted(SITE.glob("[0-9][0-9]*-*.html"))
    if not (SITE / "index.html").is_file() or not chapters:
        pytest.fail("dist/site is not built: run ./course site (./course test builds it)")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                             str(port)], cwd=SITE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("python3 -m http.server did not answer within 20 s")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[object, list[str]]]:
    """(A Chromium context with a fresh profile, the list of requests to other hosts).

    Every request that is not to 127.0.0.1 is aborted and recorded.
    """
    outside: list[str] = []

    def guard(route: object) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        context.route("**/*", guard)
        try:
            yield context, outside
        finally:
            context.close()


def _page(context: object) -> object:
    return context.pages[0] if context.pages else context.new_page()


def _shot(page: object, name: str, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full)


def _chapters() -> list[str]:
    return [path.name for path in sorted(SITE.glob("[0-9][0-9]*-*.html"))]


def test_the_search_finds_whiteout(site_url: str, browser: tuple[object, list[str]]) -> None:
    context, outside = browser
    page = _page(context)
    page.goto(site_url + "index.html")
    page.keyboard.press("Control+k")  # the theme's search dialog
    box = page.locator("input[name='q']:visible").first
    box.fill("whiteout")
    box.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=whiteout"))
    results = page.locator("#search-results li, ul.search li")
    results.first.wait_for(timeout=30_000)
    found = results.count()
    assert found >= 1
    assert "02-overlayfs-and-image-storage.html" in " ".join(
        results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"))
    _shot(page, "site-search-whiteout.png")
    assert outside == []


def test_next_from_00_to_04_and_previous_back(site_url: str,
                                              browser: tuple[object, list[str]]) -> None:
    context, outside = browser
    page = _page(context)
    chapters = _chapters()
    assert chapters[0].startswith("00-") and any(name.startswith("04-") for name in chapters)
    page.goto(site_url + chapters[0])
    seen = [chapters[0]]
    while not seen[-1].startswith("04-"):
        page.locator("a.right-next").click()
        page.wait_for_load_state()
        seen.append(page.url.rsplit("/", 1)[-1].split("#")[0])
        assert len(seen) <= len(chapters), f"next never reached 04: {seen}"
    assert seen == chapters[:len(seen)]
    back = [seen[-1]]
    while back[-1] != chapters[0]:
        page.locator("a.left-prev").click()
        page.wait_for_load_state()
        back.append(page.url.rsplit("/", 1)[-1].split("#")[0])
        assert len(back) <= len(chapters), f"previous never reached 00: {back}"
    assert back == list(reversed(seen))
    assert page.locator(".labkit-engine-line").count() == 1
    assert outside == []


def test_screenshots_desktop_and_phone(site_url: str, browser: tuple[object, list[str]]) -> None:
    context, outside = browser
    page = _page(context)
    chapter = next(name for name in _chapters() if name.startswith("02-"))
    page.goto(site_url + chapter)
    sync_api.expect(page.locator("article h1").first).to_be_visible()
    figure = page.locator("div.cell_output img").first
    figure.scroll_into_view_if_needed()
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "No description" not in (figure.get_attribute("alt") or "No description")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "site-desktop.png")
    page.set_viewport_size(PHONE)
    page.goto(site_url + chapter)
    width = page.evaluate("document.documentElement.scrollWidth")
    _shot(page, "site-phone.png")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone: {width} px"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(site_url + "index.html")
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    _shot(page, "site-dark.png")
    assert outside == []


def test_the_language_switch_opens_the_same_page(site_url: str,
                                                 browser: tuple[object, list[str]]) -> None:
    if not (SITE / "zh" / "index.html").is_file():
        pytest.skip("dist/site/zh is not built (./course site builds it with the translations)")
    context, outside = browser
    page = _page(context)
    chapter = _chapters()[1]
    page.goto(site_url + chapter)
    page.locator("a.labkit-lang-switch").first.click()
    page.wait_for_url(re.compile(rf"/zh/{re.escape(chapter)}$"))
    assert page.locator("html").get_attribute("lang", timeout=5000).startswith("zh")
    _shot(page, "site-zh.png")
    page.locator("a.labkit-lang-switch").first.click()
    page.wait_for_url(re.compile(rf"127\.0\.0\.1:\d+/{re.escape(chapter)}$"))
    assert outside == []

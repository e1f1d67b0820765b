"""JupyterLab in a real browser: Debian's Chromium, headless, driven by Playwright.

The server starts the way `./course lab` starts it (127.0.0.1 only, `--no-browser`, the
environment's settings from jupyter/, which `./course` installs), with a token we set and a
fresh settings, workspace and browser profile. The notebook is a copy in tmp_path, so
JupyterLab's autosave can never rewrite the stored outputs in notebooks/. Screenshots go to dist/.
Never `playwright install`: the browser is /usr/bin/chromium (`./course test` installs it).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic",
                 "--disable-dev-shm-usage"]  # a chroot or container may have a tiny /dev/shm
NEWS_PROMPT = "official Jupyter news"
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; ./course test"
                " installs it unless LABKIT_BROWSER=0)", allow_module_level=True)


@dataclass(frozen=True)
class Server:
    """A running JupyterLab: its base URL with the token, and its log file."""

    url: str
    token: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


def _installed_settings_or_fail() -> None:
    for name, installed in [
            ("overrides.json", Path(sys.prefix, "share", "jupyter", "lab", "settings")),
            ("jupyter_lab_config.json", Path(sys.prefix, "etc", "jupyter"))]:
        wanted = json.loads((ROOT / "jupyter" / name).read_text())
        if not (installed / name).exists() or json.loads((installed / name).read_text()) != wanted:
            pytest.fail(f"{installed / name} is not jupyter/{name}: run ./course test (its"
                        " prepare step installs JupyterLab's settings into the environment)")


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[Server]:
    """JupyterLab serving tmp_path/root, as `./course lab` starts it, stopped afterwards."""
    _installed_settings_or_fail()
    root, home = tmp_path / "root", tmp_path / "jupyter-home"
    root.mkdir()
    token, port = secrets.token_hex(16), _free_port()
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(home / "config"),        # no user's own config
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),  # no user's own settings
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    log = tmp_path / "jupyterlab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.prefix) / "bin" / "jupyter"), "lab", "--allow-root", "--no-browser",
             "--ip", "127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
             f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/api/status?token={token}", proc, log)
        yield Server(url, token, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    """A Chromium page with a fresh profile (headless, no network beyond what we open)."""
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _open(page: object, server: Server, notebook: str) -> None:
    page.goto(f"{server.url}/lab/tree/{notebook}?token={server.token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
    _wait_for_idle_kernel(page, 60)


def _wait_for_idle_kernel(page: object, timeout_s: float) -> None:
    """Wait until the status bar says the python3 kernel is connected and idle."""
    idle = page.get_by_role("button", name=re.compile(r"Python 3 .*\| Idle"))
    idle.first.wait_for(timeout=timeout_s * 1000)


def _run_cells(page: object, count: int) -> None:
    """Run the notebook's first `count` cells with Shift+Enter, from command mode."""
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for _ in range(count):
        page.keyboard.press("Shift+Enter")


def _output_of(page: object, index: int, text: str, timeout_s: float) -> str:
    output = page.locator(".jp-NotebookPanel .jp-Cell").nth(index).locator(".jp-OutputArea")
    sync_api.expect(output).to_contain_text(text, timeout=timeout_s * 1000)
    return output.inner_text()


def _assert_asks_nothing_of_outside_hosts(page: object) -> None:
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert config.get("news", {}).get("disabled") is True, config.get("news")
    page.wait_for_timeout(3000)  # the news question is a toast shown soon after start-up
    assert page.get_by_text(NEWS_PROMPT).count() == 0, "JupyterLab asks about Jupyter news"
    assert page.locator(".jp-toast-message, .Toastify__toast").count() == 0


def _screenshot(page: object, name: str) -> Path:
    target = ROOT / "dist" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    return target


def test_the_harness_runs_a_scratch_notebook(lab_server: Server, page: object,
                                             tmp_path: Path) -> None:
    """Needs no engine: JupyterLab, the python3 kernel and the browser work together."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Scratch"),
        nbformat.v4.new_code_cell('print("hello from the kernel", 6 * 7)')],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(nb, tmp_path / "root" / "scratch.ipynb")
    _open(page, lab_server, "scratch.ipynb")
    _run_cells(page, 2)
    assert "hello from the kernel 42" in _output_of(page, 1, "hello from the kernel", 60)
    _type_and_run(page, "print('typed', 1 + 1)")  # how the 00 test runs lab.cleanup()
    sync_api.expect(page.locator(".jp-OutputArea", has_text="typed 2")).to_have_count(1)
    _assert_asks_nothing_of_outside_hosts(page)
    _screenshot(page, "jupyterlab-scratch.png")


@pytest.mark.engine  # tests/conftest.py skips it, before anything starts, when no engine answers
def test_00_preflight_runs_in_jupyterlab(lab_server: Server, page: object,
                                         tmp_path: Path) -> None:
    """The learner's first steps: open 00-preflight, run its setup and doctor cells."""
    shutil.copy2(ROOT / "notebooks" / "00-preflight.ipynb", tmp_path / "root")
    _open(page, lab_server, "00-preflight.ipynb")
    _run_cells(page, 5)  # title, labkit.start("00"), doctor heading, doctor table, verdict
    try:
        _output_of(page, 1, "Chapter 00 is ready", 300)
        _output_of(page, 4, "The course can run here: True", 120)
        # The test harness stays out of the learner's sight: nbval's markers are cell tags.
        assert page.locator(".jp-Cell").filter(has_text="NBVAL").count() == 0
        _assert_asks_nothing_of_outside_hosts(page)
        _screenshot(page, "jupyterlab-00-preflight.png")
    finally:
        _type_and_run(page, "lab.cleanup()")  # as the notebook's last cell does


def _type_and_run(page: object, code: str) -> None:
    """Insert a cell below the active one (of the copy), type `code`, run it, wait for idle."""
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(1000)
    _wait_for_idle_kernel(page, 120)

"""Real browser: JupyterLab runs the quick start, Voila serves the converter app.

Headless Debian Chromium driven by Python playwright (``executable_path``; never
``playwright install``). Servers run on loopback on free ports, from a temporary copy
of the notebooks (JupyterLab autosaves; the committed notebooks must not change), with
JUPYTER_*/IPYTHONDIR/HARPTAB_HOME in a temporary folder. Every server started here is
stopped by its own process group. The screenshot goes to ``build/screenshots/`` (or
``$HARPTAB_SCREENSHOT_DIR``). A loaded 2-core machine can make a browser run flaky, so
each check gets one retry.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Debian chromium (apt-get install -y chromium; .ci/run does)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("HARPTAB_HOME", "home")):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / sub)
    # no "get Jupyter news?" prompt over the page
    news = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "settings")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("JUPYTER_PATH", None)
    return env


@contextmanager
def _server(cmd: list[str], *, cwd: Path, env: dict, url: str, log: Path,
            timeout: float = 90) -> Iterator[subprocess.Popen]:
    """Start a server in its own process group, wait until ``url`` answers, stop it
    (the whole group: server and its kernels) on exit."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}:\n"
                                   f"{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except urllib.error.HTTPError:
                break  # it answers (a redirect or 403 still means it is up)
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout} s")
            time.sleep(0.5)
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    # kernels started by the server share its process group: make sure none is left
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def _browser(height: int = 900) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": height})
            yield page
        finally:
            browser.close()


def _with_retry(check: Callable[[Path], None], tmp_path: Path) -> None:
    """Run ``check`` in a fresh folder; on failure, once more (flaky loaded machines)."""
    try:
        check(tmp_path / "try1")
    except Exception as first:  # noqa: BLE001 - retried once, then reported
        print(f"browser check failed once, retrying: {type(first).__name__}: {first}")
        check(tmp_path / "try2")


def _screenshot_dir() -> Path:
    d = Path(os.environ.get("HARPTAB_SCREENSHOT_DIR", ROOT / "build" / "screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _quick_start_in_lab(tmp: Path) -> None:
    work = tmp / "nb"
    work.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "01_quick_start.ipynb", work)
    env = _env(tmp)
    port = _free_port()
    cmd = [str(BIN / "jupyter"), "lab", "--allow-root", "--no-browser", f"--port={port}",
           "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={work}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    base = f"http://127.0.0.1:{port}"
    with _server(cmd, cwd=work, env=env, url=f"{base}/api/status", log=tmp / "lab.log"), \
            _browser(height=1500) as page:
        page.goto(f"{base}/lab/tree/01_quick_start.ipynb", timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
        tracker = ".harptab-tracker-widget"
        page.wait_for_selector(tracker, timeout=120_000)
        # the live widget ends with seven checks and 100% (saved outputs have no widget)
        page.wait_for_function(
            """() => {
                const w = document.querySelector('.harptab-tracker-widget');
                if (!w) return false;
                const s = [...w.querySelectorAll('tr.harptab-step td.harptab-symbol')];
                const p = w.querySelector('.harptab-percent');
                return s.length === 7 && s.every(td => td.textContent === '✓')
                    && p && p.textContent === '100%';
            }""", timeout=180_000)
        # all cells ran
        page.wait_for_function(
            """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                  .every(p => /\\[\\d+\\]/.test(p.textContent))""", timeout=180_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)
        symbols = page.locator(f"{tracker} tr.harptab-step td.harptab-symbol")
        assert symbols.all_text_contents() == ["✓"] * 7
        assert page.locator(f"{tracker} .harptab-percent").text_content() == "100%"
        table = page.locator(".harptab-tab-table").first
        table.scroll_into_view_if_needed()
        assert table.is_visible()
        # the range plot: the image output of the cell calling plot_range
        plot_cell = page.locator(".jp-CodeCell", has_text="plot_range(result")
        img = plot_cell.locator(".jp-OutputArea-output img").first
        img.scroll_into_view_if_needed()
        assert img.is_visible()
        assert img.evaluate("i => i.naturalWidth") > 300
        summary = page.locator(".harptab-summary[data-state='completed']").first
        summary.scroll_into_view_if_needed()
        assert summary.is_visible()
        # screenshot: the first cell (tracker and the first results)
        first = page.locator(".jp-CodeCell").first
        first.scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('.jp-CodeCell').scrollIntoView()")
        box = first.bounding_box()
        shot = _screenshot_dir() / "quick_start_lab.png"
        page.screenshot(path=str(shot), clip={"x": box["x"], "y": max(box["y"], 0),
                                              "width": min(box["width"], 1000),
                                              "height": 1400})
        assert shot.stat().st_size > 10_000
        _shrink_png(shot)


def _shrink_png(path: Path, colours: int = 64) -> None:
    """Palette PNG: a README-sized screenshot (text and flat colours survive)."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colours)
    small.save(path, optimize=True)


def _converter_app_in_voila(tmp: Path) -> None:
    work = tmp / "nb"
    work.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "04_converter_app.ipynb", work)
    env = _env(tmp)
    port = _free_port()
    cmd = [str(BIN / "voila"), "04_converter_app.ipynb", "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    base = f"http://127.0.0.1:{port}"
    with _server(cmd, cwd=work, env=env, url=f"{base}/voila/templates/lab/static/voila.js",
                 log=tmp / "voila.log", timeout=90), _browser() as page:
        page.goto(base, timeout=180_000)
        page.wait_for_selector(".harptab-converter-app", timeout=180_000)
        button = page.locator(".harptab-converter-app button", has_text="Convert")
        button.wait_for(timeout=60_000)
        button.click()
        link = page.locator(".harptab-downloads a.harptab-download.harptab-pdf")
        link.wait_for(timeout=180_000)
        assert link.get_attribute("href").startswith("data:application/pdf;base64,")
        assert page.locator(".harptab-downloads a.harptab-musicxml").count() == 1
        symbols = page.locator(".harptab-converter-app tr.harptab-step td.harptab-symbol")
        assert symbols.all_text_contents() == ["✓"] * 7
        page.screenshot(path=str(_screenshot_dir() / "converter_app_voila.png"))


def test_quick_start_runs_in_jupyterlab(tmp_path):
    _with_retry(_quick_start_in_lab, tmp_path)


def test_converter_app_in_voila(tmp_path):
    _with_retry(_converter_app_in_voila, tmp_path)

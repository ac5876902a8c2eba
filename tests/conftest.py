"""Shared fixtures: the repository root, and for ``@pytest.mark.browser`` tests a live server
and Debian's Chromium under pytest-playwright.

The browser tests need ``/usr/bin/chromium`` (``.ci/run`` installs it). Without it they fail
with a message saying so; they are never skipped. Never run ``playwright install``.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the repository: app.py lives here
sys.path.insert(0, str(ROOT / "deploy"))
import launch  # noqa: E402  (deploy/ is a folder of scripts: it starts, checks and stops app servers)
from launch import stop  # noqa: E402,F401  (the tests stop the servers they start the same way)

APP = ROOT / "app.py"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots and the server log; git-ignored
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SERVER_START_TIMEOUT = 60.0


def free_port() -> int:
    return launch.free_ports(1)[0]


def start_streamlit(script: Path, port: int, log_path: Path, cwd: Path) -> subprocess.Popen:
    """``streamlit run`` in its own process group, output to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = SERVER_START_TIMEOUT) -> float:
    """Poll ``/_stcore/health`` until it answers ``ok`` (the deploy launcher's check); return the seconds it took.
    A server that dies or never answers fails with its log."""
    t0 = time.perf_counter()
    try:
        launch.wait_healthy(f"http://127.0.0.1:{port}", proc, "streamlit", timeout)
    except RuntimeError as error:
        raise RuntimeError(f"{error}:\n{log_path.read_text()}") from None
    return time.perf_counter() - t0


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_server(artifacts):
    """The real app, served by ``streamlit run`` from the repository root for the whole session.

    Yields ``(url, log_path)``; the log lets tests check that the server printed no traceback.
    """
    port = free_port()
    log_path = artifacts / "streamlit-server.log"
    proc = start_streamlit(APP, port, log_path, cwd=ROOT)
    try:
        wait_healthy(proc, port, log_path)
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium instead of Playwright's own download (which cannot be fetched here)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                    "(`apt-get install -y chromium`, which .ci/run does). Do not run `playwright install`.",
                    pytrace=False)
    args = list(browser_type_launch_args.get("args", [])) + CHROMIUM_ARGS
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A window tall enough to show the race map and its Play bar without scrolling."""
    return {**browser_context_args, "viewport": {"width": 1440, "height": 1100}}

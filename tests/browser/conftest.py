"""Browser tests: a live daphne server in a forked process, driven by Debian's Chromium through Playwright.

Playwright's async API runs inside the test's own event loop, so browser tests share one pytest
process with the consumer tests. Chromium comes from CHROMIUM_PATH or the PATH; without it the
tests skip, unless REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.
"""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def prepare_forked_server():
    """Runs in the forked server process before it serves.

    The child inherits asgiref's single-thread executor without its thread, and every database
    call would hang on it: give the child an executor of its own.
    """
    from asgiref.sync import SyncToAsync

    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    set_database_connection()


class LiveServer:
    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}"


def start_daphne(host="localhost"):
    process = DaphneProcess(
        host,
        partial(make_application, static_wrapper=ASGIStaticFilesHandler),
        setup=prepare_forked_server,
    )
    process.start()
    while not process.ready.wait(timeout=1):
        if not process.is_alive():
            raise RuntimeError("The live daphne server stopped before it was ready")
    return process


@pytest.fixture
def live_site(transactional_db, settings):
    """A daphne server on localhost (a secure context, so crypto.randomUUID exists) for one test."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    process = start_daphne()
    try:
        yield LiveServer("localhost", process.port.value)
    finally:
        process.terminate()
        process.join(timeout=10)


@pytest.fixture
async def browser():
    path = chromium_path()
    if not path:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no Chromium found (set CHROMIUM_PATH or apt-get install chromium)")
        pytest.skip("Chromium not found: set CHROMIUM_PATH or apt-get install chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def screenshot_dir():
    """Where a test may leave screenshots for a person to look at (not committed)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "var", "screenshots")
    os.makedirs(path, exist_ok=True)
    return path

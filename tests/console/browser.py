"""Real-browser fixtures: the test app served on a free port, and a headless Chromium driving it.

`live_server` serves the test's own app (the same database and Redis as the test) from a thread;
`browser` is Debian's chromium through chromedriver (Selenium), cookies cleared for each test.
Without /usr/bin/chromium and /usr/bin/chromedriver (`apt-get install chromium chromium-driver`,
which .ci/run does when it can), the browser tests skip and say so. Screenshots go to
test-artifacts/console/ (gitignored).
"""

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
VENDOR = ROOT / "app" / "console" / "static" / "vendor" / ".installed"


def _executable(path: str) -> str | None:
    """Return `path` if it is an executable file, else the same name found on PATH, else None."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return shutil.which(os.path.basename(path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app answering real HTTP on 127.0.0.1:<free port> from a thread."""

    def __init__(self, app):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop answering and free the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """Serve this test's app over HTTP (stopped before the tables are emptied)."""
    server = LiveServer(app)
    yield server
    server.stop()
    # What the browser's requests wrote is visible to the test's own session from here on.
    db.session.commit()


@pytest.fixture(scope="session")
def chromium():
    """Start one headless Chromium for the run, or skip saying what is missing."""
    binary, driver_path = _executable(CHROMIUM), _executable(CHROMEDRIVER)
    if binary is None or driver_path is None:
        pytest.skip(
            f"browser tests need Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver (.ci/run installs them when it runs as root)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except Exception as error:  # noqa: BLE001  (any failure to start means: no browser here)
        pytest.skip(f"browser tests: Chromium did not start ({error.__class__.__name__}: {error})")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, live_server, backend):
    """Return the browser, its cookies cleared, with helpers: .go(path), .shot(name), .server."""
    # Every site's cookies (the WebDriver call would clear only the open page's).
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    chromium.server = live_server
    chromium.go = lambda path: chromium.get(live_server.url + path)

    def shot(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}-{backend}.png"
        chromium.save_screenshot(str(path))
        return path

    chromium.shot = shot
    yield chromium
    # Leave no page polling the server that is about to stop.
    chromium.get("about:blank")
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})


def require_vendor() -> None:
    """Skip a test that needs the vendored JS (charts, htmx) when `make` has not built it."""
    if not VENDOR.exists():
        pytest.skip("the console's vendored JS is not built: run `make test` (or scripts/vendor-assets.sh)")

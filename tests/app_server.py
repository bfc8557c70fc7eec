"""The app under test in a real browser: `streamlit run app.py` in a subprocess on a free local
port, the Chromium that drives it (Debian's; Playwright cannot download browsers here), and what
the browser tests need to find their way round its pages."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.places import REPO
from ui.page import LESSON_PAGES

SERVER_START_SECONDS = 60
SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
PAGE_MS = 60_000  # a page's first run may read the dataset
TRAINING_MS = 240_000  # a short training in a fresh server, TensorFlow start included
EXCEPTION = '[data-testid="stException"]'
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out, and this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class AppServer:
    """The app on 127.0.0.1:port with its own run store (a SQLite file in `folder`, unless the
    environment names one); `start`, `kill` (as a crash would) and `stop`, as often as needed.
    `app_dir` is the checkout it runs (another one to compare with, say)."""

    def __init__(self, folder: Path, env: dict | None = None, port: int | None = None, *,
                 preexec_fn=None, app_dir: Path = REPO):
        self.folder, self.port, self.preexec_fn = folder, port or free_port(), preexec_fn
        self.app_dir = app_dir
        self.url, self.log = f"http://127.0.0.1:{self.port}", folder / "server.log"
        self.env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
                    "FMNIST_DATABASE_URL": f"sqlite:///{folder / 'runs.sqlite3'}", **(env or {})}
        self.database_url = self.env["FMNIST_DATABASE_URL"]
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = SERVER_START_SECONDS) -> "AppServer":
        """Starts the server and waits until it is healthy (at most `seconds`)."""
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
                 "--server.address", "127.0.0.1", "--server.headless", "true"],
                cwd=self.app_dir, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + seconds
        while not healthy(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not come up on {self.url}:\n{self.log.read_text()}")
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """kill -9: no clean-up, no last writes, as when a server crashes or loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- Finding one's way round the pages ---------------------------------------------------


def url_path(page_file: str) -> str:
    """The address Streamlit gave a page file by its name, before the app listed its pages itself
    (pages/2_Build_and_train.py -> Build_and_train; the home page ""): the links people have."""
    name = Path(page_file).stem
    return "" if name == "0_Home" else re.sub(r"^\d+_", "", name)


# Every page, by URL path, with its title; and those in the menu.
TITLES = {url_path(page.file): page.title for page in LESSON_PAGES.values()}
IN_MENU = {url_path(page.file) for page in LESSON_PAGES.values() if page.in_menu}


def screenshot(page, name: str) -> Path:
    """The whole page, not just the viewport: Streamlit scrolls inside its main section, so the
    viewport is made as tall as the page (at its own width) for the picture, then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # settle: Plotly draws its charts just after they arrive
    viewport = page.viewport_size
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": viewport["width"],
                            "height": max(viewport["height"], min(height, 12_000))})
    page.wait_for_timeout(300)  # and redraws them at the new size
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(viewport)
    return path


def sidebar_links(page) -> list[tuple[str, str]]:
    """The navigation's links: (label, URL path), in their order."""
    links = page.locator('[data-testid="stSidebar"] a')
    links.first.wait_for()
    return [(link.inner_text().split("\n")[-1].strip(),
             (link.get_attribute("href") or "").split("?")[0].strip("/")) for link in links.all()]


def sidebar_link(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label)


def expect_page(page, path: str) -> None:
    """The page's title, then its script run to the end, with no exception box."""
    page.get_by_role("heading", name=TITLES[path], level=1).wait_for()
    # The heading shows once the page's run has begun; this says when it has ended.
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()

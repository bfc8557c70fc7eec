"""What the tests, the benchmarks and deploy/ share to run the app: where the repository and the
shared data are (`REPO`, `SHARED_DATA_DIR`, `SHARED_WRITEUPS_DIR`), a free local port, and
`streamlit run app.py` started on one (`AppServer`) and found healthy.

The standard library only: deploy/stack.py uses it on a server with nothing else installed.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The shared data folder lies beside the repository, here and in CI's fresh clone.
SHARED_DATA_DIR = REPO.parent / "shared/data/fashion-mnist"
SHARED_WRITEUPS_DIR = REPO.parent / "shared/writeups"  # three real write-ups of the lesson
SERVER_START_SECONDS = 60


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (the system's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the Streamlit server at `url` answers its health check (after its warm-up)."""
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

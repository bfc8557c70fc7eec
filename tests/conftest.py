"""Fixtures shared by all test modules."""

import dataclasses
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import load_fashion_mnist
from fmnist_core.data.download import FILES
from fmnist_core.data.errors import DATA_DIR_ENV, CorruptFileError, DataUnavailableError
from fmnist_core.host.environment import DATABASE_URL_ENV
from tools.server import SHARED_DATA_DIR, free_port

pytest_plugins = ["tests.databases"]  # a real PostgreSQL server, started by the tests that ask


@pytest.fixture(scope="session", autouse=True)
def run_store_url(tmp_path_factory):
    """Runs saved by the app under test go to a SQLite file of the test session's own, never to
    the user's data folder; returns its URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('run_store') / 'runs.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATABASE_URL_ENV, url)
        yield url


@pytest.fixture(scope="session")
def real_data():
    """The real Fashion-MNIST, read without downloading; skips the test when it is absent.

    Sets FMNIST_DATA_DIR to the shared folder for the session unless it is already set,
    so that anything started by the tests (an app server, say) finds the same files.
    """
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get(DATA_DIR_ENV) and SHARED_DATA_DIR.is_dir():
            patch.setenv(DATA_DIR_ENV, str(SHARED_DATA_DIR))
        try:
            data = load_fashion_mnist(download=False)
        except CorruptFileError:
            raise  # damaged files are a failure, not a reason to skip
        except DataUnavailableError:
            pytest.skip(f"real Fashion-MNIST files not found; put them in {SHARED_DATA_DIR}")
        yield data


class FileServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 serving bytes registered with `serve`."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _FileHandler)
        self.routes: dict[str, tuple[bytes, int]] = {}
        self.requested: list[str] = []

    def serve(self, path: str, body: bytes, *, announced: int | None = None) -> str:
        """Serve `body` at `path` and return its URL; `announced` fakes the Content-Length."""
        self.routes[path] = (body, len(body) if announced is None else announced)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _FileHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requested.append(self.path)
        if self.path not in self.server.routes:
            self.send_error(404)
            return
        body, announced = self.server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        # HTTP/1.0: the connection closes after this, so a short body is cut off there.
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep the test output clean


@pytest.fixture(scope="module")
def trained_runs(real_data):
    """Two short runs trained directly with the engine, once a test module: 128 and 64 neurons, 1
    epoch each."""
    from fmnist_core.training import train  # imports TensorFlow

    return [train(ExperimentConfig(train_size=2000, epochs=1, hidden_layers=(neurons,)), real_data)
            for neurons in (128, 64)]


@pytest.fixture
def runs(trained_runs):
    """Fresh, named copies of the trained runs, so that no test sees another's changes."""
    return [dataclasses.replace(run, name=f"Run {number}")
            for number, run in enumerate(trained_runs, start=1)]


@pytest.fixture
def keras_home(real_data, tmp_path):
    """A Keras cache holding the real files, as `load_data()` leaves them (KERAS_HOME): the exported
    notebooks and scripts run offline."""
    cache = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    for name in FILES:
        (cache / name).symlink_to(real_data.source / name)
    return tmp_path / "keras"


@pytest.fixture
def file_server():
    """A running FileServer, shut down after the test."""
    server = FileServer()
    # A short poll interval makes shutdown quick; the default would add 0.5 s per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_url():
    """An http URL on 127.0.0.1 where nothing listens, so connecting is refused."""
    return f"http://127.0.0.1:{free_port()}/"

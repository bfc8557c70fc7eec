"""Databases for the tests (a pytest plugin): a SQLite file, and a real PostgreSQL the tests start.

The PostgreSQL server is made once a session from the server binaries (Debian puts them in
/usr/lib/postgresql/<version>/bin), in a temporary folder, listening on 127.0.0.1 with trust
authentication; each test gets a database of its own on it. Tests that need it skip when the binaries
are missing (scripts/test installs them). `database_url` runs a test on both databases.
"""

import itertools
import os
import re
import shutil
import subprocess
import tempfile
from glob import glob
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tools.server import free_port

SERVER_USER = "postgres"  # initdb refuses root, so as root the server runs as Debian's postgres user
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Only the operating system crashing could lose data without these; commits stay synchronous,
    # so a server stopped at once (as the failure test does) keeps every committed row.
    "fsync": "off",
    "full_page_writes": "off",
}


def postgres_bindir() -> Path | None:
    """The newest PostgreSQL server binaries on this machine, or None."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: [int(part) for part in re.findall(r"\d+", path)])
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "initdb").is_file():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder; `stop()` and `start()` it as a test needs."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="fmnist-postgres-"))  # also holds the unix socket
        self.port = free_port()
        self.running = False
        self._names = itertools.count(1)
        self._as_server_user = []
        if os.geteuid() == 0:
            try:
                shutil.chown(self.folder, SERVER_USER)
            except LookupError:
                raise RuntimeError(f"Running as root, the PostgreSQL server needs the unprivileged user "
                                   f"{SERVER_USER!r}, which Debian's postgresql package creates.") from None
            self._as_server_user = ["runuser", "-u", SERVER_USER, "--"]
        self._run("initdb", "-D", self.folder / "data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def start(self) -> None:
        options = [f"-p {self.port}", f"-k {self.folder}",
                   *(f"-c {name}={value}" for name, value in SERVER_SETTINGS.items())]
        self._run("pg_ctl", "-D", self.folder / "data", "-l", self.folder / "server.log", "-w", "-t", "30",
                  "-o", " ".join(options), "start")
        self.running = True

    def stop(self) -> None:
        """Stops at once, as a crash would; `start()` recovers."""
        self._run("pg_ctl", "-D", self.folder / "data", "-m", "immediate", "-w", "stop")
        self.running = False

    def create_database(self) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        if self.running:
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments) -> None:
        command = [*self._as_server_user, str(self.bindir / program), *map(str, arguments)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
                               + (log.read_text()[-2000:] if log.exists() else ""))


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server, started on first use and removed at the end."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed: none in "
                    "/usr/lib/postgresql/*/bin or pg_config --bindir; scripts/test installs them")
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def stoppable_postgres(postgres_server):
    """The session's PostgreSQL server for a test that stops it; running again after the test."""
    yield postgres_server
    if not postgres_server.running:
        postgres_server.start()


@pytest.fixture
def postgresql_url(postgres_server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file (not yet made) in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'runs.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """A fresh database of each kind in turn: the test runs once on SQLite, once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def store(database_url):
    """The run store on `database_url` (both databases), closed after the test."""
    from fmnist_core.store import RunStore

    store = RunStore(database_url)
    yield store
    store.close()


@pytest.fixture
def cheap_seat_codes(monkeypatch):
    """Seat codes hashed with a cheap scrypt, for tests that make many seats and test nothing of it."""
    from fmnist_core.store import seats

    monkeypatch.setitem(seats._SCRYPT, "n", 2)

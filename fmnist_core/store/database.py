"""`Database`: the run store's connection to SQLite or PostgreSQL, what its class and run methods share.

It makes the engine (SQLite with its write lock taken at BEGIN, so writers wait instead of failing),
brings the schema up to date (`migrate.py`), and gives the store's methods a transaction and a
seat's row. `SeatStore` (seat_store.py) and `ClassStore` (classes.py) build on it, and `RunStore`
(runs.py) on both.
"""

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from fmnist_core.store.errors import StoreUnavailable, UnknownSeat, is_unavailable, problem_sentence
from fmnist_core.store.migrate import upgrade
from fmnist_core.store.seats import Seat, token_hash
from fmnist_core.store.tables import seats

_IMMEDIATE = "fmnist_immediate"  # execution option: begin SQLite's transaction holding the write lock
_MIGRATION_LOCK = 0x464D4E495354  # "FMNIST": PostgreSQL's advisory lock held while migrating


def default_database_url() -> str:
    """A SQLite file in the user's data folder: $XDG_DATA_HOME, else ~/.local/share."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share")
    return f"sqlite:///{data_home / 'fmnist-classroom' / 'runs.sqlite3'}"


class Database:
    """The database at `url`; `migrate` brings its schema up to date first.

    `busy_timeout` is how many seconds to wait for the database: for SQLite's write lock, or for a
    connection to PostgreSQL.
    """

    def __init__(self, url: str, *, migrate: bool = True, busy_timeout: float = 10.0):
        if not busy_timeout > 0:
            raise ValueError(f"busy_timeout must be a positive number of seconds; got {busy_timeout!r}.")
        self._url = _database_url(url)
        self._sqlite = self._url.get_backend_name() == "sqlite"
        try:
            self._engine = self._sqlite_engine(busy_timeout) if self._sqlite else create_engine(
                self._url, hide_parameters=True, pool_pre_ping=True,
                connect_args={"connect_timeout": math.ceil(busy_timeout)})
        except OSError as error:  # the SQLite file's folder cannot be made
            raise StoreUnavailable(problem_sentence(error, self.safe_url)) from error
        if migrate:
            try:
                self._migrate()
            except Exception as error:
                self._engine.dispose()
                if is_unavailable(error):
                    raise StoreUnavailable(problem_sentence(error, self.safe_url)) from error
                raise

    @property
    def safe_url(self) -> str:
        """The URL with its password hidden, for messages."""
        return self._url.render_as_string(hide_password=True)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def _migrate(self) -> None:
        """Brings the schema to head in one write transaction, one server at a time: on
        PostgreSQL, app servers starting together on a new database wait for the first one's
        migration (an advisory lock) instead of creating the same tables at once.

        On SQLite, with foreign keys off: a batch migration copies a table into a new one and drops
        the old, and with them on, dropping `runs` would cascade to every epoch and weight. SQLite
        only turns them off outside a transaction; they are checked before the commit instead.
        """
        with self._engine.connect() as connection:
            driver = connection.connection.driver_connection if self._sqlite else None
            if driver is not None:
                driver.execute("PRAGMA foreign_keys = OFF")
            try:
                connection.execution_options(**{_IMMEDIATE: True})
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                           {"key": _MIGRATION_LOCK})
                    upgrade(connection)
                    if driver is not None:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"The migration left {len(broken)} rows whose foreign "
                                               f"key finds nothing, first in {broken[0][0]}; nothing "
                                               f"was changed.")
            finally:
                if driver is not None:
                    driver.execute("PRAGMA foreign_keys = ON")

    def _sqlite_engine(self, busy_timeout: float) -> Engine:
        database = self._url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ValueError(f"A run store needs a SQLite file (sqlite:///path); got {self.safe_url}.")
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(self._url, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we send BEGIN ourselves, so it can be IMMEDIATE
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a commit needs no fsync
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            # A write transaction takes the lock at BEGIN, where busy_timeout waits for it; a deferred
            # one that read first would fail at once with "database is locked" when it came to write.
            immediate = connection.get_execution_options().get(_IMMEDIATE, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            connection.execution_options(**{_IMMEDIATE: write})
            with connection.begin():
                yield connection

    def _upsert(self, connection: Connection, table, values: dict, key: tuple[str, ...]) -> None:
        statement = (sqlite if self._sqlite else postgresql).insert(table).values(**values)
        connection.execute(statement.on_conflict_do_update(
            index_elements=list(key), set_={name: statement.excluded[name] for name in values
                                            if name not in key}))

    @staticmethod
    def _seat_id(connection: Connection, seat: Seat) -> int:
        seat_id = connection.scalar(select(seats.c.id).where(seat_is(seat)))
        if seat_id is None:
            raise UnknownSeat("No seat has this token; create_seat first.")
        return seat_id


def seat_is(seat: Seat):
    """The condition that picks the seat's row: its token's hash, the only way to a seat's runs."""
    return seats.c.token_hash == token_hash(seat.token)


def _database_url(url: str):
    """Parses `url`; postgresql:// and postgres:// mean psycopg 3, the driver installed."""
    if not isinstance(url, str):
        raise TypeError(f"The database URL must be a str; got {type(url).__name__}.")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"Not a database URL: {url!r}; use sqlite:///path or postgresql://…") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ValueError(f"The run store works with sqlite:///path or postgresql://…; got "
                         f"{parsed.render_as_string(hide_password=True)}.")
    return parsed

"""`StoreWriter`: every write to the run store, in order, on one background thread.

The pages never wait for the database, and keep working when it fails: a write that cannot reach
the database stays at the head of the queue and is tried again, with a growing pause, until it
succeeds; everything behind it then follows in order. A write that fails for any other reason is a
bug: it is logged and dropped, so that it cannot hold up the rest. One thread for all the sessions
of a process also means 30 learners saving epochs never contend for SQLite's one write lock.

Each write is data (a `RunStore` method's name and its arguments; `QueuedWrites` queues each, in
`queued_writes`), so what is still waiting when the server stops is not lost: `close()` tries for a
bounded time, then keeps the rest in a `Spool` on local disk, which the next start replays first.
What waits is counted in bytes (weights and predictions are most of it): over `max_pending_bytes`,
while the database refuses writes, the writer is `full`, and the server starts no new training
rather than hold ever more in memory.

A read (`read`) and the few writes whose answer a page waits for (`write_now`: a new seat, a class,
a hand-in) are done at once on the caller's thread; both give a default when the database fails.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from fmnist_core.store.errors import StoreUnavailable, is_unavailable, problem_sentence
from fmnist_core.store.queued_writes import WRITES, QueuedWrites
from fmnist_core.store.runs import RunStore
from fmnist_core.store.spool import Spool, SpooledWrite

log = logging.getLogger(__name__)
T = TypeVar("T")

# A server holds its writes in memory while the database is down. 256 MB is a whole lesson's results
# for a class of 30 (a finished run of the lesson's network is about 0.8 MB: its weights and its
# 10,000 predictions; 12 MB for the biggest network), and a sixth of the 1.5 GB an app server is
# given (README, "How big"), so an outage cannot push the server out of memory.
DEFAULT_MAX_PENDING_BYTES = 256 * 2**20
_WRITE_OVERHEAD = 512  # bytes for a write's objects and its place in the queue, roughly


@dataclass(frozen=True)
class _Write:
    method: str  # one of WRITES
    args: tuple
    kwargs: dict[str, Any]
    what: str  # for the log: the method and the run, never a token
    size: int  # the bytes it holds, estimated

    @classmethod
    def of(cls, method: str, args: tuple, kwargs: dict[str, Any], what: str) -> "_Write":
        if method not in WRITES:
            raise ValueError(f"{method!r} is not a write of the run store; the writes are "
                             f"{', '.join(sorted(WRITES))}.")
        return cls(method, args, kwargs, what, _WRITE_OVERHEAD + _bytes_in(args) + _bytes_in(kwargs))

    def apply(self, store: RunStore) -> object:
        return getattr(store, self.method)(*self.args, **self.kwargs)

    def as_data(self) -> SpooledWrite:
        return self.method, self.args, self.kwargs, self.what


def _bytes_in(value: object) -> int:
    """The bytes of the arrays, weights and text in `value`; small objects (a seat, a config, an
    epoch's figures) count as nothing beside the write's overhead."""
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, tuple | list):
        return sum(map(_bytes_in, value))
    if isinstance(value, dict):
        return sum(map(_bytes_in, value.values()))
    return 0


class StoreWriter(QueuedWrites):
    """Writes to the store that `open_store()` opens (and opens again and again until it can); the
    writes it queues, a method each, come from `QueuedWrites`.

    `spool`, if given, keeps on disk what `close()` could not write, and what comes after it; the
    writes it holds from the last stop are the first to go in.
    """

    def __init__(self, open_store: Callable[[], RunStore], retry_seconds: float = 1.0,
                 max_retry_seconds: float = 30.0, *, spool: Spool | None = None,
                 max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES):
        if not 0 < retry_seconds <= max_retry_seconds:
            raise ValueError(f"Need 0 < retry_seconds <= max_retry_seconds; got {retry_seconds!r} and "
                             f"{max_retry_seconds!r}.")
        if not (isinstance(max_pending_bytes, int) and max_pending_bytes > 0):
            raise ValueError(f"max_pending_bytes must be a positive whole number; got {max_pending_bytes!r}.")
        self._open_store = open_store
        self._retry_seconds, self._max_retry_seconds = retry_seconds, max_retry_seconds
        self._store: RunStore | None = None
        self._opening = threading.Lock()
        self._open_failed: tuple[float, StoreUnavailable] | None = None
        self._writes: deque[_Write] = deque()
        self._pending_bytes, self._max_pending_bytes = 0, max_pending_bytes
        self._changed = threading.Condition()
        self._write_problem: str | None = None
        self._at_once_problem: str | None = None
        self._stopping = False  # close() has begun: retry at once, then every retry_seconds
        self._closing = False
        self._spool, self._spooling = spool, threading.Lock()
        self._replaying = self._replay() if spool else 0  # of the writes at the head, from the spool
        self._thread = threading.Thread(target=self._work, name="run-store-writer", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self.problem is None

    @property
    def problem(self) -> str | None:
        """What is wrong with the database, in one sentence for the page; None when all is well."""
        with self._changed:
            return self._write_problem or self._at_once_problem

    # `closed`, `pending` and `pending_bytes` read one value each, without the lock: a read is whole
    # either way, and the value may change the moment after it. `problem` and `full` combine values,
    # so they take the lock to read them all at one moment.

    @property
    def closed(self) -> bool:
        return self._closing

    @property
    def pending(self) -> int:
        """Writes not yet in the database."""
        return len(self._writes)

    @property
    def pending_bytes(self) -> int:
        """What the writes not yet in the database hold, in bytes (estimated)."""
        return self._pending_bytes

    @property
    def max_pending_bytes(self) -> int:
        return self._max_pending_bytes

    @property
    def full(self) -> bool:
        """True while the database refuses writes and those waiting hold `max_pending_bytes` or more:
        no new training should start then. The writes of those under way are still taken (a bound
        on memory must not lose a learner's epochs), so memory may pass the bound by that much."""
        with self._changed:
            return self._write_problem is not None and self._pending_bytes >= self._max_pending_bytes

    # Waiting, reading and writing at once, closing

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until every write so far is in the database; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._writes, timeout)

    def read(self, fn: Callable[[RunStore], T], default: T | None = None) -> T | None:
        """`fn(store)`, which only reads, run here (opening the store first if no write has yet);
        `default` when the database fails or the store cannot be opened."""
        return self._at_once(fn, default, "read from")

    def write_now(self, fn: Callable[[RunStore], T], default: T | None = None) -> T | None:
        """`fn(store)`, a write whose answer the caller waits for (a new seat, a class and its key, a
        membership), run here rather than queued; `default` when the database fails or the store
        cannot be opened. It does not wait for the queued writes."""
        return self._at_once(fn, default, "write to")

    def _at_once(self, fn: Callable[[RunStore], T], default: T | None, doing: str) -> T | None:
        try:
            store = self._opened()
        except StoreUnavailable as error:
            with self._changed:
                self._at_once_problem = str(error)
            return default
        try:
            result = fn(store)
        except (SQLAlchemyError, OSError) as error:
            problem = problem_sentence(error, store.safe_url)
            if not is_unavailable(error):
                log.error("A %s the run store failed: %s", doing, problem)
                return default
            with self._changed:
                if self._at_once_problem != problem:
                    log.warning("Cannot %s the run store: %s", doing, problem)
                self._at_once_problem = problem
            return default
        with self._changed:
            self._at_once_problem = None
        return result

    def close(self, timeout: float = 5.0) -> bool:
        """Writes what is pending for about `timeout` seconds (a database that was down is tried again
        at once), then stops; what is left goes to the spool. False if some was left. Closing again
        does nothing more."""
        deadline = time.monotonic() + timeout
        with self._changed:
            if self._stopping:
                return not self._writes
            self._stopping = True
            self._changed.notify_all()
        written = self.flush(timeout)
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        # A write under way (a connection being tried) may finish after this: then it is also in
        # the spool, and goes in twice, which every write allows (each puts the same rows).
        self._thread.join(max(deadline - time.monotonic(), 1.0))
        if self._spool is not None:
            self._keep_on_disk()
        elif not written:
            log.warning("Closed the run store with %d writes not written.", self.pending)
        if self._store is not None:
            self._store.close()
        return written

    def _enqueue(self, what: str, method: str, *args, **kwargs) -> None:
        write = _Write.of(method, args, kwargs, what)
        with self._changed:
            closed = self._closing
            if closed and self._spool is None:
                raise RuntimeError(f"This StoreWriter is closed; cannot {what}.")
            self._writes.append(write)
            self._pending_bytes += write.size
            self._changed.notify_all()
        if closed:  # a training still finishing as the server stops: its write waits on disk
            self._keep_on_disk()

    def _replay(self) -> int:
        """Queues the writes the spool kept; returns how many."""
        for method, args, kwargs, what in self._spool.load():
            try:
                write = _Write.of(method, args, kwargs, what)
            except ValueError as error:  # kept by a version with other writes
                log.error("Dropped %s, kept in %s: %s", what, self._spool.path, error)
                continue
            self._writes.append(write)
            self._pending_bytes += write.size
        if self._writes:
            log.warning("Replaying %d writes kept in %s at the last stop.", len(self._writes),
                        self._spool.path)
        return len(self._writes)

    def _keep_on_disk(self) -> None:
        """The spool made to hold exactly the writes still waiting."""
        with self._spooling:  # the last to save saw the newest queue
            with self._changed:
                writes, size = [write.as_data() for write in self._writes], self._pending_bytes
            try:
                self._spool.save(writes)
            except Exception as error:  # a full or read-only disk: say what is lost
                log.error("Could not keep %d writes in %s, so they are lost: %s", len(writes),
                          self._spool.path, error)
                return
        if writes:
            log.warning("Kept %d writes (about %.1f MB) in %s, to be written at the next start.",
                        len(writes), size / 2**20, self._spool.path)

    def _forget_spool(self) -> None:
        """The writes replayed from the spool are all in the database: it is not needed any more."""
        with self._spooling, self._changed:
            if self._closing:  # close() has kept what is left there
                return
            try:
                self._spool.remove()
            except OSError as error:
                log.error("Could not remove %s, whose writes are all written: %s", self._spool.path, error)

    def _work(self) -> None:
        pause = self._retry_seconds
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._writes or self._closing)
                if self._closing:
                    return
                write = self._writes[0]
            try:
                write.apply(self._opened())
            except Exception as error:
                if is_unavailable(error):
                    self._wait_to_retry(problem_sentence(error, self._store.safe_url if self._store else ""),
                                        pause)
                    pause = self._retry_seconds if self._stopping else min(2 * pause, self._max_retry_seconds)
                    continue
                log.error("Dropped %s, which failed: %s", write.what, error, exc_info=error)
            pause = self._retry_seconds
            with self._changed:
                self._writes.popleft()
                self._pending_bytes -= write.size
                replayed = self._replaying == 1
                self._replaying = max(self._replaying - 1, 0)
                if self._write_problem is not None:
                    log.warning("The run store works again; %d writes to go.", len(self._writes))
                self._write_problem = self._at_once_problem = None
                self._changed.notify_all()
            if replayed:
                self._forget_spool()

    def _opened(self) -> RunStore:
        """The store, opened once (by a read or by the writing thread, whichever comes first).

        After a failed attempt, a read does not try again for retry_seconds: a page must not wait
        for a database that just did not answer.
        """
        with self._opening:
            if self._store is None:
                failed = self._open_failed
                if failed and time.monotonic() - failed[0] < self._retry_seconds:
                    raise failed[1]
                try:
                    self._store = self._open()
                except StoreUnavailable as error:
                    self._open_failed = (time.monotonic(), error)
                    raise
            return self._store

    def _open(self) -> RunStore:
        try:
            return self._open_store()
        except StoreUnavailable:
            raise
        except Exception as error:  # a wrong URL, say: keep the writes and keep trying, visibly
            raise StoreUnavailable(f"the run store cannot be opened: {error}") from error

    def _wait_to_retry(self, problem: str, pause: float) -> None:
        with self._changed:
            if self._write_problem != problem:
                log.warning("Cannot write to the run store, will try again: %s", problem)
            self._write_problem = problem
            self._changed.notify_all()
            stopping = self._stopping  # a stop beginning ends the pause: a last try at once
            self._changed.wait_for(lambda: self._closing or self._stopping != stopping, pause)

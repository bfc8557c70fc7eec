"""`StoreWriter`: every write to the run store, in order, on one background thread.

The pages never wait for the database, and keep working when it fails: a write that cannot reach
the database stays at the head of the queue and is tried again, with a growing pause, until it
succeeds; everything behind it then follows in order. A write that fails for any other reason is a
bug: it is logged and dropped, so that it cannot hold up the rest. One thread for all the sessions
of a process also means 30 learners saving epochs never contend for SQLite's one write lock.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState
from fmnist_core.store.errors import StoreUnavailable, is_unavailable, problem_sentence
from fmnist_core.store.runs import RunStore
from fmnist_core.store.seats import Seat
from fmnist_core.store.tables import utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class _Write:
    what: str  # for the log: the method and the run, never a token
    apply: Callable[[RunStore], object]


class StoreWriter:
    """Writes to the store that `open_store()` opens (and opens again and again until it can)."""

    def __init__(self, open_store: Callable[[], RunStore], retry_seconds: float = 1.0,
                 max_retry_seconds: float = 30.0):
        if not 0 < retry_seconds <= max_retry_seconds:
            raise ValueError(f"Need 0 < retry_seconds <= max_retry_seconds; got {retry_seconds!r} and "
                             f"{max_retry_seconds!r}.")
        self._open_store = open_store
        self._retry_seconds, self._max_retry_seconds = retry_seconds, max_retry_seconds
        self._store: RunStore | None = None
        self._opening = threading.Lock()
        self._open_failed: tuple[float, StoreUnavailable] | None = None
        self._writes: deque[_Write] = deque()
        self._changed = threading.Condition()
        self._write_problem: str | None = None
        self._read_problem: str | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._work, name="run-store-writer", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        return self.problem is None

    @property
    def problem(self) -> str | None:
        """What is wrong with the database, in one sentence for the page; None when all is well."""
        with self._changed:
            return self._write_problem or self._read_problem

    @property
    def closed(self) -> bool:
        with self._changed:
            return self._closing

    @property
    def pending(self) -> int:
        """Writes not yet in the database."""
        with self._changed:
            return len(self._writes)

    # The store's writes, queued; each returns at once.

    def create_seat(self, seat: Seat) -> None:
        self._enqueue("create_seat", lambda store: store.create_seat(seat))

    def touch_seat(self, seat: Seat) -> None:
        self._enqueue("touch_seat", lambda store: store.touch_seat(seat))

    def queue_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        self._enqueue(f"queue_run {run_id}",
                      lambda store: store.queue_run(seat, run_id, name, config, server))

    def start_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        self._enqueue(f"start_run {run_id}",
                      lambda store: store.start_run(seat, run_id, name, config, server))

    def save_epoch(self, seat: Seat, run_id: str, record: EpochRecord) -> None:
        """Saves an epoch that ended now (the time it waits here is measured: `epoch_save_seconds`)."""
        ended_at = utc_now()
        self._enqueue(f"save_epoch {record.epoch} of run {run_id}",
                      lambda store: store.save_epoch(seat, run_id, record, ended_at))

    def finish_run(self, seat: Seat, run_id: str, *, state: RunState, test_loss: float,
                   test_accuracy: float, seconds: float, test_logits: np.ndarray | None,
                   weights: bytes | None, confusion: np.ndarray | None = None) -> None:
        self._enqueue(f"finish_run {run_id}", lambda store: store.finish_run(
            seat, run_id, state=state, test_loss=test_loss, test_accuracy=test_accuracy, seconds=seconds,
            test_logits=test_logits, weights=weights, confusion=confusion))

    def abandon_run(self, seat: Seat, run_id: str) -> None:
        self._enqueue(f"abandon_run {run_id}", lambda store: store.abandon_run(seat, run_id))

    def delete_runs_of_seat(self, seat: Seat) -> None:
        self._enqueue("delete_runs_of_seat", lambda store: store.delete_runs_of_seat(seat))

    def interrupt_running_runs(self, server: str) -> None:
        """Queued first at a server's start, it is done before any run that server starts."""
        self._enqueue(f"interrupt_running_runs of {server!r}",
                      lambda store: store.interrupt_running_runs(server))

    def delete_expired(self, days: float) -> None:
        self._enqueue(f"delete_expired after {days} days", lambda store: store.delete_expired(days))

    # Waiting, reading, closing

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until every write so far is in the database; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._writes, timeout)

    def read(self, fn: Callable[[RunStore], T], default: T | None = None) -> T | None:
        """`fn(store)`, run here (opening the store first if no write has yet); `default` when the
        database fails or the store cannot be opened."""
        try:
            store = self._opened()
        except StoreUnavailable as error:
            with self._changed:
                self._read_problem = str(error)
            return default
        try:
            result = fn(store)
        except (SQLAlchemyError, OSError) as error:
            problem = problem_sentence(error, store.safe_url)
            if not is_unavailable(error):
                log.error("A read from the run store failed: %s", problem)
                return default
            with self._changed:
                if self._read_problem != problem:
                    log.warning("Cannot read from the run store: %s", problem)
                self._read_problem = problem
            return default
        with self._changed:
            self._read_problem = None
        return result

    def close(self, timeout: float = 5.0) -> bool:
        """Writes what is pending for at most `timeout` seconds, then stops; False if some was left."""
        written = self.flush(timeout)
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join(timeout)
        if self._store is not None:
            self._store.close()
        if not written:
            log.warning("Closed the run store with %d writes not written.", self.pending)
        return written

    def _enqueue(self, what: str, apply: Callable[[RunStore], object]) -> None:
        with self._changed:
            if self._closing:
                raise RuntimeError(f"This StoreWriter is closed; cannot {what}.")
            self._writes.append(_Write(what, apply))
            self._changed.notify_all()

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
                    pause = min(2 * pause, self._max_retry_seconds)
                    continue
                log.error("Dropped %s, which failed: %s", write.what, error, exc_info=error)
            pause = self._retry_seconds
            with self._changed:
                self._writes.popleft()
                if self._write_problem is not None:
                    log.warning("The run store works again; %d writes to go.", len(self._writes))
                self._write_problem = self._read_problem = None
                self._changed.notify_all()

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
            self._changed.wait_for(lambda: self._closing, pause)

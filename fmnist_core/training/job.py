"""`TrainingJob`: one learner's request for a training, from the queue to its end.

A job waits, runs and ends once (done, failed or cancelled). It writes its state only in its own
transitions (`start`, `add_epoch`, `finish`, `fail`, `drop`), and each tells the job's observer,
so the run store saves what the page shows. The queue calls them from its workers; the page reads.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import TrainingRun, new_run_id

Progress = tuple[int, int, int]  # epoch, step, steps


class JobState(StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobObserver(Protocol):
    """Told when a job is queued (in the caller's thread), then from a worker's thread when it
    starts, finishes an epoch, and ends (a job dropped while waiting ends without starting)."""

    def queued(self, job: "TrainingJob") -> None: ...
    def started(self, job: "TrainingJob") -> None: ...
    def epoch_done(self, job: "TrainingJob", record: EpochRecord) -> None: ...
    def ended(self, job: "TrainingJob") -> None: ...


@dataclass
class TrainingJob:
    config: ExperimentConfig
    name: str = ""
    is_alive: Callable[[], bool] = field(default=lambda: True, repr=False)
    observer: JobObserver | None = field(default=None, repr=False)
    run_id: str = field(default_factory=new_run_id)  # the finished run's id too
    state: JobState = JobState.WAITING
    history: list[EpochRecord] = field(default_factory=list)
    progress: Progress = (0, 0, 0)
    result: TrainingRun | None = None
    error: str | None = None
    waiting_for: str | None = None  # why the first in line does not start yet, e.g. "memory: …"
    stopped_because: str | None = None  # why the queue stopped it, e.g. the time limit
    time_limit: float | None = None  # seconds it may train, set by the queue
    earlier: bool = False  # answered at once by a training of exactly its settings and seed done before
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Stops a running job after its current chunk (keeping its epochs), or drops a waiting one."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def active(self) -> bool:
        return self.state in (JobState.WAITING, JobState.RUNNING)

    @property
    def elapsed(self) -> float:
        """Seconds spent training so far."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def fraction_done(self) -> float:
        return fraction_done(self.progress, self.config.epochs)

    @property
    def seconds_left(self) -> float | None:
        """A plain estimate: the time so far, scaled to the work left."""
        done = self.fraction_done
        return self.elapsed * (1 - done) / done if done > 0.02 else None

    def should_stop(self) -> bool:
        """Whether it was cancelled, its owner is gone, or it trained past its time limit."""
        return self.cancelled or not self.is_alive() or self._out_of_time()

    def _out_of_time(self) -> bool:
        """Whether it has trained past its time limit; says so in `stopped_because`."""
        if self.stopped_because is None and self.time_limit is not None and self.elapsed > self.time_limit:
            self.stopped_because = f"it reached the {_limit_text(self.time_limit)} limit for one training"
        return self.stopped_because is not None

    def enqueue(self) -> None:
        """It has a place in the queue (or an answer at once)."""
        self._tell(lambda observer: observer.queued(self))

    def wait_for(self, reason: str | None) -> None:
        """Why it does not start yet though it is first in line (None: it may start)."""
        self.waiting_for = reason

    def start(self, at: float, progress: Progress = (0, 0, 0)) -> None:
        """Its training started at `at` (time.monotonic()) and is as far as `progress`."""
        self.state, self.started, self.progress = JobState.RUNNING, at, progress
        self._tell(lambda observer: observer.started(self))

    def add_epoch(self, record: EpochRecord) -> None:
        self.history.append(record)
        self._tell(lambda observer: observer.epoch_done(self, record))

    def advance(self, progress: Progress) -> None:
        self.progress = progress

    def finish(self, run: TrainingRun) -> None:
        """Ends with its own copy of `run`: done, or cancelled if the run was stopped."""
        self._keep(run)
        self._end(JobState.CANCELLED if run.stopped else JobState.DONE)

    def answer_with(self, earlier: TrainingRun) -> None:
        """Ends at once with a copy of a run trained before with exactly its settings and seed,
        told as a training that starts, does each of its epochs and is done."""
        self.enqueue()
        self.earlier = True
        self.start(time.monotonic())
        for record in earlier.history:
            self.add_epoch(record)
        self.advance((earlier.epochs_done, 1, 1))
        self._keep(earlier)
        self._end(JobState.DONE)

    def fail(self, error: str) -> None:
        self.error = error
        self._end(JobState.FAILED)

    def drop(self) -> None:
        """Ends without training: nobody wanted it any more while it waited."""
        self._end(JobState.CANCELLED)

    def _keep(self, run: TrainingRun) -> None:
        """The job's own copy of a run (its id, its history list); the model and scores are shared."""
        self.result = replace(run, history=list(run.history), name=self.name, run_id=self.run_id)

    def _end(self, state: JobState) -> None:
        self.state, self.waiting_for, self.finished = state, None, time.monotonic()
        self._tell(lambda observer: observer.ended(self))

    def _tell(self, event: Callable[[JobObserver], None]) -> None:
        """Tells the observer; its failure (a database down, say) must not end the training."""
        if self.observer is not None:
            try:
                event(self.observer)
            except Exception:
                logging.getLogger(__name__).exception("the observer of a training failed")


def fraction_done(progress: Progress, epochs: int) -> float:
    """How much of a training's `epochs` its (epoch, step, steps) progress has done."""
    epoch, step, steps = progress
    if not steps:
        return 0.0
    return min(((epoch - 1) + step / steps) / epochs, 1.0)


def _limit_text(seconds: float) -> str:
    """A time limit as a page reads it: "5-minute", "90-second"."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}-minute"
    return f"{seconds:g}-second"

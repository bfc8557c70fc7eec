"""A fair queue of trainings for a whole class on one server: at most `slots` run at once.

Each `TrainingJob` is filled in by a worker thread as it trains (history, progress, the finished
run) and read by the page that asked for it. A job ends early when it is cancelled or when its
owner is gone (`is_alive()` says no), checked between compiled chunks: well within a second.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from fmnist_core.config import ExperimentConfig
from fmnist_core.environment import training_slots
from fmnist_core.history import EpochRecord
from fmnist_core.run import TrainingRun, new_run_id
from fmnist_core.trainer_pool import TrainerPool


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
    progress: tuple[int, int, int] = (0, 0, 0)  # epoch, step, steps
    result: TrainingRun | None = None
    error: str | None = None
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
        epoch, step, steps = self.progress
        if not steps:
            return 0.0
        return min(((epoch - 1) + step / steps) / self.config.epochs, 1.0)

    @property
    def seconds_left(self) -> float | None:
        """A plain estimate: the time so far, scaled to the work left."""
        done = self.fraction_done
        return self.elapsed * (1 - done) / done if done > 0.02 else None

    def _should_stop(self) -> bool:
        return self.cancelled or not self.is_alive()

    def _epoch_done(self, record: EpochRecord) -> None:
        self.history.append(record)
        self._tell("epoch_done", record)

    def _tell(self, event: str, *args) -> None:
        """Tells the observer; its failure (a database down, say) must not end the training."""
        if self.observer is not None:
            try:
                getattr(self.observer, event)(self, *args)
            except Exception:
                logging.getLogger(__name__).exception("the observer of a training failed")


class TrainingQueue:
    """First come, first served, `slots` trainings at a time, on one shared dataset."""

    def __init__(self, data, slots: int | None = None, train=None,
                 prepare: Callable[[TrainerPool], None] | None = None):
        """`train` defaults to `training.train`, imported by the workers (TensorFlow loads in the
        background); each worker calls `prepare(trainers)`, if given, before its first job.

        The queue owns `trainers`, the compiled trainers its runs reuse.
        """
        slots = slots or training_slots()[0]
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.data, self.slots, self._train, self._prepare = data, slots, train, prepare
        self.trainers = TrainerPool()
        self._waiting: deque[TrainingJob] = deque()
        self._running: set[int] = set()
        self._lock = threading.Condition()
        for number in range(slots):
            threading.Thread(target=self._work, name=f"training-slot-{number}", daemon=True).start()

    def submit(self, config: ExperimentConfig, is_alive: Callable[[], bool] | None = None,
               name: str = "", observer: JobObserver | None = None) -> TrainingJob:
        job = TrainingJob(config, name, is_alive or (lambda: True), observer)
        job._tell("queued")
        with self._lock:
            self._waiting.append(job)
            self._lock.notify()
        return job

    def ahead_of(self, job: TrainingJob) -> int:
        """How many trainings will start before this waiting one."""
        with self._lock:
            ahead = 0
            for other in self._waiting:
                if other is job:
                    return ahead
                ahead += not other._should_stop()
            return 0

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _next_job(self) -> TrainingJob:
        with self._lock:
            while True:
                while self._waiting and self._waiting[0]._should_stop():
                    dropped = self._waiting.popleft()
                    dropped.state, dropped.finished = JobState.CANCELLED, time.monotonic()
                    dropped._tell("ended")
                if self._waiting:
                    job = self._waiting.popleft()
                    self._running.add(id(job))
                    return job
                # Waiting jobs may be cancelled without notice: look again now and then.
                self._lock.wait(timeout=0.5)

    def _work(self) -> None:
        if self._prepare:
            try:
                self._prepare(self.trainers)
            except Exception:  # only time is lost: the jobs still run, and report their errors
                logging.getLogger(__name__).exception("preparing a trainer failed")
        while True:
            job = self._next_job()
            job.state, job.started = JobState.RUNNING, time.monotonic()
            job._tell("started")
            try:
                train = self._train or _default_train()
                job.result = train(
                    job.config, self.data, trainers=self.trainers, on_epoch=job._epoch_done,
                    on_progress=lambda *progress, job=job: setattr(job, "progress", progress),
                    should_stop=job._should_stop)
                job.result.run_id = job.run_id
                job.state = JobState.CANCELLED if job.result.stopped else JobState.DONE
            except Exception as error:  # a failed run must not take its slot down with it
                job.state, job.error = JobState.FAILED, f"{type(error).__name__}: {error}"
            finally:
                job._tell("ended")
                job.finished = time.monotonic()
                with self._lock:
                    self._running.discard(id(job))


def _default_train():
    from fmnist_core.training import train  # imports TensorFlow: in a worker, not in a page

    return train

"""A fair queue of trainings for a whole class on one server: at most `slots` run at once.

Each `TrainingJob` is filled in by a worker thread as it trains (history, progress, the finished
run) and read by the page that asked for it. A job ends early when it is cancelled, when its
owner is gone (`is_alive()` says no) or when it reaches the time limit for one training, checked
between compiled chunks: well within a second. Given the server's memory limit, the queue starts a
training only when it fits under MEMORY_SHARE of it; the first in line waits until it does.
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
from fmnist_core.environment import server_memory_usage, training_cpus, training_slots
from fmnist_core.estimate import DEFAULT_CALIBRATION, Calibration, memory_needed
from fmnist_core.history import EpochRecord
from fmnist_core.run import TrainingRun, new_run_id
from fmnist_core.trainer_pool import TrainerPool

# A training starts only if the server stays under this share of its memory limit: the estimate
# is rough, and the pages, the desks and Python's garbage need room too.
MEMORY_SHARE = 0.85


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
    waiting_for: str | None = None  # why the first in line does not start yet, e.g. "memory: …"
    stopped_because: str | None = None  # why the queue stopped it, e.g. the time limit
    time_limit: float | None = None  # seconds it may train, set by the queue
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
        return self.cancelled or not self.is_alive() or self._out_of_time()

    def _out_of_time(self) -> bool:
        """Whether it has trained past its time limit; says so in `stopped_because`."""
        if self.stopped_because is None and self.time_limit is not None and self.elapsed > self.time_limit:
            self.stopped_because = f"it reached the {_limit_text(self.time_limit)} limit for one training"
        return self.stopped_because is not None

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


def _limit_text(seconds: float) -> str:
    """A time limit as a page reads it: "5-minute", "90-second"."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}-minute"
    return f"{seconds:g}-second"


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:.1f}"


class TrainingQueue:
    """First come, first served, `slots` trainings at a time, on one shared dataset."""

    def __init__(self, data, slots: int | None = None, train=None,
                 prepare: Callable[[TrainerPool], None] | None = None, *,
                 memory_limit: int | None = None,
                 memory_usage: Callable[[], int | None] = server_memory_usage,
                 max_seconds: float | None = None,
                 calibrate: Callable[[TrainerPool], Calibration] | None = None):
        """`train` defaults to `training.train`, imported by the workers (TensorFlow loads in the
        background, its thread pools sized for `slots`); each worker calls `prepare(trainers)`, if
        given, before its first job, and the first to be ready `calibrate(trainers)`, whose result
        becomes `calibration`.

        `memory_limit` (bytes; None: no admission) and `memory_usage()` (bytes in use now) decide
        when a training may start; `max_seconds` (None: no limit) stops one that runs longer.
        The queue owns `trainers`, the compiled trainers its runs reuse.
        """
        slots = slots or training_slots()[0]
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        if memory_limit is not None and memory_limit <= 0:
            raise ValueError(f"memory_limit must be more than 0 bytes, got {memory_limit}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be more than 0, got {max_seconds}")
        self.data, self.slots, self._train, self._prepare = data, slots, train, prepare
        self.memory_limit, self._memory_usage, self.max_seconds = memory_limit, memory_usage, max_seconds
        self._calibrate, self.calibration = calibrate, DEFAULT_CALIBRATION
        self._calibration_started = False
        self._empty_usage: int | None = None  # the memory in use when no training last ran
        self.trainers = TrainerPool()
        self._waiting: deque[TrainingJob] = deque()
        self._running: dict[int, int] = {}  # id(job): the memory it was admitted with
        self._lock = threading.Condition()
        for number in range(slots):
            threading.Thread(target=self._work, name=f"training-slot-{number}", daemon=True).start()

    def submit(self, config: ExperimentConfig, is_alive: Callable[[], bool] | None = None,
               name: str = "", observer: JobObserver | None = None) -> TrainingJob:
        job = TrainingJob(config, name, is_alive or (lambda: True), observer,
                          time_limit=self.max_seconds)
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
                    self._end_waiting(self._waiting.popleft(), JobState.CANCELLED)
                if self._waiting:
                    job = self._waiting[0]
                    needed = memory_needed(job.config) if self.memory_limit else 0
                    in_use, empty = self._memory_in_use()
                    refusal = self._never_fits(needed, empty)
                    if refusal:
                        job.error = refusal
                        self._end_waiting(self._waiting.popleft(), JobState.FAILED)
                        continue
                    job.waiting_for = self._why_wait(needed, in_use)
                    if job.waiting_for is None:
                        self._running[id(self._waiting.popleft())] = needed
                        return job
                # Waiting jobs may be cancelled without notice, and memory freed: look again soon.
                self._lock.wait(timeout=0.5)

    def _memory_in_use(self) -> tuple[int, int]:
        """Bytes in use now, and with no training running (both 0 without a memory limit).

        The server's usage lags behind a training that has just started, so each running one counts
        at least the memory it was admitted with, on top of the usage with none running.
        """
        if not self.memory_limit:
            return 0, 0
        usage = self._memory_usage() or 0
        if not self._running:
            self._empty_usage = usage
        empty = self._empty_usage or 0
        return max(usage, empty + sum(self._running.values())), empty

    def _never_fits(self, needed: int, empty: int) -> str | None:
        """Why a training cannot start even with no other running, or None if it can."""
        if not self.memory_limit or empty + needed <= MEMORY_SHARE * self.memory_limit:
            return None
        return (f"This training needs about {_gigabytes(needed)} GB of memory, more than the server "
                f"can give it even with no other training running (it is at {_gigabytes(empty)} of "
                f"its {_gigabytes(self.memory_limit)} GB, and trainings may fill it to "
                f"{MEMORY_SHARE:.0%}): try a smaller batch or fewer neurons.")

    def _why_wait(self, needed: int, in_use: int) -> str | None:
        """Why the first in line does not start now, or None when it may."""
        if not self.memory_limit or in_use + needed <= MEMORY_SHARE * self.memory_limit:
            return None
        return (f"memory: the server is at {_gigabytes(in_use)} of its "
                f"{_gigabytes(self.memory_limit)} GB, and this training needs about "
                f"{_gigabytes(needed)} GB")

    def _end_waiting(self, job: TrainingJob, state: JobState) -> None:
        job.state, job.waiting_for, job.finished = state, None, time.monotonic()
        job._tell("ended")

    def _work(self) -> None:
        try:
            if self._train is None:
                _size_tensorflow(self.slots)  # before this worker's TensorFlow runs anything
            if self._prepare:
                self._prepare(self.trainers)
        except Exception:  # only time is lost: the jobs still run, and report their errors
            logging.getLogger(__name__).exception("preparing a trainer failed")
        self._calibrate_once()
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
                    self._running.pop(id(job), None)
                    self._lock.notify_all()  # its memory may let the first in line start

    def _calibrate_once(self) -> None:
        """The first worker ready measures this server's speed; the others go on to their jobs."""
        with self._lock:
            if self._calibrate is None or self._calibration_started:
                return
            self._calibration_started = True
        try:
            self.calibration = self._calibrate(self.trainers)
        except Exception:  # the default calibration stays: estimates are rougher, nothing else
            logging.getLogger(__name__).exception("calibrating the trainings' estimates failed")


def _size_tensorflow(slots: int) -> None:
    from fmnist_core.training import size_thread_pools  # imports TensorFlow, in a worker

    size_thread_pools(slots, training_cpus())


def _default_train():
    from fmnist_core.training import train  # imports TensorFlow: in a worker, not in a page

    return train

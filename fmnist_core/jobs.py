"""A fair queue of trainings for a whole class on one server: at most `slots` run at once.

Each `TrainingJob` is filled in by a worker thread as it trains (history, progress, the finished
run) and read by the page that asked for it. A job ends early when it is cancelled, when its
owner is gone (`is_alive()` says no) or when it reaches the time limit for one training, checked
between compiled chunks: well within a second. Given the server's memory limit, the queue starts a
training only when it fits under MEMORY_SHARE of it; the first in line waits until it does.
"""

import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from fmnist_core.config import ExperimentConfig
from fmnist_core.environment import server_memory_usage, training_cpus, training_slots
from fmnist_core.estimate import DEFAULT_CALIBRATION, Calibration, estimated_seconds, memory_needed
from fmnist_core.history import EpochRecord
from fmnist_core.recent_runs import RecentRuns
from fmnist_core.run import TrainingRun, new_run_id
from fmnist_core.trainer_pool import TrainerPool

# A training starts only if the server stays under this share of its memory limit: the estimate
# is rough, and the pages, the desks and Python's garbage need room too.
MEMORY_SHARE = 0.85
PACE_WEIGHT = 0.3  # how much the latest finished training moves the queue's measured pace
# What a trainer does once, before its first training, in order; as a page says it.
LOADING, COMPILING, MEASURING = ("loading TensorFlow", "compiling the lesson's model",
                                 "measuring this server's speed")
GETTING_READY = (LOADING, COMPILING, MEASURING)


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
        return _fraction_done(self.progress, self.config.epochs)

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


def _fraction_done(progress: tuple[int, int, int], epochs: int) -> float:
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


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:.1f}"


@dataclass(eq=False)
class _Training:
    """One training in the queue, for every job that asked for exactly its settings and seed
    (training is deterministic: they would all get the same weights)."""

    config: ExperimentConfig
    jobs: list[TrainingJob]
    history: list[EpochRecord] = field(default_factory=list)
    progress: tuple[int, int, int] = (0, 0, 0)
    started: float | None = None

    def wanted(self) -> bool:
        return any(not job._should_stop() for job in self.jobs)


def _copy_for(job: TrainingJob, run: TrainingRun) -> TrainingRun:
    """The job's own copy of a run (its id, its history list); the model and scores are shared."""
    return replace(run, history=list(run.history), name=job.name, run_id=job.run_id)


class TrainingQueue:
    """First come, first served, `slots` trainings at a time, on one shared dataset."""

    def __init__(self, data, slots: int | None = None, train=None,
                 prepare: Callable[[TrainerPool], None] | None = None, *,
                 memory_limit: int | None = None,
                 memory_usage: Callable[[], int | None] = server_memory_usage,
                 max_seconds: float | None = None,
                 calibrate: Callable[[TrainerPool], Calibration] | None = None,
                 warm_up_after: float = 0.0,
                 find_earlier: Callable[[ExperimentConfig], TrainingRun | None] | None = None,
                 recent: RecentRuns | None = None):
        """`train` defaults to `training.train`, imported by the workers (TensorFlow loads in the
        background, its thread pools sized for `slots`); each worker calls `prepare(trainers)`, if
        given, before its first job, and the first to be ready `calibrate(trainers)`, whose result
        becomes `calibration`.

        The workers start loading and preparing after `warm_up_after` seconds, or at the first
        job if one comes sooner: the page that made the queue is drawn first.
        `memory_limit` (bytes; None: no admission) and `memory_usage()` (bytes in use now) decide
        when a training may start; `max_seconds` (None: no limit) stops one that runs longer.
        The queue owns `trainers`, the compiled trainers its runs reuse.

        A job whose settings and seed equal a training in the queue joins it; one equal to a run
        finished on this server lately (`recent`, kept by count and age), or found by
        `find_earlier(config)` (the run store), gets a copy of that run at once.
        """
        slots = slots or training_slots()[0]
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        if memory_limit is not None and memory_limit <= 0:
            raise ValueError(f"memory_limit must be more than 0 bytes, got {memory_limit}")
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be more than 0, got {max_seconds}")
        if warm_up_after < 0:
            raise ValueError(f"warm_up_after must be 0 or more, got {warm_up_after}")
        self._warm_up_at = time.monotonic() + warm_up_after
        self.data, self.slots, self._train, self._prepare = data, slots, train, prepare
        self.memory_limit, self._memory_usage, self.max_seconds = memory_limit, memory_usage, max_seconds
        self._calibrate, self.calibration = calibrate, DEFAULT_CALIBRATION
        self._calibration_started = False
        # Each worker's step of getting ready (GETTING_READY), None once it takes trainings.
        first = (LOADING if train is None else COMPILING if prepare else MEASURING if calibrate
                 else None)
        self._getting_ready: list[str | None] = [first] * slots
        self._empty_usage: int | None = None  # the memory in use when no training last ran
        self.trainers = TrainerPool()
        self._find_earlier = find_earlier
        self._waiting: deque[_Training] = deque()
        self._running: dict[_Training, int] = {}  # each with the memory it was admitted with
        self._under_way: dict[ExperimentConfig, _Training] = {}  # waiting or running, by config
        self.recent = RecentRuns() if recent is None else recent
        # Measured seconds ÷ estimated seconds of the trainings finished here, a moving average:
        # trainings side by side, or a busy server, take longer than the calibration alone says.
        self.pace = 1.0
        self._lock = threading.Condition()
        for number in range(slots):
            threading.Thread(target=self._work, args=(number,), name=f"training-slot-{number}",
                             daemon=True).start()

    def submit(self, config: ExperimentConfig, is_alive: Callable[[], bool] | None = None,
               name: str = "", observer: JobObserver | None = None) -> TrainingJob:
        """Queues a training of `config` for this job, joins the one in the queue with exactly
        these settings and seed, or answers at once with one finished earlier (`job.earlier`)."""
        job = TrainingJob(config, name, is_alive or (lambda: True), observer,
                          time_limit=self.max_seconds)
        with self._lock:
            earlier = self.recent.get(config)
            under_way = config in self._under_way
        if earlier is None and not under_way and self._find_earlier is not None:
            earlier = self._find_earlier(config)  # the run store: read outside the lock
        if earlier is not None:
            self._answer_with(job, earlier)
            return job
        with self._lock:
            job._tell("queued")
            training = self._under_way.get(config)
            if training is None:
                self._under_way[config] = training = _Training(config, [job])
                self._waiting.append(training)
                self._lock.notify()
            else:
                self._join(job, training)
        return job

    def _answer_with(self, job: TrainingJob, earlier: TrainingRun) -> None:
        job._tell("queued")
        job.state, job.started, job.earlier = JobState.RUNNING, time.monotonic(), True
        job._tell("started")
        for record in earlier.history:
            job._epoch_done(record)
        job.progress = (earlier.epochs_done, 1, 1)
        job.result = _copy_for(job, earlier)
        job.state, job.finished = JobState.DONE, time.monotonic()
        job._tell("ended")

    def _join(self, job: TrainingJob, training: _Training) -> None:
        """`job` follows `training` from where it is (under the lock: no epoch is told twice)."""
        training.jobs.append(job)
        if training.started is not None:
            job.state, job.started, job.progress = JobState.RUNNING, training.started, training.progress
            job._tell("started")
            for record in training.history:
                job._epoch_done(record)

    def ahead_of(self, job: TrainingJob) -> int:
        """How many trainings will start before this waiting one."""
        with self._lock:
            ahead = 0
            for training in self._waiting:
                if job in training.jobs:
                    return ahead
                ahead += training.wanted()
            return 0

    def expected_start(self, job: TrainingJob) -> float | None:
        """About how many seconds from now this waiting job should start (None if it is not
        waiting): the trainings running and those ahead of it, each estimated at the queue's
        measured pace, shared out over the slots in their order."""
        with self._lock:
            ahead = []
            for training in self._waiting:
                if job in training.jobs:
                    break
                if training.wanted():
                    ahead.append(self._seconds_for(training.config))
            else:
                return None
            free_at = [self._seconds_left(training) for training in self._running]
            free_at += [0.0] * (self.slots - len(free_at))
        heapq.heapify(free_at)
        for seconds in ahead:
            heapq.heappush(free_at, heapq.heappop(free_at) + seconds)
        return free_at[0]

    def _seconds_for(self, config: ExperimentConfig) -> float:
        return self.pace * estimated_seconds(config, self.calibration)

    def _seconds_left(self, training: _Training) -> float:
        """A running training's time left: from its own progress once it has some, else its
        estimate less the time it has run."""
        elapsed = time.monotonic() - (training.started or time.monotonic())
        done = _fraction_done(training.progress, training.config.epochs)
        if done > 0.05:
            return elapsed * (1 - done) / done
        return max(0.0, self._seconds_for(training.config) - elapsed)

    def _measured(self, training: _Training, result: TrainingRun) -> None:
        """Moves the pace towards this finished training's seconds ÷ its estimate."""
        estimate = estimated_seconds(training.config, self.calibration)
        ratio = min(max(result.seconds / estimate, 0.1), 10.0)  # one odd run moves it a little
        self.pace += PACE_WEIGHT * (ratio - self.pace)

    @property
    def getting_ready(self) -> str | None:
        """What the trainers are doing before the first of them can take a training (one of
        GETTING_READY, the furthest along), or None once one can: a job that waits now waits for
        that, not for another's training."""
        with self._lock:
            if None in self._getting_ready:
                return None
            return max(self._getting_ready, key=GETTING_READY.index)

    def _now_getting_ready(self, worker: int, step: str | None) -> None:
        with self._lock:
            self._getting_ready[worker] = step

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _next_training(self) -> _Training:
        with self._lock:
            while True:
                while self._waiting and not self._waiting[0].wanted():
                    self._drop(self._waiting.popleft(), JobState.CANCELLED)
                if self._waiting:
                    training = self._waiting[0]
                    needed = memory_needed(training.config) if self.memory_limit else 0
                    in_use, empty = self._memory_in_use()
                    refusal = self._never_fits(needed, empty)
                    if refusal:
                        for job in training.jobs:
                            job.error = refusal
                        self._drop(self._waiting.popleft(), JobState.FAILED)
                        continue
                    waiting_for = self._why_wait(needed, in_use)
                    for job in training.jobs:
                        job.waiting_for = waiting_for
                    if waiting_for is None:
                        self._running[self._waiting.popleft()] = needed
                        return training
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

    def _drop(self, training: _Training, state: JobState) -> None:
        """Ends a training that never started, and each of its jobs with `state`."""
        self._forget(training)
        for job in training.jobs:
            job.state, job.waiting_for, job.finished = state, None, time.monotonic()
            job._tell("ended")

    def _forget(self, training: _Training) -> None:
        """From now on, a job with its config starts a training of its own."""
        if self._under_way.get(training.config) is training:
            del self._under_way[training.config]

    def _wait_for_warm_up(self) -> None:
        with self._lock:
            while not self._waiting and (left := self._warm_up_at - time.monotonic()) > 0:
                self._lock.wait(timeout=left)

    def _work(self, worker: int) -> None:
        self._wait_for_warm_up()
        try:
            if self._train is None:
                self._now_getting_ready(worker, LOADING)
                _size_tensorflow(self.slots)  # before this worker's TensorFlow runs anything
            if self._prepare:
                self._now_getting_ready(worker, COMPILING)
                self._prepare(self.trainers)
        except Exception:  # only time is lost: the jobs still run, and report their errors
            logging.getLogger(__name__).exception("preparing a trainer failed")
        self._calibrate_once(worker)
        self._now_getting_ready(worker, None)
        while True:
            self._run(self._next_training())

    def _run(self, training: _Training) -> None:
        with self._lock:
            training.started = time.monotonic()
            for job in training.jobs:
                job.state, job.started = JobState.RUNNING, training.started
                job._tell("started")
        result, error = None, None
        try:
            train = self._train or _default_train()
            result = train(training.config, self.data, trainers=self.trainers,
                           on_epoch=lambda record: self._epoch_done(training, record),
                           on_progress=lambda *progress: self._progress(training, progress),
                           should_stop=lambda: self._nobody_left(training),
                           on_chunk=lambda run_so_far: self._let_leavers_go(training, run_so_far))
        except Exception as failure:  # a failed run must not take its slot down with it
            error = f"{type(failure).__name__}: {failure}"
        finally:
            with self._lock:
                self._forget(training)
                jobs = list(training.jobs)
                if result is not None and not result.stopped:
                    self._measured(training, result)
                    self.recent.add(training.config, result)
            for job in jobs:
                self._end(job, result, error)
            with self._lock:
                self._running.pop(training, None)
                self._lock.notify_all()  # its memory may let the first in line start

    def _epoch_done(self, training: _Training, record: EpochRecord) -> None:
        with self._lock:  # a job joining now gets this epoch from the history, or is told it here
            training.history.append(record)
            for job in training.jobs:
                job._epoch_done(record)

    def _progress(self, training: _Training, progress: tuple[int, int, int]) -> None:
        training.progress = progress
        for job in list(training.jobs):
            job.progress = progress

    def _nobody_left(self, training: _Training) -> bool:
        """Whether every job has stopped or left; then the training stops, and takes no more."""
        with self._lock:
            if training.wanted():
                return False
            self._forget(training)
            return True

    def _let_leavers_go(self, training: _Training, run_so_far: Callable[[], TrainingRun]) -> None:
        """Jobs that stop while others still watch leave with the run as it is now; the training
        goes on for the others (when all stop, the training itself stops)."""
        with self._lock:
            leaving = [job for job in training.jobs if job._should_stop()]
            if not leaving or len(leaving) == len(training.jobs):
                return
            training.jobs = [job for job in training.jobs if job not in leaving]
        run = run_so_far()
        for job in leaving:
            self._end(job, run, None)

    @staticmethod
    def _end(job: TrainingJob, run: TrainingRun | None, error: str | None) -> None:
        if run is not None:
            job.result = _copy_for(job, run)
            job.state = JobState.CANCELLED if run.stopped else JobState.DONE
        else:
            job.state, job.error = JobState.FAILED, error
        job.finished = time.monotonic()
        job._tell("ended")

    def _calibrate_once(self, worker: int) -> None:
        """The first worker ready measures this server's speed; the others go on to their jobs."""
        with self._lock:
            if self._calibrate is None or self._calibration_started:
                return
            self._calibration_started = True
            self._getting_ready[worker] = MEASURING
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

"""A fair queue of trainings for a whole class on one server: at most `slots` run at once.

Each `TrainingJob` (see `job`) is filled in by a worker thread as it trains (history, progress, the
finished run) and read by the page that asked for it. A job ends early when it is cancelled, when
its owner is gone (`is_alive()` says no) or when it reaches the time limit for one training, checked
between compiled chunks: well within a second. The queue schedules and runs the trainings; its
parts decide the rest: `MemoryAdmission` when the first in line may start, `Pace` when a waiting
one should, `RecentRuns` which requests are answered at once, `WarmUp` what a worker does first.
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.host.environment import server_memory_usage, training_cpus, training_slots
from fmnist_core.run import TrainingRun
from fmnist_core.training.admission import MemoryAdmission, NeverFits
from fmnist_core.training.estimate import Calibration
from fmnist_core.training.job import JobObserver, JobState, Progress, TrainingJob
from fmnist_core.training.pace import Pace
from fmnist_core.training.recent_runs import RecentRuns
from fmnist_core.training.trainer_pool import TrainerPool
from fmnist_core.training.warm_up import WarmUp

__all__ = ["JobObserver", "JobState", "TrainingJob", "TrainingQueue"]


@dataclass(eq=False)
class SharedTraining:
    """One training in the queue, for every job that asked for exactly its settings and seed
    (training is deterministic: they would all get the same weights). The queue calls it under
    its lock, but for `advance`."""

    config: ExperimentConfig
    jobs: list[TrainingJob]
    owner: str = ""  # the student (a browser) who asked first: the queue takes students in turn
    history: list[EpochRecord] = field(default_factory=list)
    progress: Progress = (0, 0, 0)
    started: float | None = None

    def wanted(self) -> bool:
        return any(not job.should_stop() for job in self.jobs)

    def join(self, job: TrainingJob) -> None:
        """`job` follows this training from where it is (no epoch is told twice)."""
        self.jobs.append(job)
        if self.started is not None:
            job.start(self.started, self.progress)
            for record in self.history:
                job.add_epoch(record)

    def wait_for(self, reason: str | None) -> None:
        for job in self.jobs:
            job.wait_for(reason)

    def start(self) -> None:
        self.started = time.monotonic()
        for job in self.jobs:
            job.start(self.started, self.progress)

    def add_epoch(self, record: EpochRecord) -> None:
        self.history.append(record)
        for job in self.jobs:
            job.add_epoch(record)

    def advance(self, progress: Progress) -> None:
        self.progress = progress
        for job in list(self.jobs):
            job.advance(progress)

    def leavers(self) -> list[TrainingJob]:
        """The jobs that stop while others still watch, taken off this training (none if all stop:
        then the training itself stops)."""
        leaving = [job for job in self.jobs if job.should_stop()]
        if not leaving or len(leaving) == len(self.jobs):
            return []
        self.jobs = [job for job in self.jobs if job not in leaving]
        return leaving


class QueueFull(RuntimeError):
    """The server's queue holds as many waiting trainings as it may."""


# Waiting trainings one server holds: 30 students' 2 each, about half an hour of the lesson's.
QUEUE_CAP = 60
TURNS_KEPT = 256  # students whose last turn is remembered; the others count as never served


def in_turn(waiting: Sequence[SharedTraining], last_turns: Mapping[str, int]) -> list[SharedTraining]:
    """The waiting trainings in the order they start: the students in turn (round-robin), the one
    whose last training started longest ago first (never: first of all, by arrival), and each
    student's own trainings in the order they came. `last_turns`: owner -> their last start's turn."""
    mine: dict[str, deque[SharedTraining]] = {}
    for training in waiting:
        mine.setdefault(training.owner, deque()).append(training)
    arrival = {owner: number for number, owner in enumerate(mine)}
    last, turn, order = dict(last_turns), max(last_turns.values(), default=0), []
    while mine:
        owner = min(mine, key=lambda who: (last.get(who, -1), arrival[who]))
        order.append(mine[owner].popleft())
        turn += 1
        last[owner] = turn
        if not mine[owner]:
            del mine[owner]
    return order


def _end(jobs: list[TrainingJob], run: TrainingRun | None, error: str | None) -> None:
    """Ends each job with its copy of `run`, or with `error` if there is no run."""
    for job in jobs:
        if run is not None:
            job.finish(run)
        else:
            job.fail(error)


class TrainingQueue:
    """`slots` trainings at a time, on one shared dataset; the students take turns (`in_turn`)."""

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
        becomes `pace.calibration`.

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
        self.admission = MemoryAdmission(memory_limit, memory_usage)
        if max_seconds is not None and max_seconds <= 0:
            raise ValueError(f"max_seconds must be more than 0, got {max_seconds}")
        if warm_up_after < 0:
            raise ValueError(f"warm_up_after must be 0 or more, got {warm_up_after}")
        self._warm_up_at = time.monotonic() + warm_up_after
        self.data, self.slots, self._train, self.max_seconds = data, slots, train, max_seconds
        self.trainers, self.pace = TrainerPool(), Pace()
        self.warm_up = WarmUp(slots, self.trainers, self.pace, prepare=prepare, calibrate=calibrate,
                              load=(lambda: _size_tensorflow(slots)) if train is None else None)
        self._find_earlier = find_earlier
        self._waiting: deque[SharedTraining] = deque()
        self._running: list[SharedTraining] = []
        self._under_way: dict[ExperimentConfig, SharedTraining] = {}  # waiting or running, by config
        self._last_turns: dict[str, int] = {}  # owner -> the turn their last training started at
        self._turn = 0
        self.recent = RecentRuns() if recent is None else recent
        self._lock = threading.Condition()
        for number in range(slots):
            threading.Thread(target=self._work, args=(number,), name=f"training-slot-{number}",
                             daemon=True).start()

    def submit(self, config: ExperimentConfig, is_alive: Callable[[], bool] | None = None,
               name: str = "", observer: JobObserver | None = None, owner: str = "") -> TrainingJob:
        """Queues a training of `config` for this job (its student: `owner`), joins the one in the
        queue with exactly these settings and seed, or answers at once with one finished earlier
        (`job.earlier`). QueueFull when QUEUE_CAP trainings already wait."""
        job = TrainingJob(config, name, is_alive or (lambda: True), observer,
                          time_limit=self.max_seconds)
        with self._lock:
            earlier = self.recent.get(config)
            under_way = config in self._under_way
        if earlier is None and not under_way and self._find_earlier is not None:
            earlier = self._find_earlier(config)  # the run store: read outside the lock
        if earlier is not None:
            job.answer_with(earlier)
            return job
        with self._lock:
            training = self._under_way.get(config)
            if training is None and len(self._waiting) >= QUEUE_CAP:
                raise QueueFull(f"The server's queue is full: {QUEUE_CAP} trainings of the class are "
                                "waiting. Press Train again once some of them have started.")
            job.enqueue()
            if training is None:
                self._under_way[config] = SharedTraining(config, [job], owner)
                self._waiting.append(self._under_way[config])
                self._lock.notify()
            else:
                training.join(job)
        return job

    def ahead_of(self, job: TrainingJob) -> int:
        """How many trainings will start before this waiting one."""
        with self._lock:
            ahead = self._wanted_ahead_of(job)
            return 0 if ahead is None else len(ahead)

    def expected_start(self, job: TrainingJob) -> float | None:
        """About how many seconds from now this waiting job should start (None if it is not
        waiting): see `Pace.expected_start`."""
        with self._lock:
            ahead = self._wanted_ahead_of(job)
            if ahead is None:
                return None
            return self.pace.expected_start(
                [training.config for training in ahead],
                [(training.config, training.started, training.progress) for training in self._running],
                self.slots)

    def _wanted_ahead_of(self, job: TrainingJob) -> list[SharedTraining] | None:
        """The trainings still wanted that wait before this job's, or None if it does not wait."""
        ahead = []
        for training in in_turn(self._waiting, self._last_turns):
            if job in training.jobs:
                return ahead
            if training.wanted():
                ahead.append(training)
        return None

    @property
    def getting_ready(self) -> str | None:
        """What the trainers do before the first of them can take a training: `WarmUp.step`."""
        return self.warm_up.step

    # The two counts read one list's length each, without the lock: a read is whole either way, and
    # the count may change the moment after it.

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def active_of(self, owner: str) -> int:
        """The trainings waiting or running that this student asked for first."""
        with self._lock:
            return sum(training.owner == owner for training in [*self._waiting, *self._running])

    def _next_training(self) -> SharedTraining:
        with self._lock:
            while True:
                for training in [training for training in self._waiting if not training.wanted()]:
                    self._waiting.remove(training)
                    self._drop(training)
                if self._waiting:
                    training = in_turn(self._waiting, self._last_turns)[0]
                    try:
                        waiting_for = self.admission.admit(training, training.config)
                    except NeverFits as refusal:
                        self._waiting.remove(training)
                        self._forget(training)
                        _end(training.jobs, None, str(refusal))
                        continue
                    training.wait_for(waiting_for)
                    if waiting_for is None:
                        self._waiting.remove(training)
                        self._running.append(training)
                        self._take_turn(training.owner)
                        return training
                # Waiting jobs may be cancelled without notice, and memory freed: look again soon.
                self._lock.wait(timeout=0.5)

    def _take_turn(self, owner: str) -> None:
        self._turn += 1
        self._last_turns[owner] = self._turn
        if len(self._last_turns) > TURNS_KEPT:  # forget the students who have nothing queued
            queued = {training.owner for training in [*self._waiting, *self._running]}
            self._last_turns = {who: turn for who, turn in self._last_turns.items() if who in queued}

    def _drop(self, training: SharedTraining) -> None:
        """Ends a training that never started, and each of its jobs."""
        self._forget(training)
        for job in training.jobs:
            job.drop()

    def _forget(self, training: SharedTraining) -> None:
        """From now on, a job with its config starts a training of its own."""
        if self._under_way.get(training.config) is training:
            del self._under_way[training.config]

    def _work(self, worker: int) -> None:
        with self._lock:
            while not self._waiting and (left := self._warm_up_at - time.monotonic()) > 0:
                self._lock.wait(timeout=left)
        self.warm_up.run(worker)
        while True:
            self._run(self._next_training())

    def _run(self, training: SharedTraining) -> None:
        with self._lock:
            training.start()
        result, error = None, None
        try:
            train = self._train or _default_train()
            result = train(training.config, self.data, trainers=self.trainers,
                           on_epoch=lambda record: self._add_epoch(training, record),
                           on_progress=lambda *progress: training.advance(progress),
                           should_stop=lambda: self._nobody_left(training),
                           on_chunk=lambda run_so_far: self._let_leavers_go(training, run_so_far))
        except Exception as failure:  # a failed run must not take its slot down with it
            error = f"{type(failure).__name__}: {failure}"
        finally:
            with self._lock:
                self._forget(training)
                jobs = list(training.jobs)
                if result is not None and not result.stopped:
                    self.pace.measured(training.config, result.seconds)
                    self.recent.add(training.config, result)
            _end(jobs, result, error)
            with self._lock:
                self._running.remove(training)
                self.admission.release(training)
                self._lock.notify_all()  # its memory may let the first in line start

    def _add_epoch(self, training: SharedTraining, record: EpochRecord) -> None:
        with self._lock:  # a job joining now gets this epoch from the history, or is told it here
            training.add_epoch(record)

    def _nobody_left(self, training: SharedTraining) -> bool:
        """Whether every job has stopped or left; then the training stops, and takes no more."""
        with self._lock:
            if training.wanted():
                return False
            self._forget(training)
            return True

    def _let_leavers_go(self, training: SharedTraining, run_so_far: Callable[[], TrainingRun]) -> None:
        """Jobs that stop while others still watch leave with the run as it is now; the training
        goes on for the others (when all stop, the training itself stops)."""
        with self._lock:
            leaving = training.leavers()
        if leaving:
            _end(leaving, run_so_far(), None)


def _size_tensorflow(slots: int) -> None:
    from fmnist_core.training.loop import size_thread_pools  # imports TensorFlow, in a worker

    size_thread_pools(slots, training_cpus())


def _default_train():
    from fmnist_core.training.loop import train  # imports TensorFlow: in a worker, not in a page

    return train

"""A learner's desk: what the server holds for one seat while the learner has it open.

Every tab with the same seat link shares the desk, so a reload, a second tab or a dropped Wi-Fi
finds the same runs and the trainings still under way. A training goes on while any of the seat's
tabs is connected, or was within the last PRESENCE_GRACE_SECONDS (a reload takes a second or two).
A desk whose tabs have all been closed for SEAT_IDLE_SECONDS leaves the server's memory (its runs
are in the store, and come back with the seat's link or code): the server holds the learners who
are here, not every learner it has ever seen.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fmnist_core.host.environment import SEAT_IDLE_SECONDS
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.run_list import MODELS_KEPT, RunList
from fmnist_core.store import Seat
from fmnist_core.training.jobs import JobState, TrainingJob

PRESENCE_GRACE_SECONDS = 20.0
LOOK_AGAIN_SECONDS = 10.0
UNDER_WAY = (RunState.WAITING, RunState.RUNNING)


@dataclass
class Desk:
    seat: Seat
    runs: RunList = field(default_factory=RunList)
    jobs: list[TrainingJob] = field(default_factory=list)
    saved_models: set[str] = field(default_factory=set)  # runs whose weights the store holds
    never_started: list[str] = field(default_factory=list)  # waiting on a server that stopped
    _tabs: dict[str, float] = field(default_factory=dict, repr=False)  # session id → last seen
    _looked_at: float = field(default_factory=lambda: time.monotonic(), repr=False)  # at the store, last
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, session_id: str, now: float | None = None) -> None:
        """A tab with this seat ran a page."""
        self._tabs[session_id] = time.monotonic() if now is None else now

    def is_present(self, is_connected: Callable[[str], bool], now: float | None = None) -> bool:
        """Whether the learner is still here: a tab connected, or one seen within the grace time."""
        now = time.monotonic() if now is None else now
        for session_id in list(self._tabs):
            if is_connected(session_id):
                self._tabs[session_id] = now
                return True
        return any(now - seen < PRESENCE_GRACE_SECONDS for seen in self._tabs.values())

    @property
    def tabs(self) -> list[str]:
        """The session ids of every tab that ran a page of this seat here."""
        return list(self._tabs)

    def left_for(self, is_connected: Callable[[str], bool], now: float) -> float:
        """Seconds since the learner was last here (0 while a tab is connected or a training is
        under way)."""
        if self.is_present(is_connected, now) or any(job.active for job in self.jobs):
            return 0.0
        return now - max(self._tabs.values(), default=-math.inf)

    def collect_ended(self) -> list[TrainingJob]:
        """Takes the trainings that ended off the desk and adds their runs; returns those jobs.

        Several tabs of one seat may ask at once: each ended job is taken once.
        """
        with self._lock:
            ended = [job for job in self.jobs if not job.active]
            for job in ended:
                self.jobs.remove(job)
                if job.result is not None:
                    self.runs.add(job.result, job.name)
        return ended

    def due_for_a_look(self, now: float | None = None) -> bool:
        """Whether it shows an interrupted run and has not looked at the store for it lately."""
        now = time.monotonic() if now is None else now
        if now - self._looked_at < LOOK_AGAIN_SECONDS or not any(
                run.state is RunState.INTERRUPTED for run in self.runs):
            return False
        self._looked_at = now
        return True

    def update(self, stored: list[TrainingRun], saved_models: set[str]) -> None:
        """Takes from the store the runs this desk lacks or saw interrupted (another server may
        have finished them since); every other run keeps its object here, and its model in memory,
        and one the store does not have yet (its write pending) stays."""
        with self._lock:
            here = {run.run_id: run for run in self.runs}
            ids = {run.run_id for run in stored}
            self.runs = RunList([*(_newer(here.get(run.run_id), run) for run in stored),
                                 *(run for run in self.runs if run.run_id not in ids)])
            self.saved_models = saved_models

    def has_model(self, run: TrainingRun) -> bool:
        """In memory, or saved in the store (which keeps the newest MODELS_KEPT runs' weights)."""
        newest = {other.run_id for other in self.runs[-MODELS_KEPT:]}
        return run.model is not None or (run.run_id in self.saved_models and run.run_id in newest)

    def runs_with_model(self) -> list[TrainingRun]:
        return [run for run in self.runs if self.has_model(run)]

    def forget_runs(self) -> None:
        self.runs, self.saved_models = RunList(), set()

    def keep_only(self, run_ids: set[str], saved_models: set[str]) -> list[TrainingJob]:
        """Keeps the runs whose ids are in `run_ids` (`saved_models`: those of them whose weights the
        store holds now), and the trainings that wait or whose run is there; returns the others,
        taken off (those still running are to be stopped)."""
        with self._lock:
            self.runs = RunList([run for run in self.runs if run.run_id in run_ids])
            self.saved_models = saved_models
            gone = [job for job in self.jobs
                    if job.state is not JobState.WAITING and job.run_id not in run_ids]
            for job in gone:
                self.jobs.remove(job)
        return gone


class Desks:
    """Every desk this server holds, by seat token; a desk's runs come from the store when it opens."""

    def __init__(self, load_runs: Callable[[Seat], tuple[list[TrainingRun], set[str]] | None],
                 idle_seconds: float = SEAT_IDLE_SECONDS):
        """`load_runs(seat)` gives the seat's stored runs and the ids of those with saved weights,
        or None when the store cannot be read. A desk left `idle_seconds` is dropped by
        `drop_absent`."""
        if not 0 < idle_seconds < math.inf:
            raise ValueError(f"idle_seconds must be a positive number; got {idle_seconds!r}.")
        self._load_runs, self.idle_seconds = load_runs, idle_seconds
        self._desks: dict[str, Desk] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._desks)

    def drop_absent(self, is_connected: Callable[[str], bool], now: float | None = None) -> list[str]:
        """Drops the desks whose learner left `idle_seconds` ago or more (no tab connected, no
        training under way); returns the session ids of their tabs, all closed, so that the server
        can forget those too. Call it only while the store holds every write, so that a dropped
        desk's runs come back from it."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gone = [token for token, desk in self._desks.items()
                    if desk.left_for(is_connected, now) >= self.idle_seconds]
            return [session_id for token in gone for session_id in self._desks.pop(token).tabs]

    def drop_gone(self, seat: Seat) -> bool:
        """Takes off the seat's desk what the store no longer has: when its class was ended, the runs
        trained in it went with it, and its trainings still running in it stop. Its other runs, and
        its trainings still waiting (they will train outside the class), stay. Call it only once
        the store holds every write of this server, or a run not written yet would go too. False
        when the store cannot be read."""
        with self._lock:
            desk = self._desks.get(seat.token)
        if desk is None:
            return True
        loaded = self._load_runs(seat)
        if loaded is None:
            return False
        stored, saved_models = loaded
        for job in desk.keep_only({run.run_id for run in stored}, saved_models):
            job.cancel()
        return True

    def desk(self, seat: Seat, fresh: bool = False) -> Desk:
        """The seat's desk, opened with its stored runs the first time. `fresh` (a new tab) brings
        a desk with no training under way up to date with the store, where another server may have
        finished one of its runs since; a desk showing an interrupted run looks again every
        LOOK_AGAIN_SECONDS (its server may only have been slow)."""
        with self._lock:
            desk = self._desks.get(seat.token)
        if desk is not None:
            if not desk.jobs and (fresh or desk.due_for_a_look()) and (stored := self._stored(seat)):
                desk.update(*stored[:2])
            return desk
        stored, saved_models, never_started = self._stored(seat) or ([], set(), [])
        with self._lock:
            return self._desks.setdefault(seat.token, Desk(seat, RunList(stored), saved_models=saved_models,
                                                           never_started=never_started))

    def _stored(self, seat: Seat) -> tuple[list[TrainingRun], set[str], list[str]] | None:
        """The seat's runs as the store has them, the ids of those with weights, and the names of
        those that never started; None when the store cannot be read."""
        loaded = self._load_runs(seat)
        if loaded is None:
            return None
        stored, saved_models = loaded
        # A run still marked waiting or running that no training here is doing was lost with a
        # server (or is trained by another): one with epochs shows as interrupted; one that never
        # trained an epoch is not worth showing, only its name, once, so that its learner knows to
        # press Train again. The store keeps it: a server that was only slow finishes it there.
        lost = UNDER_WAY + (RunState.INTERRUPTED,)
        never_started = [run.name for run in stored if run.state in lost and not run.history]
        stored = [run for run in stored if run.history or run.state not in lost]
        for run in stored:
            if run.state in UNDER_WAY:
                run.state = RunState.INTERRUPTED
        return stored, saved_models, never_started


def _newer(here: TrainingRun | None, stored: TrainingRun) -> TrainingRun:
    if here is None or (here.state is RunState.INTERRUPTED and stored.state is not RunState.INTERRUPTED):
        return stored
    return here

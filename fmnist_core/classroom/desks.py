"""A learner's desk: what the server holds for one seat while the learner has it open.

Every tab with the same seat link shares the desk, so a reload, a second tab or a dropped Wi-Fi
finds the same runs and the trainings still under way. A training goes on while any of the seat's
tabs is connected, or was within the last PRESENCE_GRACE_SECONDS (a reload takes a second or two).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fmnist_core.jobs import TrainingJob
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.run_list import MODELS_KEPT, RunList
from fmnist_core.store import Seat

PRESENCE_GRACE_SECONDS = 20.0
UNDER_WAY = (RunState.WAITING, RunState.RUNNING)


@dataclass
class Desk:
    seat: Seat
    runs: RunList = field(default_factory=RunList)
    jobs: list[TrainingJob] = field(default_factory=list)
    saved_models: set[str] = field(default_factory=set)  # runs whose weights the store holds
    never_started: list[str] = field(default_factory=list)  # waiting on a server that stopped
    _tabs: dict[str, float] = field(default_factory=dict, repr=False)  # session id → last seen
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

    def has_model(self, run: TrainingRun) -> bool:
        """In memory, or saved in the store (which keeps the newest MODELS_KEPT runs' weights)."""
        newest = {other.run_id for other in self.runs[-MODELS_KEPT:]}
        return run.model is not None or (run.run_id in self.saved_models and run.run_id in newest)

    def runs_with_model(self) -> list[TrainingRun]:
        return [run for run in self.runs if self.has_model(run)]

    def forget_runs(self) -> None:
        self.runs, self.saved_models = RunList(), set()


class Desks:
    """Every desk this server holds, by seat token; a desk's runs come from the store when it opens."""

    def __init__(self, load_runs: Callable[[Seat], tuple[list[TrainingRun], set[str]] | None]):
        """`load_runs(seat)` gives the seat's stored runs and the ids of those with saved weights,
        or None when the store cannot be read."""
        self._load_runs = load_runs
        self._desks: dict[str, Desk] = {}
        self._lock = threading.Lock()

    def forget(self, seat: Seat) -> None:
        """Drops the seat's desk (its class was ended and deleted): its runs leave memory too."""
        with self._lock:
            desk = self._desks.pop(seat.token, None)
        for job in desk.jobs if desk else ():
            job.cancel()

    def desk(self, seat: Seat) -> Desk:
        """The seat's desk, opened with its stored runs the first time."""
        with self._lock:
            desk = self._desks.get(seat.token)
        if desk is not None:
            return desk
        stored, saved_models = self._load_runs(seat) or ([], set())
        # A run still marked waiting or running that no training here is doing was lost with a
        # server: one with epochs is interrupted; one that never trained an epoch is not worth
        # showing, only its name, once, so that its learner knows to press Train again.
        never_started = [run.name for run in stored if run.state in UNDER_WAY and not run.history]
        stored = [run for run in stored if run.history or run.state not in UNDER_WAY]
        for run in stored:
            if run.state in UNDER_WAY:
                run.state = RunState.INTERRUPTED
        with self._lock:
            return self._desks.setdefault(seat.token, Desk(seat, RunList(stored), saved_models=saved_models,
                                                           never_started=never_started))

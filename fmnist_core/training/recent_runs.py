"""`RecentRuns`: the trainings a server finished lately, kept to answer an identical request at once.

A class pressing Train with the same settings and seed gets the run one of them trained, without a
second training. Kept by count and by age: a finished model is 7.5 MB for two hidden layers of
1,024 neurons, worth holding while a class trains together, not all week; a later identical
request is answered from the run store instead.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fmnist_core.config import ExperimentConfig
from fmnist_core.run import TrainingRun

RECENT_RUNS_KEPT = 8
RECENT_RUNS_SECONDS = 60.0


class RecentRuns:
    def __init__(self, most: int = RECENT_RUNS_KEPT, seconds: float = RECENT_RUNS_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        if most < 0 or not seconds > 0:
            raise ValueError(f"Need most >= 0 and seconds > 0; got {most!r} and {seconds!r}.")
        self._most, self._seconds, self._clock = most, seconds, clock
        self._runs: OrderedDict[ExperimentConfig, tuple[TrainingRun, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._runs)

    def add(self, config: ExperimentConfig, run: TrainingRun) -> None:
        with self._lock:
            self._runs[config] = (run, self._clock())
            self._runs.move_to_end(config)
            while len(self._runs) > self._most:
                self._runs.popitem(last=False)

    def get(self, config: ExperimentConfig) -> TrainingRun | None:
        """The run finished lately for exactly `config`, if any."""
        self.forget_old()
        with self._lock:
            found = self._runs.get(config)
        return None if found is None else found[0]

    def forget_old(self) -> int:
        """Forgets the runs finished more than `seconds` ago; returns how many."""
        with self._lock:
            old = [config for config, (_, finished) in self._runs.items()
                   if self._clock() - finished >= self._seconds]
            for config in old:
                del self._runs[config]
        return len(old)

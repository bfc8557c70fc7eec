"""`Pace`: how long the queue's trainings take here, and so when a waiting one should start.

A training's estimate (`estimate.estimated_seconds`, from the server's `Calibration`) is scaled by
the pace measured on the trainings finished here: trainings side by side, or a busy server, take
longer than the calibration alone says.
"""

import heapq
import time
from collections.abc import Callable, Sequence

from fmnist_core.config import ExperimentConfig
from fmnist_core.training.estimate import DEFAULT_CALIBRATION, Calibration, estimated_seconds
from fmnist_core.training.job import Progress, fraction_done

PACE_WEIGHT = 0.3  # how much the latest finished training moves the queue's measured pace
# A training under way: its settings, when it started (None: not yet), and its progress.
UnderWay = tuple[ExperimentConfig, float | None, Progress]


class Pace:
    """Measured seconds ÷ estimated seconds of the trainings finished here (`factor`, a moving
    average), and the estimates it gives."""

    def __init__(self, calibration: Calibration = DEFAULT_CALIBRATION,
                 clock: Callable[[], float] = time.monotonic):
        self.calibration, self._clock = calibration, clock
        self.factor = 1.0

    def seconds_for(self, config: ExperimentConfig) -> float:
        """About how long a training of `config` takes here."""
        return self.factor * estimated_seconds(config, self.calibration)

    def seconds_left(self, config: ExperimentConfig, started: float | None, progress: Progress) -> float:
        """A running training's time left: from its own progress once it has some, else its
        estimate less the time it has run."""
        now = self._clock()
        elapsed = now - (started or now)
        done = fraction_done(progress, config.epochs)
        if done > 0.05:
            return elapsed * (1 - done) / done
        return max(0.0, self.seconds_for(config) - elapsed)

    def expected_start(self, ahead: Sequence[ExperimentConfig], running: Sequence[UnderWay],
                       slots: int) -> float:
        """About how many seconds from now a training starts that waits behind `ahead`, while
        `running` train on `slots` trainers: each estimated at this pace, shared out over the
        slots in their order."""
        free_at = [self.seconds_left(*training) for training in running]
        free_at += [0.0] * (slots - len(free_at))
        heapq.heapify(free_at)
        for config in ahead:
            heapq.heappush(free_at, heapq.heappop(free_at) + self.seconds_for(config))
        return free_at[0]

    def measured(self, config: ExperimentConfig, seconds: float) -> None:
        """Moves the pace towards this finished training's seconds ÷ its estimate."""
        estimate = estimated_seconds(config, self.calibration)
        ratio = min(max(seconds / estimate, 0.1), 10.0)  # one odd run moves it a little
        self.factor += PACE_WEIGHT * (ratio - self.factor)

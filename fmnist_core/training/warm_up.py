"""`WarmUp`: what each of the queue's workers does once, before its first training.

Each worker loads TensorFlow and compiles the lesson's model; the first one ready measures the
server's speed (the `Calibration` its `Pace` estimates with). Until one of them is ready, a page
says what they are doing, as one of GETTING_READY.
"""

import logging
import threading
from collections.abc import Callable

from fmnist_core.training.estimate import Calibration
from fmnist_core.training.pace import Pace
from fmnist_core.training.trainer_pool import TrainerPool

# What a trainer does once, before its first training, in order; as a page says it.
LOADING, COMPILING, MEASURING = ("loading TensorFlow", "compiling the lesson's model",
                                 "measuring this server's speed")
GETTING_READY = (LOADING, COMPILING, MEASURING)


class WarmUp:
    """Each step is optional: `load()`, then `prepare(trainers)`, then, by the first worker only,
    `calibrate(trainers)`, whose result becomes `pace.calibration`."""

    def __init__(self, workers: int, trainers: TrainerPool, pace: Pace, *,
                 load: Callable[[], None] | None = None,
                 prepare: Callable[[TrainerPool], None] | None = None,
                 calibrate: Callable[[TrainerPool], Calibration] | None = None):
        self._trainers, self._pace = trainers, pace
        self._load, self._prepare, self._calibrate = load, prepare, calibrate
        first = LOADING if load else COMPILING if prepare else MEASURING if calibrate else None
        self._steps: list[str | None] = [first] * workers  # each worker's; None once it trains
        self._calibration_started = False
        self._lock = threading.Lock()

    @property
    def step(self) -> str | None:
        """What the workers are doing before the first of them can take a training (one of
        GETTING_READY, the furthest along), or None once one can: a job that waits now waits for
        that, not for another's training."""
        with self._lock:
            if None in self._steps:
                return None
            return max(self._steps, key=GETTING_READY.index)

    def run(self, worker: int) -> None:
        """Worker number `worker`'s steps; a failed one costs only time (the jobs still run, and
        report their errors)."""
        try:
            if self._load:
                self._now(worker, LOADING)
                self._load()
            if self._prepare:
                self._now(worker, COMPILING)
                self._prepare(self._trainers)
        except Exception:
            logging.getLogger(__name__).exception("preparing a trainer failed")
        self._calibrate_once(worker)
        self._now(worker, None)

    def _now(self, worker: int, step: str | None) -> None:
        with self._lock:
            self._steps[worker] = step

    def _calibrate_once(self, worker: int) -> None:
        """The first worker ready measures this server's speed; the others go on to their jobs."""
        with self._lock:
            if self._calibrate is None or self._calibration_started:
                return
            self._calibration_started = True
            self._steps[worker] = MEASURING
        try:
            self._pace.calibration = self._calibrate(self._trainers)
        except Exception:  # the default calibration stays: estimates are rougher, nothing else
            logging.getLogger(__name__).exception("calibrating the trainings' estimates failed")

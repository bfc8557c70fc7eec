"""Compiled trainers kept for reuse, by what they are compiled for (no TensorFlow here).

Compiling a training loop takes longer than a short training, so the queue keeps the trainers its
runs finish with: the next run of the same architecture starts at once. The pool is bounded: past
`limit` idle trainers, the least recently used ones go.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

MAX_IDLE_TRAINERS = 12  # compiled trainers kept, whatever the architectures a class tries


class TrainerPool:
    """Idle trainers by key; `borrow` lends one (or makes one) and takes it back afterwards."""

    def __init__(self, limit: int = MAX_IDLE_TRAINERS):
        if limit < 0:
            raise ValueError(f"limit must be at least 0, got {limit}")
        self.limit = limit
        self._idle: OrderedDict[Hashable, list] = OrderedDict()  # most recently used last
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self, key: Hashable, make: Callable[[], object]) -> Iterator[object]:
        """An idle trainer for `key`, or `make()`; kept for reuse when the block ends."""
        with self._lock:
            idle = self._idle.get(key)
            trainer = idle.pop() if idle else None
        trainer = trainer or make()
        try:
            yield trainer
        finally:
            self.keep(key, trainer)

    def keep(self, key: Hashable, trainer: object) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(trainer)
            self._idle.move_to_end(key)
            while sum(map(len, self._idle.values())) > self.limit:
                oldest_key, oldest = next(iter(self._idle.items()))
                oldest.pop(0)
                if not oldest:
                    del self._idle[oldest_key]

    def idle(self) -> dict[Hashable, int]:
        """How many idle trainers there are for each key, the least recently used first."""
        with self._lock:
            return {key: len(trainers) for key, trainers in self._idle.items()}

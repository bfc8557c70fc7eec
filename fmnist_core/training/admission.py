"""`MemoryAdmission`: whether the first training in line may start, given the server's memory limit.

A training starts only if the server stays under MEMORY_SHARE of its limit with the memory the
training is estimated to add (`estimate.memory_needed`); the first in line waits until it does, and
one that could not start even on an idle server is refused at once.
"""

from collections.abc import Callable, Hashable

from fmnist_core.config import ExperimentConfig
from fmnist_core.host.environment import server_memory_usage
from fmnist_core.training.estimate import memory_needed

# A training starts only if the server stays under this share of its memory limit: the estimate
# is rough, and the pages, the desks and Python's garbage need room too.
MEMORY_SHARE = 0.85


class NeverFits(Exception):
    """A training needs more memory than the server can give it even with no other running."""


class MemoryAdmission:
    """`admit` a training before it starts, `release` it when it ends. Not thread-safe: the queue
    calls it under its lock."""

    def __init__(self, memory_limit: int | None = None,
                 memory_usage: Callable[[], int | None] = server_memory_usage):
        """`memory_limit` in bytes (None: every training may start at once); `memory_usage()`
        the bytes the server uses now."""
        if memory_limit is not None and memory_limit <= 0:
            raise ValueError(f"memory_limit must be more than 0 bytes, got {memory_limit}")
        self.memory_limit, self._memory_usage = memory_limit, memory_usage
        self._admitted: dict[Hashable, int] = {}  # each running training's estimated bytes
        self._empty_usage: int | None = None  # the memory in use when no training last ran

    def admit(self, key: Hashable, config: ExperimentConfig) -> str | None:
        """None if a training of `config` may start now (it counts as `key` until released),
        else why it waits; raises NeverFits if it could not start even with none running."""
        needed = memory_needed(config) if self.memory_limit else 0
        in_use, empty = self._in_use()
        if self.memory_limit and empty + needed > self._room:
            raise NeverFits(
                f"This training needs about {_gigabytes(needed)} GB of memory, more than the server "
                f"can give it even with no other training running (it is at {_gigabytes(empty)} of "
                f"its {_gigabytes(self.memory_limit)} GB, and trainings may fill it to "
                f"{MEMORY_SHARE:.0%}): try a smaller batch or fewer neurons.")
        if self.memory_limit and in_use + needed > self._room:
            return (f"memory: the server is at {_gigabytes(in_use)} of its "
                    f"{_gigabytes(self.memory_limit)} GB, and this training needs about "
                    f"{_gigabytes(needed)} GB")
        self._admitted[key] = needed
        return None

    def release(self, key: Hashable) -> None:
        """The training admitted as `key` has ended."""
        self._admitted.pop(key, None)

    @property
    def _room(self) -> float:
        return MEMORY_SHARE * self.memory_limit

    def _in_use(self) -> tuple[int, int]:
        """Bytes in use now, and with no training running (both 0 without a memory limit).

        The server's usage lags behind a training that has just started, so each running one counts
        at least the memory it was admitted with, on top of the usage with none running.
        """
        if not self.memory_limit:
            return 0, 0
        usage = self._memory_usage() or 0
        if not self._admitted:
            self._empty_usage = usage
        empty = self._empty_usage or 0
        return max(usage, empty + sum(self._admitted.values())), empty


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:.1f}"

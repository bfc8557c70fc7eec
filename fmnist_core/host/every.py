"""`Every`: one function called every few seconds on a thread of its own, until stopped.

For a server's upkeep that no visitor starts: dropping the desks of learners who left, deleting
expired runs. A call that raises is logged, and the next one comes as planned.
"""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Every:
    def __init__(self, seconds: float, work: Callable[[], object], name: str):
        if not seconds > 0:
            raise ValueError(f"seconds must be more than 0; got {seconds!r}.")
        self._seconds, self._work = seconds, work
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Every":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._seconds):
            try:
                self._work()
            except Exception:
                log.exception("%s failed; it runs again in %.0f s.", self._thread.name, self._seconds)

"""`Heartbeat`: one app server telling the others, through the shared database, that it is alive.

Several servers behind a load balancer share one database, and each trains its own sessions'
runs. When one dies (killed, powered off), nobody is left to say that its runs will never finish;
so every server writes a heartbeat every few seconds, and each beat also marks the runs of servers
silent for longer than `SILENT_AFTER_SECONDS` as lost (interrupted, with their epochs). A survivor
thus tidies up after a dead server within about half a minute, while a living one is never
touched: its heartbeat is fresh. A server whose beats are held up longer (its database
unreachable) may have a run marked interrupted under it; finishing the run marks it done again.
"""

import logging
import threading

from fmnist_core.store.writer import StoreWriter

log = logging.getLogger(__name__)

BEAT_SECONDS = 5.0
SILENT_AFTER_SECONDS = 30.0  # six beats missed: the server is gone


class Heartbeat:
    """Beats for `server` through `writer`'s store on a thread of its own, until `stop()` or the
    writer's `close()`."""

    def __init__(self, writer: StoreWriter, server: str, every: float = BEAT_SECONDS,
                 silent_after: float = SILENT_AFTER_SECONDS):
        if not 0 < every < silent_after:
            raise ValueError(f"Need 0 < every < silent_after; got {every!r} and {silent_after!r}.")
        self._writer, self._server = writer, server
        self._every, self._silent_after = every, silent_after
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def beat(self) -> int | None:
        """One heartbeat now; returns how many runs of silent servers it found lost, None when the
        database did not answer (the writer then tells the pages)."""
        lost = self._writer.write_now(lambda store: store.heartbeat(self._server, self._silent_after))
        if lost:
            log.warning("Marked %d runs of app servers silent for %.0f s as lost.", lost, self._silent_after)
        return lost

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._writer.closed:  # the server's store closed: nothing left to beat for
            self.beat()
            if self._stopped.wait(self._every):
                return

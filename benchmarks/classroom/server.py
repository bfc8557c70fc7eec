"""The app servers under load: one the benchmark starts (`Server`: its threads' stacks on SIGUSR1,
ended with the benchmark), and, with --kill-server-at, one of the stack's servers killed mid-lesson
(`Kill`: which one, when, the students it leaves behind, the survivors marking its runs), then
started again (`restart_and_open`)."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import exists, func, select

from benchmarks.classroom.student import Student, open_page, server_of
from fmnist_core.run import RunState
from fmnist_core.store import RunStore
from fmnist_core.store.tables import epochs, runs
from tools.browser import VIEWPORT
from tools.server import REPO, AppServer

KILLED_IDLE_SECONDS = 3  # a page back on a survivor, showing no training for this long: it vanished
RETRAINS = 3  # a student presses Train again at most this often after its server was killed
BUSY_WAIT_SECONDS = 60  # for a server training a run with an epoch saved, to kill it then
STACK = REPO / "deploy" / "stack.py"


def _die_with_parent() -> None:
    """In the server's process before it starts: the kernel ends it if the benchmark dies."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# Put on the server's PYTHONPATH (the app unchanged): `kill -USR1 <server>` writes every thread's
# Python stack to its log, which is how a stalled class is diagnosed.
SITECUSTOMIZE = """import faulthandler, signal, sys
faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
"""


class Server(AppServer):
    """The app under load: `kill -USR1` writes its threads' stacks to its log, and it ends if the
    benchmark dies."""

    def __init__(self, folder: Path, env: dict, port: int, app_dir: Path = REPO):
        (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))}
        super().__init__(folder, env, port, preexec_fn=_die_with_parent, app_dir=app_dir)

    def dump_stacks(self) -> None:
        """Every server thread's Python stack, into the log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(2)


@dataclass
class Kill:
    """The app server killed mid-lesson (--kill-server-at)."""
    after: float  # seconds after the first Train
    server: dict | None = None  # its entry in stack.json
    moment: float | None = None  # time.time() of the SIGKILL
    marked: float | None = None  # time.time() when the database held none of its runs unfinished

    def lost_under(self, student: Student, seen: dict) -> bool:
        """Whether the student's server was killed under its training and its page, back on a
        survivor, shows the training interrupted, or no training at all (it had no epoch, or the
        click went to the dying server): then, as a student would, it presses Train again."""
        if self.moment is None or student.server != self.server["name"] \
                or seen.get("sockets", 1) < 2 or len(student.retrains) >= RETRAINS:
            return False
        if "interrupted" in seen and not student.retrains:
            return True
        if "idleSince" not in seen:
            return False
        idle_since = seen["idleSince"] / 1000
        if not (student.waiting or student.progress or student.retrains):
            # Its click was never answered before the kill (the dying server too busy): once back
            # on a survivor, still nothing, it presses again.
            return time.time() - max(idle_since, self.moment) > KILLED_IDLE_SECONDS
        return idle_since > max([self.moment, *student.retrains]) \
            and time.time() - idle_since > KILLED_IDLE_SECONDS

    async def strike(self, classroom) -> None:
        """Once the time has come, the app server of `classroom`'s stack training the most runs that
        have an epoch saved (waited for, at most BUSY_WAIT_SECONDS) is killed, as a crash would;
        then waits until a survivor has marked its runs."""
        await classroom.all_loaded.wait()
        await asyncio.sleep(max(classroom.first_click + self.after - time.time(), 0))
        servers = json.loads((classroom.stack / "stack.json").read_text())["servers"]
        store, busy = RunStore(classroom.database_url, migrate=False), {}
        try:
            deadline = time.monotonic() + BUSY_WAIT_SECONDS
            while not busy and time.monotonic() < deadline:
                busy = await asyncio.to_thread(training_by_server, store)
                await asyncio.sleep(0.1)
        finally:
            store.close()
        students = classroom.students
        victim = max(servers, key=lambda server: (busy.get(server_name(server), 0),
                                                  sum(s.server == server["name"] for s in students)))
        os.kill(victim["pid"], signal.SIGKILL)
        self.server, self.moment = victim, time.time()
        print(f"[{time.monotonic() - classroom.started:6.1f} s] killed {victim['name']} "
              f"(pid {victim['pid']}), training {busy.get(server_name(victim), 0)} runs with an epoch "
              "saved", file=sys.stderr, flush=True)
        await asyncio.to_thread(self.wait_until_marked, classroom.database_url, classroom.deadline)

    def wait_until_marked(self, database_url: str, deadline: float) -> None:
        """Until a survivor has marked every unfinished run of the killed server as lost."""
        store, name = RunStore(database_url, migrate=False), server_name(self.server)
        try:
            while unfinished_of(store, name) and time.monotonic() < deadline:
                time.sleep(0.5)
            if not unfinished_of(store, name):
                self.marked = time.time()
        finally:
            store.close()


def server_name(server: dict) -> str:
    """An app server of the stack as the run store names it (ui/resources.server_name)."""
    return f"{socket.gethostname()}:{server['port']}"


def training_by_server(store: RunStore) -> dict[str, int]:
    """Runs training now with an epoch saved, by the server that trains them."""
    with store.engine.connect() as connection:
        return dict(connection.execute(
            select(runs.c.server, func.count())
            .where(runs.c.state == RunState.RUNNING.value, exists().where(epochs.c.run == runs.c.id))
            .group_by(runs.c.server)).all())


def unfinished_of(store: RunStore, server: str) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(runs).where(
            runs.c.server == server,
            runs.c.state.in_([RunState.WAITING.value, RunState.RUNNING.value])))


async def restart_and_open(browser, stack: Path, url: str, sessions: int = 4) -> dict[str, int]:
    """The killed server started again (the stack's `start`); then `sessions` new browsers open
    Home, each kept open while the next comes: where the balancer sends each."""
    await asyncio.to_thread(subprocess.run, [sys.executable, STACK, "start", "--folder", stack],
                            check=True, capture_output=True, timeout=300)
    contexts, where = [], {}
    try:
        for _ in range(sessions):
            contexts.append(await browser.new_context(viewport=VIEWPORT, base_url=url))
            page = await contexts[-1].new_page()
            await page.goto("/")
            await open_page(page, "")
            server = await server_of(contexts[-1])
            where[server] = where.get(server, 0) + 1
    finally:
        for context in contexts:
            await context.close()
    return where

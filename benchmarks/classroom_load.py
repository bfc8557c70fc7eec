"""A class at once: N students open Build & train in a real browser and press Train together.

    python -m benchmarks.classroom_load [--sessions 30] [--train-size 5000] [--epochs 2]
        [--runs 1] [--class | --classes N] [--plan NAME] [--stagger 10] [--timeout 900]
        [--port 0] [--slots K] [--data-dir DIR] [--database-url URL] [--trace FILE]
        [--url URL | --stack FOLDER [--kill-server-at SECONDS]]

Starts `streamlit run app.py` on 127.0.0.1 (a free port unless --port), with FMNIST_DATA_DIR
(--data-dir, else the environment's, else ../shared/data/fashion-mnist beside the repository)
and TF_CPP_MIN_LOG_LEVEL=2. A thread samples the server's process tree every 0.25 s: RSS (VmRSS
of the server and its children, from /proc) and CPU. One Chromium, one browser context per
student (each is its own Streamlit session), driven with Playwright's async API:

1. every student opens `/Build_and_train?train_size=…&epochs=…&seed=…` at once;
2. once all pages have loaded, student i presses "▶ Train" at i/(N-1) of the --stagger window;
3. a small script in each page notes (browser clock, same machine) when it first shows the
   queue ("waiting for a free trainer — N trainings ahead of you" or "— you are next"), a
   progress bar, the first "epoch 1 of E" progress text, the success box ("Run 1: test accuracy
   84.40%") or an error;
4. on success the student goes to Compare runs by the sidebar (the same session) and downloads
   the table as CSV; again once every student has finished. Each time the table must hold
   exactly one run, "Run 1", with this student's training-image count and test accuracy;
5. with --runs N, the student then trains N − 1 more runs on Build & train, one after another
   (the table must then hold Run 1 … Run N, all theirs): the server holds every student's runs.

With --class (--classes N: N classes, student i in class i mod N), a teacher first starts a class
on Home and keeps its board open all along, in a browser of its own at normal priority
(`benchmarks.board_watch`: the teacher's laptop); each student joins the class (its code and a
nickname, "student i") on Home before opening Build & train. The board's page notes (browser clock,
this machine's) each time the number of points on its figure changes: the k-th point's latency is
from the k-th run's end (its `finished_at` in the database) to the board showing k points
(`board_p95_s`); `board_points` is what the boards show at the end, and `boards_complete` whether
each shows exactly its class's finished runs. With --plan (a ready-made class experiment, e.g.
"Normalised or raw"), the teacher sets it before anyone joins; `plan_parts` counts, per class,
the finished runs of each of its values, which the store's round-robin keeps balanced.

Against servers of its own making: --url drives the app at that address (no server is started;
--database-url names its run store), and --stack FOLDER drives the classroom that
`deploy/stack.py start --folder FOLDER` runs (HAProxy in front of several app servers, one
PostgreSQL; its address, database and servers from FOLDER/stack.json), sampling every app
server's memory. `sessions_per_server` counts the students on each server by the balancer's
cookie. With --kill-server-at S, S seconds after the first Train the app server training the
most runs (one with an epoch saved, waited for) is killed with SIGKILL: its students' pages
reconnect through the balancer to a survivor, where a student whose training shows as
interrupted presses "Train again with these settings" and one whose training vanished (it had
not finished an epoch, or its click was not answered before the kill) presses Train again
(`retrained`); `reconnected` counts the killed
server's students who finished on a survivor, `interrupted` the runs the database then holds as
interrupted, `marked_lost_s` how long after the kill a survivor had marked all of the dead
server's runs. At the end the killed server is started again (`stack.py start`) and 4 new
browsers open the app: `after_restart_sessions` says where the balancer sent them.

The server saves every run in its run store (--database-url, else a SQLite file in the log folder).
Afterwards the benchmark reads that database: `lost` counts the students whose finished runs are not
all there as they saw them (name, state, training images, test accuracy), `epoch_save_p95_ms` is
the 95th percentile of the time from an epoch's end in a training to its row in the database, and
`db_size_mb` the SQLite file's size.

Each student's run is made identifiable: its own seed (101 + i) and its own training-image count
(train_size − i: one image fewer per student, the same work) — the Compare table shows the image
count but not the seed. A "leak" is a student who saw a run that is not theirs or more than one
run: a table that is not exactly their one run (or, after a kill, their interrupted run and the one
trained again), a result not named "Run 1" (then "Run 2"), or more than one training (progress bar
or waiting line) on their page at once.

Times, per student, in seconds:
- wait  = click → first "epoch … of …" progress text: the whole time a student looks at a
  waiting line or "building and compiling" before the first epoch advances (queue + model
  build + XLA compile + first chunk); for a training so short that its page never showed it
  running, click → the result. `queue` = click → the first progress bar of any kind (the job
  left the waiting line);
- train = first epoch progress → the success box (the rest of the training, the final test
  evaluation and the page's rerun). The pages redraw every second, so times are ±1 s.
`run_s` is the training time the app itself reports (the Compare table's "seconds").

Prints one JSON line (see `summary`); progress and per-student failures go to stderr, the server
log and screenshots of failing pages to artifacts/classroom_load/. Everything is bounded by
--timeout; all traffic stays on 127.0.0.1.
"""

import argparse
import asyncio
import csv
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import exists, func, select
from sqlalchemy.engine import make_url

from fmnist_core.classroom.plans import PLANS
from fmnist_core.host.environment import DATABASE_URL_ENV, training_slots
from fmnist_core.run import RunState
from fmnist_core.store import RunStore, Seat
from fmnist_core.store.tables import epochs, runs
from tools.browser import CHROMIUM, CHROMIUM_ARGS, EXCEPTION, TITLES, VIEWPORT
from tools.server import REPO, SHARED_DATA_DIR, AppServer, free_port

ARTIFACTS = REPO / "artifacts" / "classroom_load"  # a folder per run: server.log, failing pages
SERVER_START_SECONDS = 60
SAMPLE_SECONDS = 0.25
POLL_SECONDS = 0.5  # how often Python reads what each page noted (the page notes every 0.2 s)
SEED_BASE = 101
GRACE_SECONDS = 15  # kept at the end of --timeout to record failures and close
VANISHED_SECONDS = 20  # after a training showed: the Train button back, no training nor result
RETRY_SECONDS = 30  # after a server was killed: a download not there by then is asked for again
DOWNLOAD_TRIES = 3  # a download Chromium cancels is asked for again, at most this often in all
DOWNLOAD_SECONDS = 120  # the last try's wait for a download: a student stuck longer fails
KILLED_IDLE_SECONDS = 3  # a page back on a survivor, showing no training for this long: it vanished
RETRAINS = 3  # a student presses Train again at most this often after its server was killed
BUSY_WAIT_SECONDS = 60  # for a server training a run with an epoch saved, to kill it then
BALANCER_COOKIE = "FMNIST_SERVER"  # the cookie deploy/haproxy.cfg sets: the session's app server
STACK = REPO / "deploy" / "stack.py"

# Runs in every page of a student's browser context (it survives the sidebar's in-app
# navigation): stamps with Date.now() the first time each state shows.
WATCH_JS = r"""
(() => {
  if (window.__classroom) return;
  const seen = window.__classroom = {maxJobs: 0, aheads: [], sockets: 0, closes: 0};
  const stamp = (key) => { if (!(key in seen)) seen[key] = Date.now(); };
  const Native = window.WebSocket;  // counts Streamlit's connections and their losses
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      seen.sockets += 1;
      this.addEventListener('close', () => { seen.closes += 1; });
    }
  };
  // An element a rerun is about to replace stays on screen, greyed, until then: not counted.
  const current = (element) => !element.closest('[data-stale="true"]');
  setInterval(() => {
    let jobs = 0;
    for (const alert of [...document.querySelectorAll('[data-testid="stAlert"]')].filter(current)) {
      const text = alert.innerText;
      const ahead = text.match(/waiting for [^—]*— (?:(\d+) trainings? ahead of you|you are next)/);
      if (ahead) {
        jobs += 1;
        stamp('waiting');
        seen.last = text.slice(0, 200);
        const n = +(ahead[1] || 0);
        if (seen.aheads[seen.aheads.length - 1] !== n) seen.aheads.push(n);
      }
      if (/test accuracy/.test(text)) { stamp('result'); seen.resultText = text; }
      if (/was interrupted/.test(text)) stamp('interrupted');
      if (/Training failed/.test(text)) { stamp('failed'); seen.errorText = text.slice(0, 500); }
    }
    for (const bar of [...document.querySelectorAll('[data-testid="stProgress"]')].filter(current)) {
      jobs += 1;
      stamp('progress');
      seen.last = bar.innerText.slice(0, 200);
      if (/epoch \d+ of \d+/i.test(bar.innerText)) stamp('epoch');
    }
    seen.maxJobs = Math.max(seen.maxJobs, jobs);
    const error = document.querySelector('[data-testid="stException"]');
    if (error) { stamp('exception'); seen.exceptionText = error.innerText.slice(0, 500); }
    // Idle: the Train button back, no training and no result, the script ended.
    const idle = jobs === 0 && !('result' in seen)
      && document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
      && [...document.querySelectorAll('button')].some((b) => b.innerText.includes('▶ Train'));
    if (!idle) delete seen.idleSince; else if (!('idleSince' in seen)) seen.idleSince = Date.now();
  }, 200);
})();
"""
RESULT = re.compile(r"(Run \d+)( \(stopped[^)]*\))?: test accuracy (\d+\.\d\d)%")


# ---------------------------------------------------------------- the server and its memory

def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all its threads (ended ones too)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # minus idle and iowait


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/<pid>/task/<tid>/children)."""
    tree, index = [pid], 0
    while index < len(tree):
        try:
            for task in os.listdir(f"/proc/{tree[index]}/task"):
                with open(f"/proc/{tree[index]}/task/{task}/children") as children:
                    tree.extend(int(child) for child in children.read().split())
        except OSError:
            pass  # gone meanwhile
        index += 1
    return tree


class Sampler:
    """Samples every SAMPLE_SECONDS, in a thread: the app servers' trees' RSS (MB, all together and
    each server's peak) and CPU (% of one core), the CPU of this benchmark's other children
    (Playwright's driver and Chromium, % of one core) and the whole machine's CPU (% of all its
    cores, other people's work included)."""

    def __init__(self, pids: list[int], browser_nice: int = 0):
        # (monotonic time, servers' RSS MB, servers' CPU %, browser CPU %, machine CPU %)
        self.pids, self.samples, self.browser_nice = pids, [], browser_nice
        self.peaks = dict.fromkeys(pids, 0.0)  # each server's peak RSS, MB
        self.exempt: set[int] = set()  # processes (with their trees) that are not students' browsers
        self._done = threading.Event()
        self._ticks_per_second = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def now(self) -> tuple[float, int]:
        """(RSS MB, CPU ticks) of the servers' trees now."""
        rss, ticks = 0, 0
        for server in self.pids:
            tree_rss = 0
            for pid in process_tree(server):
                try:
                    tree_rss, ticks = tree_rss + rss_kb(pid), ticks + cpu_ticks(pid)
                except (OSError, StopIteration):
                    pass  # a child that just ended, or a server killed
            self.peaks[server] = max(self.peaks[server], tree_rss / 1024)
            rss += tree_rss
        return rss / 1024, ticks

    def servers_tree(self) -> set[int]:
        return set().union(*(process_tree(pid) for pid in self.pids))

    def _browser_ticks(self, server: set[int]) -> int:
        """CPU ticks of the browsers; keeps them at `browser_nice` (Chromium sets its own
        processes' priorities, some above the server's, on this machine that stands in for 30)."""
        ticks = 0
        others = server.union(*(process_tree(pid) for pid in tuple(self.exempt)))  # grows meanwhile
        for pid in process_tree(os.getpid())[1:]:
            if pid not in others:
                try:
                    ticks += cpu_ticks(pid)
                    for thread in map(int, os.listdir(f"/proc/{pid}/task")):  # nice is per thread
                        if os.getpriority(os.PRIO_PROCESS, thread) < self.browser_nice:
                            os.setpriority(os.PRIO_PROCESS, thread, self.browser_nice)
                except OSError:
                    pass
        return ticks

    def _run(self) -> None:
        last = time.monotonic(), self.now()[1], self._browser_ticks(self.servers_tree()), *machine_ticks()
        while not self._done.wait(SAMPLE_SECONDS):
            (rss, ticks), moment = self.now(), time.monotonic()
            now = moment, ticks, self._browser_ticks(self.servers_tree()), *machine_ticks()
            seconds = max(now[0] - last[0], 1e-3) * self._ticks_per_second
            self.samples.append((moment, rss, 100 * max(now[1] - last[1], 0) / seconds,
                                 100 * max(now[2] - last[2], 0) / seconds,
                                 100 * (now[3] - last[3]) / max(now[4] - last[4], 1)))
            last = now

    def start(self) -> "Sampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def peak(self) -> float:
        return max((sample[1] for sample in self.samples), default=self.now()[0])

    def mean(self, column: int, start: float, end: float) -> float | None:
        """The mean of a column of the samples (2: server CPU, 3: browser, 4: machine) between two times."""
        values = [sample[column] for sample in self.samples if start <= sample[0] <= end]
        return round(statistics.fmean(values)) if values else None


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


# ---------------------------------------------------------------- the students

@dataclass
class Student:
    index: int
    seed: int
    train_size: int
    loaded: float | None = None  # time.time() of each step
    clicked: float | None = None
    waiting: float | None = None  # first time the waiting line showed
    progress: float | None = None  # first progress bar (compiling or epoch)
    epoch: float | None = None  # first "epoch … of …" text
    result: float | None = None
    aheads: list[int] = field(default_factory=list)  # the "N ahead of you" it saw, in order
    max_jobs: int = 0
    last: str = ""  # the last waiting line or progress text its page showed
    reconnects: int = 0  # websocket connections its page opened after the first
    seat: str | None = None  # the seat token in its page's link
    server: str | None = None  # where the balancer sent its browser (its cookie), once loaded
    server_at_end: str | None = None
    interrupted: int = 0  # 1 once its page showed its training interrupted (its server killed)
    retrains: list[float] = field(default_factory=list)  # time.time() of each Train again, after a kill
    trained: int = 0  # runs finished, as its page said
    accuracy: float | None = None  # percent, from the first success box
    run_s: float | None = None  # the app's own training time, from the table
    checks: int = 0  # Compare tables read and found right
    download_retries: int = 0  # downloads asked for again because Chromium canceled them
    leak: str | None = None
    error: str | None = None
    done: bool = False

    @property
    def finished(self) -> bool:
        return self.result is not None and self.error is None

    def expected_runs(self) -> list[tuple[str, str]]:
        """(name, how it ended) of each run it should have, in order: an interrupted one first,
        if its server was killed under it, then those it finished."""
        ends = ["interrupted"] * self.interrupted + ["done"] * self.trained
        return [(f"Run {number}", end) for number, end in enumerate(ends, start=1)]

    def fail(self, error: str) -> None:
        if self.error is None:
            self.error = error


def check_table(student: Student, text: str) -> None:
    """The Compare table's CSV must be exactly this student's runs, Run 1 … Run N."""
    rows = list(csv.DictReader(io.StringIO(text)))
    first_done = student.interrupted
    mine = ([(row["run"], row["ended"]) for row in rows] == student.expected_runs()
            and all(int(row["train images"]) == student.train_size for row in rows)
            and student.accuracy is not None
            and abs(float(rows[first_done]["test accuracy"]) * 100 - student.accuracy) < 0.0051)
    if not mine:
        student.leak = student.leak or f"table {[dict(row) for row in rows]}"
    else:
        student.run_s = float(rows[first_done]["seconds"])
        student.checks += 1


async def read_table(page, student: Student, tries: int = 1) -> None:
    """Downloads Compare's table and checks it. With `tries`, a download that does not start
    within RETRY_SECONDS (the page's server killed meanwhile, the page reconnecting) is asked for
    again; a download that Chromium cancels (it does, now and then, with 40 pages on 2 cores,
    though the balancer's log shows the server sent the file whole) is asked for again, up to
    DOWNLOAD_TRIES times, and counted in `download_retries`."""
    for attempt in range(1, max(tries, DOWNLOAD_TRIES) + 1):
        try:
            wait = RETRY_SECONDS if attempt < tries else DOWNLOAD_SECONDS
            async with page.expect_download(timeout=wait * 1000) as download_info:
                await page.get_by_role("button", name="Table as CSV").click()
            download = await download_info.value
            path = await download.path()
            break
        except PlaywrightTimeoutError:
            if attempt >= tries:
                raise
        except PlaywrightError as error:
            if "canceled" not in str(error) or attempt >= DOWNLOAD_TRIES:
                raise
            student.download_retries += 1
    check_table(student, Path(path).read_text())
    await page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


async def open_page(page, path: str) -> None:
    """Waits for the page's title and the end of its script run, with no exception box."""
    await page.get_by_role("heading", name=TITLES[path], level=1).wait_for()
    await page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    if await page.locator(EXCEPTION).count():
        raise RuntimeError(f"exception on {path}: {await page.locator(EXCEPTION).first.inner_text()}")


def note(student: Student, seen: dict) -> None:
    """Copies what the page noted (milliseconds since the epoch) into the student."""
    for key in ("waiting", "progress", "epoch", "result"):
        if key in seen and getattr(student, key) is None:
            setattr(student, key, seen[key] / 1000)
    student.aheads, student.max_jobs = seen.get("aheads", []), seen.get("maxJobs", 0)
    student.last = seen.get("last", "")
    student.reconnects = max(seen.get("sockets", 1) - 1, 0)
    pressed = max([student.clicked, *student.retrains])  # a page idle since before is not counted
    if (student.waiting or student.progress) and "idleSince" in seen \
            and time.time() - max(seen["idleSince"] / 1000, pressed) > VANISHED_SECONDS:
        student.fail(f"training vanished: no training, no result, no error ({student.reconnects} "
                     f"reconnects; last shown: {student.last!r})")
    if student.max_jobs > 1:
        student.leak = student.leak or f"{student.max_jobs} trainings on its page at once"
    if "exception" in seen:
        student.fail(f"exception: {seen.get('exceptionText', '')[:200]}")
    if "failed" in seen:
        student.fail(seen.get("errorText", "Training failed")[:200])


async def server_of(context) -> str | None:
    """The app server the balancer keeps this browser on (its cookie); None without a balancer."""
    return next((cookie["value"] for cookie in await context.cookies()
                 if cookie["name"] == BALANCER_COOKIE), None)


@dataclass
class TaughtClass:
    """One class of the benchmark: its code, its teacher's key, what its board showed."""
    code: str
    key: str
    board_changes: list = field(default_factory=list)  # [[ms, points], …] from board_watch


@dataclass
class Kill:
    """The app server killed mid-lesson (--kill-server-at)."""
    after: float  # seconds after the first Train
    server: dict | None = None  # its entry in stack.json
    moment: float | None = None  # time.time() of the SIGKILL
    marked: float | None = None  # time.time() when the database held none of its runs unfinished


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


class Classroom:
    def __init__(self, url: str, students: list[Student], epochs: int, runs: int, stagger: float,
                 deadline: float, opening: int, folder: Path, database_url: str, classes: int = 0,
                 plan: str | None = None, stack: Path | None = None, kill_after: float | None = None):
        self.url, self.students, self.epochs, self.runs = url, students, epochs, runs
        self.database_url, self.class_count, self.plan = database_url, classes, plan
        self.classes: list[TaughtClass] = []
        self.stack = stack
        self.kill = None if kill_after is None else Kill(kill_after)
        self.table_tries = 1 if self.kill is None else 3
        self.after_restart: dict[str, int] = {}
        self.stagger, self.deadline, self.folder = stagger, deadline, folder
        self.all_loaded, self.all_done = asyncio.Event(), asyncio.Event()
        self.opening = asyncio.Semaphore(opening)
        self.first_click: float | None = None
        self.started = time.monotonic()

    def trust(self) -> list[str]:
        """Chromium's flag that trusts the --stack balancer's certificate (self-signed): its key's
        pin from stack.json. A context's ignore_https_errors would not do: Chromium's downloads
        still refuse the certificate, and are canceled."""
        pin = self.stack and json.loads((self.stack / "stack.json").read_text()).get("certificate_spki")
        return [f"--ignore-certificate-errors-spki-list={pin}"] if pin else []

    def left(self) -> float:
        """Seconds a student may still wait for anything."""
        return max(self.deadline - GRACE_SECONDS - time.monotonic(), 0.1)

    def _settled(self, attribute: str) -> bool:
        return all(getattr(s, attribute) is not None or s.error or s.done for s in self.students)

    async def student(self, browser, student: Student) -> None:
        context = await browser.new_context(viewport=VIEWPORT, base_url=self.url, accept_downloads=True)
        context.set_default_timeout(self.left() * 1000)
        await context.add_init_script(WATCH_JS)
        page = await context.new_page()
        try:
            await self._lesson(page, student)
        except Exception as error:  # one student's failure is recorded, the class goes on
            student.fail(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
        finally:
            if student.error:
                await self._screenshot(page, student)
            student.done = True
            self._log(student)
            self._update_events()
            try:  # the session stays open until the class is done
                await asyncio.wait_for(self.all_done.wait(), self.left())
            except TimeoutError:
                pass  # the students still under way are failed for it; no second look
            if self.all_done.is_set() and student.finished and not student.leak:
                try:  # the table again, now that every training has ended
                    await read_table(page, student, self.table_tries)
                except Exception as error:
                    student.fail(f"final table: {type(error).__name__}: {str(error)[:200]}")
                    print(f"student {student.index}: {student.error}", file=sys.stderr, flush=True)
                    await self._screenshot(page, student)
            student.server_at_end = await server_of(context)
            try:  # its connections to the end: a server killed after its training counts too
                student.reconnects = max((await page.evaluate("() => window.__classroom.sockets")) - 1, 0)
            except Exception:
                pass  # a page that is gone: its last count stands
            await context.close()

    async def _lesson(self, page, student: Student) -> None:
        train = page.get_by_role("button", name="▶ Train")
        settings = f"train_size={student.train_size}&epochs={self.epochs}&seed={student.seed}"
        async with self.opening:
            if self.classes:
                await page.goto(f"/?{settings}")
                await open_page(page, "")
                taught = self.classes[student.index % len(self.classes)]
                await page.get_by_role("textbox", name="Class code").fill(taught.code)
                await page.get_by_role("textbox", name="Nickname").fill(f"student {student.index}")
                await page.get_by_role("button", name="Join the class").click()
                await page.get_by_text("You are in class").wait_for()
                await self._go(page, "Build & train", "Build_and_train")
            else:
                await page.goto(f"/Build_and_train?{settings}")
                await open_page(page, "Build_and_train")
            await train.wait_for()
        student.seat = parse_qs(urlparse(page.url).query).get("seat", [None])[0]
        student.server = await server_of(page.context)
        student.loaded = time.time()
        self._update_events()
        await self.all_loaded.wait()
        click_at = self.first_click + self.stagger * student.index / max(len(self.students) - 1, 1)
        await asyncio.sleep(max(click_at - time.time(), 0))
        student.clicked = time.time()
        await train.click()
        while student.result is None and student.error is None:
            if time.monotonic() > self.deadline - GRACE_SECONDS:
                raise TimeoutError(f"no result within --timeout; last shown: {student.last!r}")
            await asyncio.sleep(POLL_SECONDS)
            seen = await page.evaluate("() => window.__classroom")
            if self._lost_with_its_server(student, seen):
                await self._train_again(page, student, seen)
                continue
            note(student, seen)
        if student.error:
            return
        seen = await page.evaluate("() => window.__classroom")
        match = RESULT.search(seen.get("resultText", ""))
        if not match:
            raise RuntimeError(f"unreadable result: {seen.get('resultText')!r}")
        student.accuracy, student.trained = float(match[3]), 1
        if match[1] != f"Run {student.interrupted + 1}":
            student.leak = f"its result is {match[1]}"
        if match[2]:  # the app stops a training whose tab it believes closed
            student.fail(f"training{match[2]} ({student.reconnects} reconnects)")
            return
        await self._compare(page, student)
        if self.runs > 1:
            for number in range(2, self.runs + 1):
                await self._go(page, "Build & train", "Build_and_train")
                await train.click()
                await page.locator('[data-testid="stAlert"]').filter(
                    has_text=re.compile(rf"Run {number + student.interrupted}: test accuracy")).wait_for()
                student.trained = number
            await self._compare(page, student)

    def _lost_with_its_server(self, student: Student, seen: dict) -> bool:
        """Whether the student's server was killed under its training and its page, back on a
        survivor, shows the training interrupted, or no training at all (it had no epoch, or the
        click went to the dying server): then, as a student would, it presses Train again."""
        kill = self.kill
        if kill is None or kill.moment is None or student.server != kill.server["name"] \
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
            return time.time() - max(idle_since, kill.moment) > KILLED_IDLE_SECONDS
        return idle_since > max([kill.moment, *student.retrains]) \
            and time.time() - idle_since > KILLED_IDLE_SECONDS

    async def _train_again(self, page, student: Student, seen: dict) -> None:
        """What the student does on the survivor: "Train again" under an interrupted run, else
        Train (the training it had asked for is gone)."""
        student.retrains.append(time.time())
        if "interrupted" in seen:
            student.interrupted = 1
            await page.get_by_role("button", name="Train again with these settings").click()
        else:
            await page.get_by_role("button", name="▶ Train").click()
        print(f"[{time.monotonic() - self.started:6.1f} s] student {student.index} trains again on a "
              f"survivor ({'interrupted' if student.interrupted else 'its training had vanished'})",
              file=sys.stderr, flush=True)

    async def _go(self, page, link: str, path: str) -> None:
        await page.locator('[data-testid="stSidebar"]').get_by_role("link", name=link).click()
        await open_page(page, path)

    async def _compare(self, page, student: Student) -> None:
        await self._go(page, "Compare runs", "Compare_runs")
        await page.locator('[data-testid="stDataFrame"]').wait_for()
        await read_table(page, student, self.table_tries)

    def _update_events(self) -> None:
        if not self.all_loaded.is_set() and self._settled("loaded"):
            self.first_click = time.time() + 1.0
            self.all_loaded.set()
        if all(s.done for s in self.students):
            self.all_done.set()

    def _log(self, student: Student) -> None:
        """One line on stderr as each student ends: what it saw, and when (seconds after its click)."""
        def after(moment):
            return f"{moment - student.clicked:.1f}" if moment and student.clicked else "-"
        print(f"[{time.monotonic() - self.started:6.1f} s] student {student.index} "
              f"({student.train_size} images, seed {student.seed}): waiting {after(student.waiting)}, "
              f"progress {after(student.progress)}, epoch {after(student.epoch)}, result "
              f"{after(student.result)}, aheads {student.aheads}, reconnects {student.reconnects}"
              + (f", ERROR {student.error}" if student.error else "")
              + (f", LEAK {student.leak}" if student.leak else ""), file=sys.stderr, flush=True)

    async def _screenshot(self, page, student: Student) -> None:
        """The whole failing page (Streamlit scrolls inside its main section: the viewport grows)."""
        try:
            height = await page.evaluate(
                "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
            await page.set_viewport_size({"width": VIEWPORT["width"],
                                          "height": max(VIEWPORT["height"], min(height, 12_000))})
            await page.screenshot(path=self.folder / f"student-{student.index:02d}.png", full_page=True,
                                  timeout=10_000)
        except Exception:
            pass  # a closed or hung page: the error is already recorded

    async def report(self, sampler: Sampler, started: float) -> None:
        """A progress line on stderr every 5 s."""
        while not self.all_done.is_set():
            await asyncio.sleep(5)
            clicked = [s for s in self.students if s.clicked]
            failed = sum(bool(s.error) for s in self.students)
            queued = sum(s.progress is None and s.result is None and not s.error for s in clicked)
            done = sum(s.result is not None and not s.error for s in self.students)
            training = len(clicked) - queued - done - sum(bool(s.error) for s in clicked)
            loaded = sum(bool(s.loaded) for s in self.students)
            print(f"[{time.monotonic() - started:6.1f} s] loaded {loaded}, clicked {len(clicked)}, "
                  f"queued {queued}, training {training}, done {done}, failed {failed}; server RSS "
                  f"{sampler.now()[0]:.0f} MB, load {os.getloadavg()[0]:.1f}", file=sys.stderr)

    async def open_board(self, browser, sampler: Sampler, number: int):
        """A teacher starts a class on Home (and, with --plan, sets its experiment) and opens its
        board on their own computer (a browser of its own, at normal priority), where it stays
        open; returns the class, that process and the file it writes."""
        context = await browser.new_context(viewport=VIEWPORT, base_url=self.url)
        context.set_default_timeout(self.left() * 1000)
        page = await context.new_page()
        await page.goto("/")
        await open_page(page, "")
        await page.get_by_role("button", name="Start a class").click()
        await page.get_by_text("Your teacher link: for you alone").click()
        link = (await page.locator('[data-testid="stCode"]').filter(has_text="Class_board")
                .inner_text()).strip()
        await context.close()
        query = parse_qs(urlparse(link).query)
        taught = TaughtClass(query["class"][0], query["key"][0])
        if self.plan:  # as the teacher sets it on the board, before anyone joins
            plan, store = PLANS[self.plan], RunStore(self.database_url, migrate=False)
            try:
                store.set_plan(taught.code, taught.key, plan.setting, plan.values)
            finally:
                store.close()
        out = self.folder / f"board-{number}.json"
        watcher = subprocess.Popen([sys.executable, "-m", "benchmarks.board_watch", link, str(out),
                                    *self.trust()],
                                   cwd=REPO, preexec_fn=lambda: os.setpriority(os.PRIO_PROCESS, 0, 0))
        sampler.exempt.add(watcher.pid)
        while not out.with_name(out.name + ".ready").exists():
            if watcher.poll() is not None or time.monotonic() > self.deadline:
                raise RuntimeError("the teacher's board did not open")
            await asyncio.sleep(0.2)
        return taught, watcher, out

    @staticmethod
    def close_board(taught: TaughtClass, watcher, out: Path) -> None:
        out.with_name(out.name + ".stop").touch()
        watcher.wait(timeout=60)
        taught.board_changes = json.loads(out.read_text())

    async def kill_a_server(self) -> None:
        """--kill-server-at: once the time has come, the app server training the most runs that
        have an epoch saved (waited for, at most BUSY_WAIT_SECONDS) is killed, as a crash would;
        then waits until a survivor has marked its runs."""
        await self.all_loaded.wait()
        await asyncio.sleep(max(self.first_click + self.kill.after - time.time(), 0))
        servers = json.loads((self.stack / "stack.json").read_text())["servers"]
        store, busy = RunStore(self.database_url, migrate=False), {}
        try:
            deadline = time.monotonic() + BUSY_WAIT_SECONDS
            while not busy and time.monotonic() < deadline:
                busy = await asyncio.to_thread(training_by_server, store)
                await asyncio.sleep(0.1)
        finally:
            store.close()
        victim = max(servers, key=lambda server: (busy.get(server_name(server), 0),
                                                  sum(s.server == server["name"] for s in self.students)))
        os.kill(victim["pid"], signal.SIGKILL)
        self.kill.server, self.kill.moment = victim, time.time()
        print(f"[{time.monotonic() - self.started:6.1f} s] killed {victim['name']} (pid {victim['pid']}), "
              f"training {busy.get(server_name(victim), 0)} runs with an epoch saved", file=sys.stderr,
              flush=True)
        await asyncio.to_thread(self.wait_until_marked)

    def wait_until_marked(self) -> None:
        """Until a survivor has marked every unfinished run of the killed server as lost."""
        store, name = RunStore(self.database_url, migrate=False), server_name(self.kill.server)
        try:
            while unfinished_of(store, name) and time.monotonic() < self.deadline:
                time.sleep(0.5)
            if not unfinished_of(store, name):
                self.kill.marked = time.time()
        finally:
            store.close()

    async def restart_and_open(self, browser, sessions: int = 4) -> dict[str, int]:
        """The killed server started again (the stack's `start`); then `sessions` new browsers
        open Home, each kept open while the next comes: where the balancer sends each."""
        await asyncio.to_thread(subprocess.run, [sys.executable, STACK, "start", "--folder", self.stack],
                                check=True, capture_output=True, timeout=300)
        contexts, where = [], {}
        try:
            for _ in range(sessions):
                contexts.append(await browser.new_context(viewport=VIEWPORT, base_url=self.url))
                page = await contexts[-1].new_page()
                await page.goto("/")
                await open_page(page, "")
                server = await server_of(contexts[-1])
                where[server] = where.get(server, 0) + 1
        finally:
            for context in contexts:
                await context.close()
        return where

    async def run(self, sampler: Sampler, started: float) -> None:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=[*CHROMIUM_ARGS, *self.trust()])
            reporter = asyncio.create_task(self.report(sampler, started))
            killer = asyncio.create_task(self.kill_a_server()) if self.kill else None
            boards = [await self.open_board(browser, sampler, number) for number in range(self.class_count)]
            self.classes = [taught for taught, _, _ in boards]
            try:
                await asyncio.wait_for(  # a backstop: each student keeps to the deadline
                    asyncio.gather(*(self.student(browser, s) for s in self.students)),
                    max(self.deadline - time.monotonic(), 1))
            except TimeoutError:
                for student in self.students:
                    if not student.done or not student.finished:
                        student.fail("timeout")
            finally:
                reporter.cancel()
                for board in boards:
                    self.close_board(*board)
            try:
                if killer is not None:
                    await killer
                    self.after_restart = await self.restart_and_open(browser)
            finally:
                if killer is not None and not killer.done():
                    killer.cancel()
                await browser.close()


# ---------------------------------------------------------------- the whole benchmark

def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def board_figures(classroom: Classroom) -> dict:
    """How fast the boards showed each finished run: p95 of its end → its point; the points they
    show at the end; whether each shows exactly its class's finished runs; with a plan, how many
    finished runs each of its values has, per class."""
    if not classroom.classes:
        return {}
    store = RunStore(classroom.database_url)
    try:
        class_runs = [store.class_runs(taught.code, taught.key) for taught in classroom.classes]
    finally:
        store.close()
    latencies, points, complete, parts = [], 0, True, []
    for taught, found in zip(classroom.classes, class_runs, strict=True):
        results = sorted(run.finished_at.timestamp() for run in found if run.state is RunState.DONE)
        changes = [(moment / 1000, shown) for moment, shown in taught.board_changes]
        for count, result in enumerate(results, start=1):
            shown = next((moment for moment, shown in changes if shown >= count), None)
            latencies.append(None if shown is None else max(shown - result, 0.0))
        final = changes[-1][1] if changes else 0
        points, complete = points + final, complete and final == len(results)
        if classroom.plan:
            setting = PLANS[classroom.plan].setting
            values = [run.config.to_query().get(setting, "") for run in found if run.state is RunState.DONE]
            parts.append({value: values.count(value) for value in PLANS[classroom.plan].values})
    seen = sorted(latency for latency in latencies if latency is not None)
    return {"board_points": points, "boards_complete": complete,
            "board_missed": sum(latency is None for latency in latencies),
            "board_median_s": median(seen),
            "board_p95_s": round(seen[int(0.95 * (len(seen) - 1))], 2) if seen else None} \
        | ({"plan_parts": parts} if classroom.plan else {})


def servers_figures(classroom: Classroom, students: list[Student], sampler: Sampler) -> dict:
    """Where the balancer put the students; after a kill, what became of the dead server's."""
    if classroom.stack is None:
        return {}
    sessions: dict[str, int] = {}
    for student in students:
        sessions[student.server] = sessions.get(student.server, 0) + 1
    figures = {"sessions_per_server": sessions,
               "peak_rss_mb_per_server": [round(peak, 1) for peak in sampler.peaks.values()]}
    kill = classroom.kill
    if kill is None or kill.server is None:
        return figures
    theirs = [s for s in students if s.server == kill.server["name"]]
    store = RunStore(classroom.database_url)
    try:
        interrupted = sum(run.state is RunState.INTERRUPTED for s in students if s.seat
                          for run in shown_runs(store, s.seat))
    finally:
        store.close()
    return figures | {
        "killed_server": kill.server["name"],
        "killed_at_s": round(kill.moment - classroom.first_click, 1),
        "on_killed_server": len(theirs),
        "reconnected": sum(s.finished and s.reconnects > 0 and s.server_at_end not in (None, s.server)
                           for s in theirs),
        "interrupted": interrupted,
        "saw_interrupted": sum(s.interrupted for s in students),
        "retrained": sum(bool(s.retrains) for s in students),
        "marked_lost_s": round(kill.marked - kill.moment, 1) if kill.marked else None,
        "after_restart_sessions": classroom.after_restart,
    }


def shown_runs(store: RunStore, seat: str) -> list:
    """The seat's runs as its page lists them. A run lost with its server before its first epoch
    is kept (its server may only have been slow) but not listed: the page names it once instead."""
    return [run for run in store.runs_of_seat(Seat(seat))
            if run.history or run.state is not RunState.INTERRUPTED]


def saved(database_url: str, students: list[Student]) -> dict:
    """What the run store holds afterwards: the students whose runs are not all there as their
    pages showed them, the time an epoch took to reach it, and its size."""
    store = RunStore(database_url)
    try:
        lost = 0
        for student in (s for s in students if s.trained):
            runs = shown_runs(store, student.seat) if student.seat else []
            lost += not (
                [(run.name, run.state.value) for run in runs] == student.expected_runs()
                and all(run.config.train_size == student.train_size for run in runs)
                and abs(runs[student.interrupted].test_accuracy * 100 - student.accuracy) < 0.0051)
        delays = sorted(store.epoch_save_seconds())
        runs_saved = sum(len(store.runs_of_seat(Seat(s.seat))) for s in students if s.seat)
    finally:
        store.close()
    database = make_url(database_url).database if database_url.startswith("sqlite") else None
    size = sum(path.stat().st_size for path in Path(database).parent.glob(Path(database).name + "*")) \
        if database else None
    return {"lost": lost, "runs_saved": runs_saved, "epochs_saved": len(delays),
            "epoch_save_p95_ms": round(1000 * delays[int(0.95 * (len(delays) - 1))], 1) if delays else None,
            "db_size_mb": round(size / 1e6, 2) if size is not None else None}


def summary(args, students: list[Student], sampler: Sampler, baseline: float, loaded_rss: float,
            total: float, slots: int, load: tuple) -> dict:
    clicked = [s for s in students if s.clicked]
    finished = [s for s in students if s.finished]
    waits = [(s.epoch or s.result) - s.clicked for s in clicked if s.epoch or s.result]
    first_click = min((s.clicked for s in clicked), default=None)
    last_result = max((s.result for s in finished), default=None)
    offset = time.time() - time.monotonic()
    span = (first_click - offset, last_result - offset) if first_click and last_result else None
    errors: dict[str, int] = {}
    for student in students:
        if student.error:
            reason = re.sub(r"\d+", "N", student.error.split(":")[0])[:60]
            errors[reason] = errors.get(reason, 0) + 1
    return {
        "sessions": len(students),
        "started": len(clicked),
        "finished": len(finished),
        "failed": len(students) - len(finished),
        "peak_rss_mb": round(sampler.peak(), 1),
        "baseline_rss_mb": round(baseline, 1),
        "loaded_rss_mb": round(loaded_rss, 1),
        "final_rss_mb": round(sampler.samples[-1][1], 1) if sampler.samples else None,  # class done
        "median_wait_s": median(waits),
        "worst_wait_s": round(max(waits), 2) if waits else None,
        "median_queue_s": median([s.progress - s.clicked for s in clicked if s.progress]),
        "median_train_s": median([s.result - s.epoch for s in finished if s.epoch]),
        "median_run_s": median([s.run_s for s in finished if s.run_s is not None]),
        "saw_waiting": sum(s.waiting is not None for s in clicked),
        "max_ahead": max((max(s.aheads) for s in clicked if s.aheads), default=0),
        "total_s": round(total, 1),
        "leaks": sum(s.leak is not None for s in students),
        "slots": slots,
        "train_size": args.train_size,
        "epochs": args.epochs,
        "runs_per_student": args.runs,
        "stagger_s": args.stagger,
        "server_cpu_pct": sampler.mean(2, *span) if span else None,
        "browser_cpu_pct": sampler.mean(3, *span) if span else None,
        "machine_cpu_pct": sampler.mean(4, *span) if span else None,
        "reconnects": sum(s.reconnects for s in students),
        "download_retries": sum(s.download_retries for s in students),
        "load_avg": [round(value, 2) for value in load],
        "errors": errors,
    }


def write_trace(path: Path, sampler: Sampler, students: list[Student]) -> None:
    """The memory curve: per sample, the server's RSS and CPU and how many students were where."""
    offset = time.time() - time.monotonic()
    start = sampler.samples[0][0] if sampler.samples else 0
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["t_s", "rss_mb", "server_cpu_pct", "browser_cpu_pct", "machine_cpu_pct", "queued",
                         "training", "done"])
        for moment, rss, cpu, browser, machine in sampler.samples:
            now = moment + offset
            queued = sum(bool(s.clicked) and s.clicked <= now < (s.progress or s.result or 1e12)
                         for s in students)
            training = sum(bool(s.progress) and s.progress <= now < (s.result or 1e12) for s in students)
            done = sum(bool(s.result) and s.result <= now for s in students)
            writer.writerow([round(moment - start, 2), round(rss, 1), round(cpu), round(browser),
                             round(machine), queued, training, done])


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the server


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--train-size", type=int, default=5_000,
                        help="training images of student 0; student i trains on i fewer")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="runs each student trains, one after another")
    parser.add_argument("--class", dest="classes", action="store_const", const=1, default=0,
                        help="the students join one class whose board the teacher keeps open")
    parser.add_argument("--classes", type=int, help="N classes, each with its board open; student i "
                        "joins class i mod N")
    parser.add_argument("--plan", choices=sorted(PLANS), help="the classes' experiment, set before "
                        "anyone joins")
    parser.add_argument("--url", help="drive the app at this address instead of starting one (its run "
                        "store: --database-url)")
    parser.add_argument("--stack", type=Path, help="drive the classroom that deploy/stack.py runs "
                        "from this folder: its balancer, database and app servers")
    parser.add_argument("--kill-server-at", type=float, default=None, metavar="SECONDS",
                        help="with --stack: kill (SIGKILL) the busiest app server this long after "
                        "the first Train, restart it at the end")
    parser.add_argument("--database-url", default=None,
                        help="the server's run store (default: a new SQLite file in the log folder)")
    parser.add_argument("--stagger", type=float, default=10.0,
                        help="seconds over which the students press Train, evenly")
    parser.add_argument("--timeout", type=float, default=900.0, help="for everything, in seconds")
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    parser.add_argument("--slots", type=int, default=0,
                        help="FMNIST_TRAINING_SLOTS for the server (0: the environment's, else CPUs)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--opening", type=int, default=5,
                        help="pages loading at once (Chromium's load on this machine, not the server's)")
    parser.add_argument("--browser-nice", type=int, default=10,
                        help="niceness of this process and of Chromium's threads: the students' "
                        "browsers would not share the server's CPU; 0 leaves it")
    parser.add_argument("--trace", type=Path, default=None, help="write the memory curve here (CSV)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= args.train_size - 100 + 1:
        parser.error("need 1 ≤ sessions ≤ train_size − 99 (each student trains on one image fewer)")
    if args.plan and not args.classes:
        parser.error("--plan needs --class or --classes")
    stack = json.loads((args.stack / "stack.json").read_text()) if args.stack else None
    if args.kill_server_at is not None and stack is None:
        parser.error("--kill-server-at needs --stack (which says where the app servers are)")
    url = args.url or (stack and stack["url"])
    database_url = args.database_url or (stack and stack["database_url"])
    if url and not database_url:
        parser.error("--url needs --database-url: the run store where the benchmark looks for the runs")

    started = time.monotonic()
    data_dir = args.data_dir or Path(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR)
    env = {**os.environ, "FMNIST_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if args.slots or (stack and stack["settings"]["slots"]):
        env["FMNIST_TRAINING_SLOTS"] = str(args.slots or stack["settings"]["slots"])
    slots = training_slots(env)[0]
    students = [Student(i, SEED_BASE + i, args.train_size - i) for i in range(args.sessions)]
    port = args.port or free_port()
    folder = ARTIFACTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{port}"
    folder.mkdir(parents=True, exist_ok=True)

    database_url = database_url or f"sqlite:///{folder / 'runs.sqlite3'}"
    env[DATABASE_URL_ENV] = database_url
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server = None if url else Server(folder, env, port)
    sampler, baseline, loaded_rss = None, 0.0, []
    try:
        if server is not None:
            server.start(min(SERVER_START_SECONDS, args.timeout))
            url = server.url
        app_servers = (stack or {}).get("servers", ())
        pids = [server.process.pid] if server else [entry["pid"] for entry in app_servers]
        if args.browser_nice:
            os.nice(args.browser_nice)  # after the server started: Playwright and Chromium inherit it
        sampler = Sampler(pids, args.browser_nice).start()
        time.sleep(1.0)  # a few samples of the idle server
        baseline = sampler.peak()
        print(f"app at {url} (pids {pids}), {baseline:.0f} MB, after {time.monotonic() - started:.1f} s; "
              f"{args.sessions} students, {slots} slots, load {os.getloadavg()[0]:.1f}; logs in {folder}",
              file=sys.stderr)
        classroom = Classroom(url, students, args.epochs, args.runs, args.stagger, started + args.timeout,
                              args.opening, folder, database_url, args.classes or 0, args.plan,
                              args.stack, args.kill_server_at)

        async def drive():
            async def note_loaded():
                await classroom.all_loaded.wait()
                loaded_rss.append(sampler.now()[0])
            watcher = asyncio.create_task(note_loaded())
            await classroom.run(sampler, started)
            watcher.cancel()

        asyncio.run(drive())
        time.sleep(1.0)  # what the server keeps once the class is done
        if server is not None and any(student.error for student in students):
            server.dump_stacks()
            print(f"the server's thread stacks are at the end of {server.log}", file=sys.stderr)
    finally:
        if sampler:
            sampler.stop()
        if server is not None:
            server.stop()
    if args.trace:
        write_trace(args.trace, sampler, students)
    report = summary(args, students, sampler, baseline, (loaded_rss or [0.0])[0],
                     time.monotonic() - started, slots, os.getloadavg()) | saved(database_url, students) \
        | board_figures(classroom) | servers_figures(classroom, students, sampler)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()

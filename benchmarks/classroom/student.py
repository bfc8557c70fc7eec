"""One student of the class: the script each page runs to note what it shows, and when (`WATCH_JS`),
what the benchmark knows of the student (`Student`), reading the page's notes (`note`) and checking
Compare's table is exactly the student's own runs (`read_table`)."""

import csv
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tools.browser import EXCEPTION, TITLES

SEED_BASE = 101
VANISHED_SECONDS = 20  # after a training showed: the Train button back, no training nor result
RETRY_SECONDS = 30  # after a server was killed: a download not there by then is asked for again
DOWNLOAD_TRIES = 3  # a download Chromium cancels is asked for again, at most this often in all
DOWNLOAD_SECONDS = 120  # the last try's wait for a download: a student stuck longer fails
BALANCER_COOKIE = "FMNIST_SERVER"  # the cookie deploy/haproxy.cfg sets: the session's app server

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

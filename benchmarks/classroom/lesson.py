"""The lesson under load: every student's browser (a context of one Chromium each), the teachers'
boards, and a server killed mid-lesson; a progress line every 5 s (`Classroom`)."""

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from benchmarks.classroom.sampler import Sampler
from benchmarks.classroom.server import Kill, restart_and_open
from benchmarks.classroom.student import RESULT, WATCH_JS, Student, note, open_page, read_table, server_of
from fmnist_core.classroom.plans import PLANS
from fmnist_core.store import RunStore
from tools.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tools.server import REPO

POLL_SECONDS = 0.5  # how often Python reads what each page noted (the page notes every 0.2 s)
GRACE_SECONDS = 15  # kept at the end of --timeout to record failures and close


@dataclass
class TaughtClass:
    """One class of the benchmark: its code, its teacher's key, what its board showed."""
    code: str
    key: str
    board_changes: list = field(default_factory=list)  # [[ms, points], …] from board_watch


class Classroom:
    """The class under load: each student's lesson in a browser context of its own (`student`), the
    teachers' boards (`open_board`), a progress line (`report`), and `kill`, the server killed
    mid-lesson; `run` drives them all in one Chromium."""

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
            if self.kill is not None and self.kill.lost_under(student, seen):
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

    async def run(self, sampler: Sampler, started: float) -> None:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=[*CHROMIUM_ARGS, *self.trust()])
            reporter = asyncio.create_task(self.report(sampler, started))
            killer = asyncio.create_task(self.kill.strike(self)) if self.kill else None
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
                    self.after_restart = await restart_and_open(browser, self.stack, self.url)
            finally:
                if killer is not None and not killer.done():
                    killer.cancel()
                await browser.close()

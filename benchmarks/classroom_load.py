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
import json
import os
import signal
import sys
import time
from pathlib import Path

from benchmarks.classroom.lesson import Classroom
from benchmarks.classroom.report import board_figures, saved, servers_figures, summary, write_trace
from benchmarks.classroom.sampler import Sampler
from benchmarks.classroom.server import Server
from benchmarks.classroom.student import SEED_BASE, Student
from fmnist_core.classroom.plans import PLANS
from fmnist_core.host.environment import DATABASE_URL_ENV, training_slots
from tools.server import REPO, SHARED_DATA_DIR, free_port

ARTIFACTS = REPO / "artifacts" / "classroom_load"  # a folder per run: server.log, failing pages
SERVER_START_SECONDS = 60


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through the finally that stops the server


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked; `stack_state` is stack.json's contents (None without --stack),
    and `url` and `database_url` the app's, from --stack when not given."""
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
    args.stack_state = stack
    args.url = args.url or (stack and stack["url"])
    args.database_url = args.database_url or (stack and stack["database_url"])
    if args.url and not args.database_url:
        parser.error("--url needs --database-url: the run store where the benchmark looks for the runs")
    return args


def server_environment(args: argparse.Namespace) -> dict:
    """The app server's environment: the data folder, TensorFlow quiet, the trainer slots."""
    stack = args.stack_state
    data_dir = args.data_dir or Path(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR)
    env = {**os.environ, "FMNIST_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if args.slots or (stack and stack["settings"]["slots"]):
        env["FMNIST_TRAINING_SLOTS"] = str(args.slots or stack["settings"]["slots"])
    return env


def teach(args: argparse.Namespace, server: Server | None, url: str, students: list[Student], slots: int,
          folder: Path, database_url: str, started: float) -> tuple[Classroom, Sampler, float, float]:
    """The lesson, start to end, with the app servers' memory sampled all along: returns the
    classroom, the sampler, the idle servers' RSS and their RSS once every page had loaded."""
    app_servers = (args.stack_state or {}).get("servers", ())
    pids = [server.process.pid] if server else [entry["pid"] for entry in app_servers]
    if args.browser_nice:
        os.nice(args.browser_nice)  # after the server started: Playwright and Chromium inherit it
    sampler, loaded_rss = Sampler(pids, args.browser_nice).start(), []
    try:
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
        sampler.stop()
    return classroom, sampler, baseline, (loaded_rss or [0.0])[0]


def main(argv: list[str] | None = None) -> dict:
    args = options(argv)
    started = time.monotonic()
    env = server_environment(args)
    slots = training_slots(env)[0]
    students = [Student(i, SEED_BASE + i, args.train_size - i) for i in range(args.sessions)]
    port = args.port or free_port()
    folder = ARTIFACTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{port}"
    folder.mkdir(parents=True, exist_ok=True)

    database_url = args.database_url or f"sqlite:///{folder / 'runs.sqlite3'}"
    env[DATABASE_URL_ENV] = database_url
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    server = None if args.url else Server(folder, env, port)
    try:
        if server is not None:
            server.start(min(SERVER_START_SECONDS, args.timeout))
        url = server.url if server is not None else args.url
        classroom, sampler, baseline, loaded_rss = teach(args, server, url, students, slots, folder,
                                                         database_url, started)
    finally:
        if server is not None:
            server.stop()
    if args.trace:
        write_trace(args.trace, sampler, students)
    report = summary(args, students, sampler, baseline, loaded_rss,
                     time.monotonic() - started, slots, os.getloadavg()) | saved(database_url, students) \
        | board_figures(classroom) | servers_figures(classroom, students, sampler)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()

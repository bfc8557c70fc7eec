"""The figures the benchmark prints at the end, as one JSON line: the students' times, the servers'
memory and CPU, what the run store holds, the teachers' boards and, after a kill, the servers'."""

import csv
import re
import statistics
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.classroom.lesson import Classroom
from benchmarks.classroom.sampler import Sampler
from benchmarks.classroom.student import Student
from fmnist_core.classroom.plans import PLANS
from fmnist_core.run import RunState
from fmnist_core.store import RunStore, Seat


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

"""A class pressing Train at once, on the server's own training queue (no browsers).

    python -m benchmarks.class_throughput [--students 30] [--scenarios same_seed,exercises,distinct_seeds]

Each scenario gets a new queue, set up as the app sets up its own (slots from the container, each
worker compiling the lesson's model, the server's speed calibrated), and starts timing once it is
ready, as a class's first Train comes after the data pages. Then every student submits at once:
- `same_seed`: the lesson's defaults, one seed: identical requests, trained once and shared;
  `same_seed_first_view_s` = the last student to see it under way, `…_all_done_s` = the last result;
- `exercises`: the lesson's five exercises, students/5 each, default seed;
- `distinct_seeds`: the lesson's defaults with a seed each (101, 102, …), as the class experiment
  gives: all different work. Also its median test accuracy, and how well the queue foretold each
  waiting student's start: `start_estimate_ratio_*` = actual start ÷ the estimate shown at submit.
Prints one JSON line; `peak_rss_mb` is this process's peak over all scenarios.
"""

import argparse
import json
import os
import statistics
import sys
import time

from benchmarks.train_speed import PeakRss
from fmnist_core.config import ExperimentConfig
from fmnist_core.host.environment import training_slots
from fmnist_core.lesson import EXERCISES, exercise_config
from fmnist_core.training.jobs import JobState, TrainingQueue
from tools.server import SHARED_DATA_DIR

SCENARIOS = ("same_seed", "exercises", "distinct_seeds")
TIMEOUT = 900  # seconds for one scenario


def ready_queue(data):
    """A queue as the app's, its workers prepared and its speed measured."""
    from fmnist_core.training.loop import calibrate, prepare

    slots, _ = training_slots()
    queue = TrainingQueue(data, slots=slots,
                          prepare=lambda trainers: prepare(ExperimentConfig(), data, trainers),
                          calibrate=lambda trainers: calibrate(data, trainers))
    # Each worker keeps one compiled lesson trainer; calibration leaves a convnet's too.
    while sum(queue.trainers.idle().values()) < slots + 1:
        time.sleep(0.1)
    return queue


def requests(scenario: str, students: int) -> list[ExperimentConfig]:
    if scenario == "same_seed":
        return [ExperimentConfig()] * students
    if scenario == "exercises":
        return [exercise_config(EXERCISES[number % len(EXERCISES)]) for number in range(students)]
    return [ExperimentConfig(seed=101 + number) for number in range(students)]


def run_scenario(data, scenario: str, students: int) -> dict:
    queue = ready_queue(data)
    started = time.monotonic()
    jobs = [queue.submit(config, name=f"Student {number + 1}")
            for number, config in enumerate(requests(scenario, students))]
    foretold = [queue.expected_start(job) for job in jobs]
    seen_under_way = {}
    while any(job.active for job in jobs):
        now = time.monotonic()
        for number, job in enumerate(jobs):
            if number not in seen_under_way and job.state is not JobState.WAITING:
                seen_under_way[number] = now - started
        assert now - started < TIMEOUT, f"{scenario}: not done after {TIMEOUT} s"
        time.sleep(0.05)
    failed = [job.error for job in jobs if job.error]
    assert not failed, failed
    figures = {f"{scenario}_first_view_s": round(max(seen_under_way.values()), 2),
               f"{scenario}_all_done_s": round(max(job.finished for job in jobs) - started, 2),
               f"{scenario}_trainings": len({id(job.result.model) for job in jobs})}
    if scenario == "distinct_seeds":
        figures["distinct_seeds_median_accuracy"] = round(
            statistics.median(job.result.test_accuracy for job in jobs), 4)
        ratios = [(job.started - job.submitted) / estimate for job, estimate in zip(jobs, foretold)
                  if estimate is not None and estimate > 1.0]
        figures["start_estimate_ratio_median"] = round(statistics.median(ratios), 2)
        figures["start_estimate_ratio_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
    print(f"{scenario}: {figures}", file=sys.stderr, flush=True)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args(argv)
    from fmnist_core.data import load_fashion_mnist

    data = load_fashion_mnist(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR, download=False)
    report = {"students": args.students, "slots": training_slots()[0]}
    with PeakRss() as peak:
        for scenario in args.scenarios.split(","):
            report |= run_scenario(data, scenario, args.students)
    report["peak_rss_mb"] = round(peak.peak, 1)
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()

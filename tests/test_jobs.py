"""The class's training queue: K at a time, first come first served, cancel, closed tabs, failures.

Queue logic is tested with a stand-in training that waits for the test's go-ahead (so the order
of events is exact, not timed); the last test runs real trainings through it.
"""

import threading
import time

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.jobs import JobState, TrainingQueue
from fmnist_core.run import RunState, TrainingRun

WAIT = 10  # seconds: a bound for things that happen within a fraction of one


class GatedTraining:
    """Stands in for `training.train`: each run starts, then waits until the test releases it."""

    def __init__(self):
        self.started, self.release = [], threading.Event()
        self.lock = threading.Lock()

    def __call__(self, config, data, *, trainers, on_epoch, on_progress, should_stop):
        with self.lock:
            self.started.append(config.seed)
        on_progress(1, 0, config.steps_per_epoch)
        while not self.release.is_set():
            if should_stop():
                return TrainingRun(config, [], None, 0.0, 0.0, 0.0, state=RunState.STOPPED)
            time.sleep(0.01)
        if config.seed == 666:
            raise RuntimeError("out of memory")
        return TrainingRun(config, [], None, 0.5, 0.8, 1.0, )


def until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not within {WAIT} s: {what}"
        time.sleep(0.01)


def configs(count: int) -> list[ExperimentConfig]:
    return [ExperimentConfig(seed=seed, train_size=1000, epochs=1) for seed in range(count)]


def test_at_most_k_run_at_once_first_come_first_served():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=2, train=training)
    jobs = [queue.submit(config) for config in configs(5)]
    until(lambda: len(training.started) == 2, "two jobs start")
    time.sleep(0.1)  # a third would have started by now if it could
    assert sorted(training.started) == [0, 1] and queue.running == 2 and queue.waiting == 3
    assert [job.state for job in jobs] == [JobState.RUNNING] * 2 + [JobState.WAITING] * 3
    assert [queue.ahead_of(job) for job in jobs[2:]] == [0, 1, 2]
    training.release.set()
    until(lambda: all(job.state == JobState.DONE for job in jobs), "every job finishes")
    assert training.started[2:] == [2, 3, 4] and queue.running == 0 and queue.waiting == 0
    assert all(job.result.test_accuracy == 0.8 and job.finished >= job.started for job in jobs)


def test_cancelled_and_abandoned_jobs_free_their_place():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training)
    tab_open = threading.Event()
    tab_open.set()
    running, cancelled, abandoned, last = (
        queue.submit(config, is_alive=tab_open.is_set if number == 2 else None)
        for number, config in enumerate(configs(4)))
    until(lambda: running.state == JobState.RUNNING, "the first job runs")
    assert queue.ahead_of(last) == 2
    cancelled.cancel()
    tab_open.clear()  # the third student closed the tab
    assert queue.ahead_of(last) == 0  # at once: the line no longer counts them
    running.cancel()  # Stop: ends the running job between chunks
    until(lambda: last.state == JobState.RUNNING, "the last job gets the slot")
    assert running.state == JobState.CANCELLED and running.result.stopped
    assert cancelled.state == abandoned.state == JobState.CANCELLED
    assert cancelled.result is None and abandoned.result is None
    assert training.started == [0, 3]  # the dropped jobs never trained
    training.release.set()
    until(lambda: last.state == JobState.DONE, "the last job finishes")


def test_a_failing_training_reports_its_error_and_keeps_the_slot():
    training = GatedTraining()
    training.release.set()
    queue = TrainingQueue(data=None, slots=1, train=training)
    failing = queue.submit(ExperimentConfig(seed=666, train_size=1000))
    after = queue.submit(ExperimentConfig(seed=1, train_size=1000))
    until(lambda: after.state == JobState.DONE, "the next job runs on the same slot")
    assert failing.state == JobState.FAILED and failing.error == "RuntimeError: out of memory"


def test_every_worker_prepares_before_its_first_job():
    prepared, pools, training = [], [], GatedTraining()
    training.release.set()

    def prepare(trainers):
        pools.append(trainers)
        prepared.append(threading.current_thread().name)
        if len(prepared) == 1:
            raise OSError("no disk")  # a failed preparation costs time only

    queue = TrainingQueue(data=None, slots=2, train=training, prepare=prepare)
    jobs = [queue.submit(config) for config in configs(3)]
    until(lambda: all(job.state == JobState.DONE for job in jobs), "every job finishes")
    assert sorted(prepared) == ["training-slot-0", "training-slot-1"]
    assert all(pool is queue.trainers for pool in pools)  # the queue's own compiled trainers


def test_slots_must_be_positive():
    with pytest.raises(ValueError, match="slots must be at least 1"):
        TrainingQueue(data=None, slots=-1, train=GatedTraining())


def test_real_trainings_in_parallel_slots(real_data):
    queue = TrainingQueue(real_data, slots=2)
    jobs = [queue.submit(config, name=f"seed {config.seed}") for config in configs(3)]
    until_done = time.monotonic() + 300
    while any(job.active for job in jobs):
        assert time.monotonic() < until_done, "three 1,000-image trainings within 5 minutes"
        time.sleep(0.1)
    assert [job.state for job in jobs] == [JobState.DONE] * 3, [job.error for job in jobs]
    assert all(len(job.history) == 1 and job.progress == (1, 32, 32) for job in jobs)
    assert all(job.result.test_accuracy > 0.5 for job in jobs)
    assert len({job.result.test_accuracy for job in jobs}) == 3  # three seeds, three models

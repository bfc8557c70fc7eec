"""The class's training queue: K at a time, first come first served, cancel, closed tabs, failures.

Queue logic is tested with a stand-in training that waits for the test's go-ahead (so the order
of events is exact, not timed); the last test runs real trainings through it.
"""

import threading
import time

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.training.estimate import Calibration, estimated_seconds, memory_needed
from fmnist_core.training.jobs import (
    QUEUE_CAP,
    JobState,
    QueueFull,
    SharedTraining,
    TrainingJob,
    TrainingQueue,
    in_turn,
)
from fmnist_core.training.pace import PACE_WEIGHT
from fmnist_core.training.recent_runs import RECENT_RUNS_KEPT

WAIT = 10  # seconds: a bound for things that happen within a fraction of one


class GatedTraining:
    """Stands in for `training.train`: each run starts, then waits until the test releases it."""

    def __init__(self):
        self.started, self.release = [], threading.Event()
        self.lock = threading.Lock()

    def __call__(self, config, data, *, trainers, on_epoch, on_progress, should_stop, on_chunk):
        with self.lock:
            self.started.append(config.seed)
        on_progress(1, 0, config.steps_per_epoch)
        history = [EpochRecord(1, 0.6, 0.7, 0.65, 0.72, 0.1)]
        on_epoch(history[0])
        while not self.release.is_set():
            on_chunk(lambda: TrainingRun(config, history, None, 0.0, 0.1, 0.0, state=RunState.STOPPED))
            if should_stop():
                return TrainingRun(config, history, None, 0.0, 0.0, 0.0, state=RunState.STOPPED)
            time.sleep(0.01)
        if config.seed == 666:
            raise RuntimeError("out of memory")
        return TrainingRun(config, history, None, 0.5, 0.8, 1.0)


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


def test_students_take_turns_whatever_they_queued():
    # Student A queues 9 trainings (from 3 tabs: one browser, one owner), then B one: B's starts
    # second, as soon as A's first has finished.
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training)
    a = [queue.submit(config, owner="A") for config in configs(9)]
    until(lambda: training.started == [0], "A's first starts")
    b = queue.submit(ExperimentConfig(seed=100, train_size=1000, epochs=1), owner="B")
    assert queue.ahead_of(b) == 0 and queue.ahead_of(a[1]) == 1 and queue.active_of("A") == 9
    training.release.set()
    until(lambda: all(job.state == JobState.DONE for job in [*a, b]), "every job finishes")
    assert training.started == [0, 100, *range(1, 9)]


def test_in_turn_goes_round_the_students_longest_waiting_first():
    def queued(*owners):
        return [SharedTraining(ExperimentConfig(seed=seed), [], owner) for seed, owner in enumerate(owners)]

    order = in_turn(queued("A", "A", "A", "B", "C", "B"), {})
    assert [t.owner for t in order] == ["A", "B", "C", "A", "B", "A"]
    assert [t.config.seed for t in order] == [0, 3, 4, 1, 5, 2]  # each student's own in order
    # C started one lately, A long ago, B never: B, then A, then C.
    assert [t.owner for t in in_turn(queued("C", "A", "B"), {"A": 3, "C": 7})] == ["B", "A", "C"]


def test_a_full_queue_refuses_a_new_training_in_one_sentence_but_not_a_shared_one():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training)
    first = queue.submit(configs(1)[0])
    until(lambda: queue.running == 1, "the first starts")
    jobs = [first] + [queue.submit(config, owner=f"student {config.seed % 30}")
                      for config in configs(QUEUE_CAP + 1)[1:]]
    assert queue.waiting == QUEUE_CAP
    with pytest.raises(QueueFull, match="queue is full: 60 trainings"):
        queue.submit(ExperimentConfig(seed=999, train_size=1000, epochs=1))
    shared = queue.submit(configs(QUEUE_CAP + 1)[-1])  # the same as one waiting: it joins it
    assert shared.state == JobState.WAITING
    training.release.set()
    until(lambda: all(job.state == JobState.DONE for job in [*jobs, shared]), "every job finishes")


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


@pytest.mark.parametrize("limits, message", [
    ({"memory_limit": 0}, "memory_limit must be more than 0 bytes, got 0"),
    ({"max_seconds": -1}, "max_seconds must be more than 0, got -1")])
def test_limits_must_be_positive(limits, message):
    with pytest.raises(ValueError, match=message):
        TrainingQueue(data=None, slots=1, train=GatedTraining(), **limits)


GB = 10**9
NEEDED = memory_needed(configs(1)[0])  # every config of `configs` has the lesson's layers


def test_a_training_waits_for_memory_first_in_line_then_starts_when_usage_drops():
    training, usage = GatedTraining(), [0.1 * GB]
    queue = TrainingQueue(data=None, slots=3, train=training, memory_limit=GB,
                          memory_usage=lambda: usage[0])
    first = queue.submit(configs(1)[0])
    until(lambda: first.state == JobState.RUNNING, "the first job fits and runs")
    usage[0] = 0.85 * GB - NEEDED + 1  # one byte too many for another training
    second, third = queue.submit(configs(2)[1]), queue.submit(configs(3)[2])
    until(lambda: second.waiting_for is not None, "the second says why it waits")
    assert second.waiting_for == (f"memory: the server is at {usage[0] / GB:.1f} of its 1.0 GB, and "
                                  f"this training needs about {NEEDED / GB:.1f} GB")
    time.sleep(0.6)  # the queue has looked again: still no room, and a slot is free
    assert second.state == third.state == JobState.WAITING and training.started == [0]
    assert third.waiting_for is None and queue.ahead_of(third) == 1  # first come, first served
    usage[0] = 0.2 * GB
    until(lambda: second.state == third.state == JobState.RUNNING, "both start once there is room")
    assert second.waiting_for is None and training.started == [0, 1, 2]
    training.release.set()
    until(lambda: not any(job.active for job in (first, second, third)), "every job finishes")


def test_a_started_training_counts_before_the_server_feels_it():
    training = GatedTraining()
    # The usage stays as it was with nothing running: room for one training's estimate, not two.
    queue = TrainingQueue(data=None, slots=2, train=training, memory_limit=GB,
                          memory_usage=lambda: 0.85 * GB - 1.5 * NEEDED)
    first, second = (queue.submit(config) for config in configs(2))
    until(lambda: first.state == JobState.RUNNING, "the first job runs")
    until(lambda: second.waiting_for is not None, "the second waits for memory")
    training.release.set()
    until(lambda: second.state == JobState.DONE, "the second runs once the first has finished")


def test_a_training_too_big_for_an_empty_server_fails_at_once():
    training = GatedTraining()
    training.release.set()
    queue = TrainingQueue(data=None, slots=1, train=training, memory_limit=int(0.2 * GB),
                          memory_usage=lambda: int(0.1 * GB))
    big = queue.submit(ExperimentConfig(hidden_layers=(1024, 1024, 1024), batch_size=4096))
    after = queue.submit(ExperimentConfig(hidden_layers=(16,), train_size=1000, epochs=1))
    until(lambda: big.state == JobState.FAILED, "the big job fails")
    assert big.error == (f"This training needs about {memory_needed(big.config) / GB:.1f} GB of memory, "
                         "more than the server can give it even with no other training running (it is at "
                         "0.1 of its 0.2 GB, and trainings may fill it to 85%): try a smaller batch or "
                         "fewer neurons.")
    until(lambda: after.state == JobState.FAILED, "the next one too: 0.1 GB cannot hold it either")
    assert big.result is None and big.waiting_for is None and training.started == []


def test_a_training_past_the_time_limit_stops_keeping_its_epochs():
    training = GatedTraining()  # never released: it would run for ever
    queue = TrainingQueue(data=None, slots=1, train=training, max_seconds=0.2)
    job = queue.submit(configs(1)[0])
    until(lambda: not job.active, "the job is stopped")
    assert job.state == JobState.CANCELLED and job.result.stopped and 0.2 < job.elapsed < WAIT
    assert job.stopped_because == "it reached the 0.2-second limit for one training"


def test_the_limit_reads_in_minutes():
    job = TrainingJob(configs(1)[0], time_limit=300)
    job.start(time.monotonic() - 301)
    assert job.should_stop() and job.stopped_because == "it reached the 5-minute limit for one training"
    assert TrainingJob(configs(1)[0], time_limit=300).stopped_because is None  # not started yet


def test_the_first_worker_ready_calibrates_once():
    calls, measured, training = [], Calibration(seconds_per_flop=1e-9), GatedTraining()
    training.release.set()

    def calibrate(trainers):
        calls.append(trainers)
        return measured

    queue = TrainingQueue(data=None, slots=2, train=training, calibrate=calibrate)
    until(lambda: queue.pace.calibration is measured, "the measured calibration is the queue's")
    time.sleep(0.1)
    assert calls == [queue.trainers]


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


def test_workers_warm_up_after_the_delay_or_at_the_first_job_if_sooner():
    prepared, made = [], time.monotonic()
    TrainingQueue(data=None, slots=1, train=GatedTraining(), warm_up_after=0.5,
                  prepare=lambda trainers: prepared.append(time.monotonic() - made))
    time.sleep(0.3)
    assert prepared == []  # the page that made the queue is still drawing
    until(lambda: prepared, "the worker warms up by itself")
    assert prepared[0] >= 0.5

    prepared, training = [], GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training, warm_up_after=60,
                          prepare=lambda trainers: prepared.append(time.monotonic()))
    queue.submit(configs(1)[0])
    until(lambda: training.started, "a job starts without waiting for the warm-up")
    assert len(prepared) == 1  # prepared first, then the job
    training.release.set()



def test_a_queue_says_what_its_trainers_do_before_the_first_can_train():
    compiled, measured, training = threading.Event(), threading.Event(), GatedTraining()
    training.release.set()

    def calibrate(trainers):
        measured.wait()
        return Calibration(seconds_per_flop=1e-9)

    queue = TrainingQueue(data=None, slots=2, train=training, prepare=lambda trainers: compiled.wait(),
                          calibrate=calibrate)
    job = queue.submit(configs(1)[0])
    assert queue.getting_ready == "compiling the lesson's model"
    assert job.state is JobState.WAITING and queue.ahead_of(job) == 0  # nobody else trains
    compiled.set()
    # One worker measures the server's speed; the other is ready, and takes the job.
    until(lambda: job.state is JobState.DONE, "the job trains on the worker that is ready")
    assert queue.getting_ready is None
    measured.set()

    measured = threading.Event()  # the next queue's
    queue = TrainingQueue(data=None, slots=1, train=training, calibrate=calibrate)
    job = queue.submit(configs(2)[1])
    assert queue.getting_ready == "measuring this server's speed"  # its only worker
    assert job.state is JobState.WAITING
    measured.set()
    until(lambda: job.state is JobState.DONE, "then it trains")
    assert queue.getting_ready is None


class Recorder:
    """A job observer (as the run store's `SeatRecorder`): what it was told, in order."""

    def __init__(self):
        self.events = []

    def queued(self, job):
        self.events.append("queued")

    def started(self, job):
        self.events.append("started")

    def epoch_done(self, job, record):
        self.events.append(f"epoch {record.epoch}")

    def ended(self, job):
        self.events.append(f"ended {job.state}")


def test_equal_requests_share_one_training_and_each_gets_its_own_run():
    training, watchers = GatedTraining(), [Recorder(), Recorder()]
    queue = TrainingQueue(data=None, slots=2, train=training)
    first = queue.submit(configs(1)[0], name="Run 1", observer=watchers[0])
    until(lambda: first.history, "the first epoch is done")
    second = queue.submit(configs(1)[0], name="Mine", observer=watchers[1])
    # The second student joins the training under way, its finished epoch included.
    assert second.state == JobState.RUNNING and second.history == first.history
    assert queue.running == 1 and queue.waiting == 0
    training.release.set()
    until(lambda: not first.active and not second.active, "both finish")
    assert training.started == [0]  # trained once
    assert first.state == second.state == JobState.DONE
    assert (first.result.name, second.result.name) == ("Run 1", "Mine")
    assert first.result.run_id == first.run_id != second.result.run_id == second.run_id
    assert first.result.test_accuracy == second.result.test_accuracy
    assert watchers[0].events == watchers[1].events == ["queued", "started", "epoch 1", "ended done"]


def test_one_students_stop_leaves_the_shared_training_going_for_the_other():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training)
    staying, leaving = (queue.submit(configs(1)[0]) for _ in range(2))
    until(lambda: staying.history, "the training is under way")
    leaving.cancel()
    until(lambda: not leaving.active, "the one who stopped leaves")
    assert leaving.state == JobState.CANCELLED and leaving.result.stopped
    assert leaving.result.test_accuracy == 0.1  # the run as it was when they left
    assert staying.state == JobState.RUNNING
    training.release.set()
    until(lambda: staying.state == JobState.DONE, "the other's training finishes")
    assert staying.result.test_accuracy == 0.8


def test_the_training_stops_when_its_last_watcher_leaves():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training)
    tab_open = threading.Event()
    tab_open.set()
    stopping = queue.submit(configs(1)[0])
    closing = queue.submit(configs(1)[0], is_alive=tab_open.is_set)
    until(lambda: stopping.history, "the training is under way")
    stopping.cancel()
    until(lambda: not stopping.active, "the first leaves")
    assert closing.active
    tab_open.clear()  # the other closes the tab: nobody watches any more
    until(lambda: not closing.active, "the training stops")
    assert closing.result.stopped and not training.release.is_set()
    # A new request for the same starts a new training: the stopped one takes nobody.
    again = queue.submit(configs(1)[0])
    until(lambda: training.started == [0, 0], "a new training starts")
    training.release.set()
    until(lambda: again.state == JobState.DONE, "it finishes")


def test_a_request_equal_to_a_finished_training_is_answered_at_once():
    training, watcher = GatedTraining(), Recorder()
    training.release.set()
    queue = TrainingQueue(data=None, slots=1, train=training)
    done = queue.submit(configs(1)[0])
    until(lambda: done.state == JobState.DONE, "the first finishes")
    repeat = queue.submit(configs(1)[0], name="Again", observer=watcher)
    assert repeat.state == JobState.DONE and repeat.earlier and not done.earlier
    assert training.started == [0]
    assert repeat.result.name == "Again" and repeat.result.run_id == repeat.run_id
    assert repeat.result.history == done.result.history
    assert repeat.result.history is not done.result.history
    assert watcher.events == ["queued", "started", "epoch 1", "ended done"]
    # Only the newest RECENT_RUNS_KEPT are kept; a new seed is a new training.
    others = [queue.submit(config) for config in configs(RECENT_RUNS_KEPT + 1)[1:]]
    until(lambda: all(job.state == JobState.DONE for job in others), "the others finish")
    assert not queue.submit(configs(1)[0]).earlier


def test_a_request_equal_to_a_stored_run_is_answered_from_the_store():
    asked, stored = [], TrainingRun(configs(1)[0], [EpochRecord(1, 0.5, 0.8, 0.5, 0.8, 1.0)],
                                    None, 0.5, 0.8, 1.0)
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=1, train=training, find_earlier=lambda config: (
        asked.append(config.seed) or (stored if config == stored.config else None)))
    found = queue.submit(configs(1)[0])
    assert found.earlier and found.result.test_accuracy == 0.8 and training.started == []
    new = queue.submit(configs(2)[1])
    assert not new.earlier and asked == [0, 1]
    training.release.set()
    until(lambda: new.state == JobState.DONE, "the new one trains")


def test_a_waiting_job_knows_about_when_it_should_start():
    training = GatedTraining()
    queue = TrainingQueue(data=None, slots=2, train=training)
    lesson, small = ExperimentConfig(epochs=2), ExperimentConfig(train_size=1000, epochs=1)
    first, _ = queue.submit(lesson), queue.submit(small)
    third, fourth = queue.submit(lesson.with_changes(seed=1)), queue.submit(small.with_changes(seed=1))
    until(lambda: queue.running == 2, "two run")
    assert queue.expected_start(first) is None  # running, not waiting
    long, short = (estimated_seconds(config, queue.pace.calibration) for config in (lesson, small))
    # The third takes the slot the short one frees; the fourth the first one's, free before the
    # third (short + long) ends.
    assert queue.expected_start(third) == pytest.approx(short, abs=0.5)
    assert queue.expected_start(fourth) == pytest.approx(long, abs=0.5)
    training.release.set()
    until(lambda: not fourth.active, "all finish")


def test_the_queue_measures_its_pace_from_finished_trainings():
    def training(config, data, **hooks):
        return TrainingRun(config, [], None, 0.5, 0.8, seconds=3 * estimated_seconds(config))

    queue = TrainingQueue(data=None, slots=1, train=training)
    assert queue.pace.factor == 1.0
    job = queue.submit(configs(1)[0])
    until(lambda: job.state == JobState.DONE, "it finishes")
    assert queue.pace.factor == pytest.approx(1 + PACE_WEIGHT * (3 - 1))


def test_a_job_joining_a_shared_training_follows_it_from_where_it_is():
    first, late = TrainingJob(configs(1)[0]), TrainingJob(configs(1)[0])
    training = SharedTraining(configs(1)[0], [first])
    training.start()
    training.advance((2, 3, 32))
    training.add_epoch(EpochRecord(1, 0.6, 0.7, 0.65, 0.72, 0.1))
    training.join(late)
    assert late.state is JobState.RUNNING and late.started == first.started
    assert late.history == first.history and late.progress == (2, 3, 32)
    first.cancel()
    assert training.leavers() == [first] and training.jobs == [late] and training.wanted()
    late.cancel()
    assert training.leavers() == [] and not training.wanted()  # the last: the training stops

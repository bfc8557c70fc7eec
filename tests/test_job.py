"""A training job's transitions: each writes its state and tells the observer, in order."""

import time

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.training.job import JobState, TrainingJob, fraction_done

CONFIG = ExperimentConfig(train_size=1000, epochs=2)
EPOCHS = [EpochRecord(epoch, 0.6, 0.7, 0.65, 0.72, 0.1) for epoch in (1, 2)]


class Recorder:
    """A job observer (as the run store's `SeatRecorder`): what it was told, and the job's state then."""

    def __init__(self):
        self.events = []

    def queued(self, job):
        self.events.append(("queued", job.state))

    def started(self, job):
        self.events.append(("started", job.state))

    def epoch_done(self, job, record):
        self.events.append((f"epoch {record.epoch}", job.state))

    def ended(self, job):
        self.events.append(("ended", job.state))


def run_of(history, state=RunState.DONE) -> TrainingRun:
    return TrainingRun(CONFIG, list(history), None, 0.5, 0.8, 1.0, state=state, name="theirs")


def test_a_job_that_trains_and_finishes():
    recorder = Recorder()
    job = TrainingJob(CONFIG, "Run 1", observer=recorder)
    job.enqueue()
    job.wait_for("memory: …")
    assert job.state is JobState.WAITING and job.waiting_for == "memory: …" and job.active
    job.wait_for(None)
    job.start(time.monotonic())
    job.advance((1, 16, 32))
    assert job.fraction_done == 0.25
    for record in EPOCHS:
        job.add_epoch(record)
    run = run_of(EPOCHS)
    job.finish(run)
    assert job.state is JobState.DONE and not job.active and job.finished >= job.started
    assert job.result.run_id == job.run_id != run.run_id and job.result.name == "Run 1"
    assert job.result.history == run.history and job.result.history is not run.history
    assert recorder.events == [("queued", JobState.WAITING), ("started", JobState.RUNNING),
                               ("epoch 1", JobState.RUNNING), ("epoch 2", JobState.RUNNING),
                               ("ended", JobState.DONE)]


def test_a_stopped_run_ends_the_job_cancelled_with_its_epochs():
    job = TrainingJob(CONFIG)
    job.start(time.monotonic())
    job.add_epoch(EPOCHS[0])
    job.finish(run_of(EPOCHS[:1], RunState.STOPPED))
    assert job.state is JobState.CANCELLED and job.result.epochs_done == 1


def test_a_failed_or_dropped_job_ends_without_a_run():
    failed, dropped = TrainingJob(CONFIG), TrainingJob(CONFIG)
    failed.wait_for("memory: …")
    failed.fail("RuntimeError: out of memory")
    dropped.drop()
    assert failed.state is JobState.FAILED and failed.error == "RuntimeError: out of memory"
    assert dropped.state is JobState.CANCELLED and dropped.error is None
    assert failed.result is dropped.result is failed.waiting_for is None
    assert failed.started is None and failed.finished is not None


def test_a_job_answered_with_an_earlier_run_is_told_as_a_whole_training():
    recorder = Recorder()
    job = TrainingJob(CONFIG, "Again", observer=recorder)
    job.answer_with(run_of(EPOCHS))
    assert job.state is JobState.DONE and job.earlier and job.progress == (2, 1, 1)
    assert job.result.name == "Again" and job.history == EPOCHS
    assert [event for event, _ in recorder.events] == ["queued", "started", "epoch 1", "epoch 2",
                                                       "ended"]


def test_an_observer_that_fails_does_not_stop_the_job():
    class Broken:
        def __getattr__(self, name):
            def fail(*args):
                raise OSError("the database is down")
            return fail

    job = TrainingJob(CONFIG, observer=Broken())
    job.answer_with(run_of(EPOCHS))
    assert job.state is JobState.DONE and job.history == EPOCHS


def test_a_job_stops_when_cancelled_or_its_owner_is_gone():
    owner_here = [True]
    job = TrainingJob(CONFIG, is_alive=lambda: owner_here[0])
    assert not job.should_stop()
    owner_here[0] = False
    assert job.should_stop() and job.stopped_because is None
    cancelled = TrainingJob(CONFIG)
    cancelled.cancel()
    assert cancelled.cancelled and cancelled.should_stop()


def test_the_fraction_done_counts_whole_epochs_and_steps():
    assert fraction_done((0, 0, 0), 2) == 0.0
    assert fraction_done((2, 8, 32), 2) == 0.625
    assert fraction_done((3, 32, 32), 2) == 1.0

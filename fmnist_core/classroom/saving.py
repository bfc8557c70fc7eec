"""Saving a learner's trainings as they happen: each start, each epoch, each end, into the run store.

A `SeatRecorder` watches a seat's training jobs (see `jobs.JobObserver`) and hands every write to
the `StoreWriter`, which writes in the background and keeps what it cannot write yet: a training cut
off mid-way keeps its finished epochs, and a database that is down loses nothing.
"""

import numpy as np

from fmnist_core.evaluation import Evaluation
from fmnist_core.history import EpochRecord
from fmnist_core.store import Seat, StoreWriter
from fmnist_core.training.jobs import TrainingJob


class SeatRecorder:
    """`test_labels` give each finished run its confusion matrix, which the class board sums."""

    def __init__(self, writer: StoreWriter, seat: Seat, test_labels: np.ndarray, server: str = ""):
        self.writer, self.seat, self.test_labels, self.server = writer, seat, test_labels, server

    def queued(self, job: TrainingJob) -> None:
        self.writer.queue_run(self.seat, job.run_id, job.name, job.config, server=self.server)

    def started(self, job: TrainingJob) -> None:
        self.writer.start_run(self.seat, job.run_id, job.name, job.config, server=self.server)

    def epoch_done(self, job: TrainingJob, record: EpochRecord) -> None:
        self.writer.save_epoch(self.seat, job.run_id, record)

    def ended(self, job: TrainingJob) -> None:
        run = job.result
        if run is None:  # dropped while waiting, or failed: kept only if it trained an epoch
            self.writer.abandon_run(self.seat, job.run_id)
            return
        from fmnist_core.training.model import weights_bytes  # the worker has TensorFlow loaded already

        confusion = Evaluation.from_logits(run.test_logits, self.test_labels).confusion_matrix()
        self.writer.finish_run(self.seat, job.run_id, state=run.state, test_loss=run.test_loss,
                               test_accuracy=run.test_accuracy, seconds=run.seconds,
                               test_logits=run.test_logits, weights=weights_bytes(run.model),
                               confusion=confusion)

"""A finished (or stopped) training run: its settings, history, model and test result."""

import secrets
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from fmnist_core.architecture import parameter_count
from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord

# What a learner compares with: the Keras lesson's result, and people shown the same images
# (Fashion-MNIST's human benchmark, Xiao et al. 2017).
REFERENCES = {"lesson ≈ 0.88": 0.88, "human 0.835": 0.835}


class RunState(StrEnum):
    """Where a run stands; a run the server lost while training it is `interrupted`."""

    WAITING = "waiting"  # asked for, waiting in the queue for a free trainer
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"


def new_run_id() -> str:
    return secrets.token_hex(16)


# eq=False: a run is one thing that happened (two runs can hold equal figures); and comparing
# test_logits arrays field by field would be ambiguous.
@dataclass(eq=False)
class TrainingRun:
    config: ExperimentConfig
    history: list[EpochRecord]
    model: object  # keras.Model; typed loosely so this module does not import TensorFlow
    test_loss: float
    test_accuracy: float
    seconds: float
    state: RunState = RunState.DONE
    name: str = ""
    test_logits: np.ndarray | None = field(default=None, repr=False)  # (10000, 10) float32
    run_id: str = field(default_factory=new_run_id)

    @property
    def stopped(self) -> bool:
        """Ended before its last epoch: stopped by the learner, or interrupted."""
        return self.state in (RunState.STOPPED, RunState.INTERRUPTED)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    @property
    def best_epoch(self) -> int | None:
        """With early stopping, the epoch of the lowest validation loss: the weights it kept."""
        if not self.config.early_stopping or not self.history:
            return None
        return min(self.history, key=lambda record: record.val_loss).epoch

    @property
    def stopped_early(self) -> bool:
        """Ended by early stopping, before its last epoch."""
        return self.state is RunState.DONE and self.epochs_done < self.config.epochs

    @property
    def ending(self) -> str:
        """How it ended, as Compare says it: "done", "stopped at epoch 7 of 30, best epoch 5"."""
        if self.stopped_early:
            return (f"stopped at epoch {self.epochs_done} of {self.config.epochs}, "
                    f"best epoch {self.best_epoch}")
        if self.best_epoch is not None and self.best_epoch < self.epochs_done:
            return f"{self.state.value}, best epoch {self.best_epoch}"
        return self.state.value

    @property
    def parameters(self) -> int:
        return parameter_count(self.config)

    def summary(self) -> dict:
        """One row of the Compare table."""
        config = self.config
        return {
            "run": self.name,
            "architecture": config.architecture.upper(),
            "hidden layers": " × ".join(map(str, config.hidden_layers)),
            "parameters": self.parameters,
            "epochs": self.epochs_done,
            "ended": self.ending,
            "batch": config.batch_size,
            "normalised": config.normalize,
            "train images": config.fit_images,
            "test accuracy": round(self.test_accuracy, 4),
            "seconds": round(self.seconds, 1),
        }

"""One epoch's figures, shared by training (which makes them) and figures (which draw them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class EpochRecord:
    """Loss and accuracy after one epoch; `val_*` is measured on the run's held-out set."""

    epoch: int  # 1-based, as Keras prints it
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float

"""Training: the model, the fast compiled loop with the lesson's semantics, and the server's queue of
trainings in named parts.

`model` builds the Keras model from `architecture` (its loss, forward pass, weights as bytes) and
`loop` trains it (`train`, compiled trainers reused through `trainer_pool`'s `TrainerPool`); these two
import TensorFlow. The rest do not, so the pages that import them open fast: `estimate` foretells a
training's seconds and memory (`Calibration`); `augmentation` moves images, one transform for NumPy
and the compiled step; the queue is `jobs` (`TrainingQueue`: scheduling, identical requests shared,
workers) with `job` (`TrainingJob`, one request and its transitions), `admission`
(`MemoryAdmission`), `pace` (`Pace`: time left and wait estimates), `warm_up` (`WarmUp`: what each
worker does before its first training) and `recent_runs` (`RecentRuns`: finished runs kept to
answer an identical request at once).

Exports `train` (from `loop`), loaded on first use: importing this package loads no TensorFlow.
"""

import importlib

__all__ = ["train"]


def __getattr__(name: str):
    """`fmnist_core.training.train`, imported (with TensorFlow) when first asked for."""
    if name == "train":
        train = importlib.import_module("fmnist_core.training.loop").train
        globals()["train"] = train
        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "train"])

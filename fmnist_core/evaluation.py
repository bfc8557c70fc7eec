"""What a trained model got right and wrong on the test set, from its scores (no TensorFlow here)."""

from dataclasses import dataclass
from math import prod

import numpy as np

from fmnist_core.data import CLASSES, IMAGE_SHAPE


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """Log-probabilities from logits, row by row, without overflow."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from logits, row by row (the tutorial's `Softmax` layer)."""
    return np.exp(log_softmax(scores))


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """The share of images whose highest score is their label's."""
    return float((scores.argmax(axis=-1) == labels).mean())


def loss_and_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The lesson's loss (cross-entropy from logits, as `model.LOSS`) and accuracy, from the scores."""
    labels = labels.astype(np.int64)
    log_probabilities = log_softmax(scores.astype(np.float64))
    return float(-log_probabilities[np.arange(len(labels)), labels].mean()), accuracy(scores, labels)


@dataclass(frozen=True)
class Evaluation:
    """A model's predictions on labelled images, and the summaries the pages show."""

    probabilities: np.ndarray  # (n, 10)
    labels: np.ndarray  # (n,) true classes

    @classmethod
    def from_logits(cls, scores: np.ndarray, labels: np.ndarray) -> "Evaluation":
        return cls(softmax(np.asarray(scores, dtype=np.float64)), np.asarray(labels, dtype=np.int64))

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The probability the model gives its own prediction."""
        return self.probabilities.max(axis=1)

    @property
    def accuracy(self) -> float:
        return accuracy(self.probabilities, self.labels)

    def mistakes(self) -> np.ndarray:
        """Indices of the images the model got wrong."""
        return np.flatnonzero(self.predicted != self.labels)

    def confusion_matrix(self) -> np.ndarray:
        """counts[true, predicted]."""
        counts = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        np.add.at(counts, (self.labels, self.predicted), 1)
        return counts

    def per_class_accuracy(self) -> np.ndarray:
        counts = self.confusion_matrix()
        return np.diag(counts) / np.maximum(counts.sum(axis=1), 1)

    def most_confused(self, top: int = 5) -> list[tuple[int, int, int]]:
        """The (true, predicted, count) pairs the model mixes up most, largest first."""
        counts = self.confusion_matrix()
        np.fill_diagonal(counts, 0)
        pairs = [(int(t), int(p), int(counts[t, p])) for t, p in zip(*np.nonzero(counts))]
        return sorted(pairs, key=lambda pair: (-pair[2], pair[0], pair[1]))[:top]


def first_layer_weight_images(model) -> np.ndarray:
    """Each first-hidden-layer neuron's 784 incoming weights as a 28×28 image: (neurons, 28, 28)."""
    kernel = model.get_layer("hidden_1").get_weights()[0]
    if kernel.shape[0] != prod(IMAGE_SHAPE):
        raise ValueError("first_layer_weight_images needs an MLP: the CNN's first dense layer "
                         f"sees {kernel.shape[0]} conv features, not {prod(IMAGE_SHAPE)} pixels.")
    return kernel.T.reshape(-1, *IMAGE_SHAPE)


def all_alike(weight_images: np.ndarray) -> bool:
    """Whether every neuron has the very same incoming weights (as after all-zero starting weights:
    each computed the same and got the same update, so none could learn anything different)."""
    return bool(np.all(weight_images == weight_images[:1]))


def conv_filters(model) -> np.ndarray:
    """The CNN's first convolution's learned filters as small images: (filters, 3, 3)."""
    kernel = model.get_layer("conv_1").get_weights()[0]  # (3, 3, 1, filters)
    return np.moveaxis(kernel[:, :, 0, :], -1, 0)

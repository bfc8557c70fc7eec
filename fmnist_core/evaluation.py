"""What a trained model got right and wrong on the test set, from its scores (no TensorFlow here)."""

from dataclasses import dataclass

import numpy as np

CLASSES = 10


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from logits, row by row (the tutorial's `Softmax` layer)."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


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
        return float((self.predicted == self.labels).mean())

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
    if kernel.shape[0] != 28 * 28:
        raise ValueError("first_layer_weight_images needs an MLP: the CNN's first dense layer "
                         f"sees {kernel.shape[0]} conv features, not 784 pixels.")
    return kernel.T.reshape(-1, 28, 28)


def conv_filters(model) -> np.ndarray:
    """The CNN's first convolution's learned filters as small images: (filters, 3, 3)."""
    kernel = model.get_layer("conv_1").get_weights()[0]  # (3, 3, 1, filters)
    return np.moveaxis(kernel[:, :, 0, :], -1, 0)

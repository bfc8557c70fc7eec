"""The map's points: a fixed, stratified sample of test images, and their activations projected to 2-D.

PCA, with NumPy's SVD: the map is linear, so its distances mean what the layer's do, and it takes a
few milliseconds for 2,000 points (t-SNE or UMAP would take seconds and a library more, and draw a
different picture at every seed). Numpy only: no TensorFlow.
"""

from dataclasses import dataclass

import numpy as np

from fmnist_core.data import CLASSES, sample_indices

MAP_PER_CLASS = 200  # 2,000 test images: every class as many, enough to see each class's cloud
MAP_SEED = 0  # the sample is the same for every run, so two runs' maps show the same images
AXES = 2


def map_sample(labels: np.ndarray, per_class: int = MAP_PER_CLASS) -> np.ndarray:
    """The test images the map draws: `per_class` of each class (`sample_indices`, seed MAP_SEED),
    class by class; the same indices for every run."""
    return sample_indices(labels, per_class, MAP_SEED)


@dataclass(frozen=True)
class Projection:
    """Points on their principal axes: `coordinates` (n, 2) float32, the share of all the variance
    each axis holds, the axes themselves (2, features) and the mean they are measured from."""

    coordinates: np.ndarray
    explained_variance: np.ndarray  # (2,) shares of the total, largest first
    axes: np.ndarray
    mean: np.ndarray


def principal_axes(features: np.ndarray) -> Projection:
    """`features` (n, d) projected onto their 2 principal axes (PCA by SVD, in float64).

    Each axis's sign is fixed (its largest loading positive, as scikit-learn's `svd_flip` does), so
    the same features always give the same map, never its mirror image. Features without variance
    (a network started from all-zero weights) put every point at 0; with a single feature the second
    axis is 0.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 1:
        raise ValueError(f"features must be a 2-D array with at least one row; got shape {features.shape}.")
    mean = features.mean(axis=0)
    centred = features - mean
    _, singular, rows = np.linalg.svd(centred, full_matrices=False)
    axes = np.zeros((AXES, features.shape[1]))
    kept = min(AXES, len(singular))
    axes[:kept] = rows[:kept]
    largest = np.abs(axes).argmax(axis=1)
    axes *= np.where(axes[np.arange(AXES), largest] < 0, -1.0, 1.0)[:, np.newaxis]
    total = float((singular**2).sum())
    shares = np.zeros(AXES)
    if total > 0 and np.any(features != features[0]):
        shares[:kept] = singular[:kept] ** 2 / total
    else:  # every row the same (the mean's rounding aside): no direction is principal
        axes[:] = 0.0
    return Projection((centred @ axes.T).astype(np.float32), shares, axes, mean)


@dataclass(frozen=True)
class ActivationMap:
    """Test images as points in 2-D, placed by one layer's activations for them (`principal_axes`).

    `indices` are the images' numbers in the test set (one per point, in the order of
    `coordinates`), `labels` their true classes and `predicted` the model's answers.
    """

    coordinates: np.ndarray  # (n, 2) float32
    indices: np.ndarray  # (n,)
    labels: np.ndarray  # (n,)
    predicted: np.ndarray  # (n,)
    explained_variance: np.ndarray  # (2,) each axis's share of the layer's variance
    layer: str  # the layer whose activations place the points, e.g. "hidden_1"
    features: int  # how many values that layer computes per image

    @classmethod
    def from_activations(cls, activations: np.ndarray, scores: np.ndarray, indices: np.ndarray,
                         labels: np.ndarray, layer: str) -> "ActivationMap":
        """The map of `activations` (n, features), with the answers of `scores` (n, classes)."""
        projection = principal_axes(activations)
        return cls(projection.coordinates, np.asarray(indices), np.asarray(labels),
                   np.asarray(scores).argmax(axis=1), projection.explained_variance, layer,
                   int(np.shape(activations)[1]))

    @property
    def wrong(self) -> np.ndarray:
        """Whether each point's image is predicted wrong."""
        return self.predicted != self.labels

    def centres(self) -> np.ndarray:
        """Each class's mean position: (10, 2), NaN for a class with no point."""
        centres = np.full((CLASSES, AXES), np.nan)
        for label in range(CLASSES):
            members = self.coordinates[self.labels == label]
            if len(members):
                centres[label] = members.mean(axis=0, dtype=np.float64)
        return centres

    def separation(self) -> float:
        """The share of the points' spread that lies between class centres rather than within classes
        (0: the classes sit on top of each other; 1: each class is one point)."""
        points = self.coordinates.astype(np.float64)
        total = float(((points - points.mean(axis=0)) ** 2).sum())
        if total == 0:
            return 0.0
        within = sum(float(((points[self.labels == label] - centre) ** 2).sum())
                     for label, centre in enumerate(self.centres()) if not np.isnan(centre[0]))
        return 1.0 - within / total

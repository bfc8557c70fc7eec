"""Fashion-MNIST as read-only NumPy arrays (where the files are looked for, read and checked), its
classes and shapes, and the summaries the data pages show.

Imports neither TensorFlow nor Keras, so pages that only show data open fast.
"""

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fmnist_core.data.download import FILES, MIRRORS, download_file, sha256_of
from fmnist_core.data.errors import DATA_DIR_ENV, DataUnavailableError, corrupt_file
from fmnist_core.data.idx import format_shape, read_idx_gz

if TYPE_CHECKING:
    import pandas

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

CLASSES = len(CLASS_NAMES)
IMAGE_SHAPE = (28, 28)
TRAIN_IMAGES, TEST_IMAGES = 60_000, 10_000

# The shape each official file must hold, in the order of FILES (and of FashionMNIST's fields).
_SHAPES = ((TRAIN_IMAGES, *IMAGE_SHAPE), (TRAIN_IMAGES,), (TEST_IMAGES, *IMAGE_SHAPE), (TEST_IMAGES,))

_STATS_CHUNK = 1 << 20  # pixels per step of pixel_stats; bounds its temporary to 2 MB


# eq=False: comparing arrays field by field is ambiguous; identity is what sessions share.
@dataclass(frozen=True, eq=False)
class FashionMNIST:
    """The 70,000 labelled images; the arrays are read-only because all sessions share them."""

    train_images: np.ndarray  # uint8, 60000×28×28, pixels 0–255
    train_labels: np.ndarray  # uint8, 60000, classes 0–9
    test_images: np.ndarray  # uint8, 10000×28×28
    test_labels: np.ndarray  # uint8, 10000
    source: Path  # the folder the files were read from

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES


def data_dirs() -> list[Path]:
    """The folders searched for the four files, in order.

    $FMNIST_DATA_DIR if set, then the Keras cache ($KERAS_HOME/datasets/fashion-mnist, by
    default ~/.keras/datasets/fashion-mnist), where keras.datasets.fashion_mnist.load_data()
    keeps them.
    """
    dirs = []
    if custom := os.environ.get(DATA_DIR_ENV):
        dirs.append(Path(custom).expanduser())
    keras_home = os.environ.get("KERAS_HOME")
    keras_home_dir = Path(keras_home).expanduser() if keras_home else Path.home() / ".keras"
    dirs.append(keras_home_dir / "datasets" / "fashion-mnist")
    return dirs


def _missing(folder: Path) -> list[str]:
    return [name for name in FILES if not (folder / name).is_file()]


def _not_found_message(folders: Sequence[Path]) -> str:
    lines = []
    for folder in folders:
        if not folder.is_dir():
            lines.append(f"  - {folder}: no such folder")
        else:
            lines.append(f"  - {folder}: missing {', '.join(_missing(folder))}")
    return (
        "The Fashion-MNIST files were not found. Looked in:\n"
        + "\n".join(lines)
        + f"\nPut the four official files ({', '.join(FILES)}) in one of these folders, "
        f"or in any folder and name it in {DATA_DIR_ENV}, or load with download=True."
    )


def _download_missing(
    folder: Path, mirrors: Sequence[str], progress: Callable[[float, str], None] | None
) -> None:
    """Download the files missing from `folder`, reporting progress over all of them."""
    missing = _missing(folder)
    total = sum(FILES[name].size for name in missing)
    before = 0
    for name in missing:
        report = None if progress is None else _reporter(progress, name, before, total)
        download_file(name, folder, mirrors=mirrors, progress=report)
        before += FILES[name].size


def _reporter(
    progress: Callable[[float, str], None], name: str, before: int, total: int
) -> Callable[[int, int | None], None]:
    """Turn download_file's byte counts for `name` into progress over all `total` bytes."""

    def report(done: int, _: int | None) -> None:
        so_far = before + done
        # min(): a mirror serving a wrong, larger file must not push the bar past the end.
        fraction = min(so_far / total, 1.0)
        progress(fraction, f"Downloading {name}: {so_far / 1e6:.1f} of {total / 1e6:.1f} MB")

    return report


def _read_official(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """The array in the official file at `path`, checked to be exactly that file."""
    array = read_idx_gz(path)
    if array.shape != shape:
        raise corrupt_file(
            str(path),
            f"holds an array of shape {format_shape(array.shape)}, "
            f"but Fashion-MNIST's is {format_shape(shape)}",
        )
    if array.ndim == 1 and (top := int(array.max())) >= len(CLASS_NAMES):
        raise corrupt_file(str(path), f"holds label {top}, but Fashion-MNIST's labels are 0–9")
    # The same names and shapes are used by MNIST digits, so only the hash tells them apart.
    digest = sha256_of(path)
    official = FILES[path.name].sha256
    if digest != official:
        raise corrupt_file(
            str(path),
            f"is not the official Fashion-MNIST file: its SHA-256 is {digest}, "
            f"the official file's is {official} (MNIST digits come in files of the same names)",
        )
    return array


def on_disk() -> bool:
    """Whether one of `data_dirs()` holds all four files (loading then needs no download)."""
    return any(not _missing(folder) for folder in data_dirs())


def load_fashion_mnist(
    data_dir: Path | str | None = None,
    *,
    download: bool = True,
    mirrors: Sequence[str] = MIRRORS,
    progress: Callable[[float, str], None] | None = None,
) -> FashionMNIST:
    """Read the four official files, downloading the missing ones first if allowed.

    With `data_dir`, only that folder is used. Otherwise the first folder of `data_dirs()`
    holding all four files is used. If there is none and `download` is true, the missing
    files are downloaded into the first folder looked in: `data_dir`; else $FMNIST_DATA_DIR
    when set, because setting it says where the data should live; else the Keras cache,
    so that Keras tutorials find the files too. `progress(fraction, message)` is called
    during the download, with `fraction` covering all files.

    Every file is checked: IDX structure, shape, label range and official SHA-256. Raises
    DataUnavailableError when files are missing and cannot be downloaded, and its subclass
    CorruptFileError when a file is damaged or not the official one.
    """
    folders = [Path(data_dir).expanduser()] if data_dir is not None else data_dirs()
    folder = next((f for f in folders if not _missing(f)), None)
    if folder is None:
        if not download:
            raise DataUnavailableError(_not_found_message(folders))
        folder = folders[0]
        _download_missing(folder, mirrors, progress)
    arrays = [
        _read_official(folder / name, shape) for name, shape in zip(FILES, _SHAPES, strict=True)
    ]
    return FashionMNIST(*arrays, source=folder)


def class_counts(labels: np.ndarray) -> np.ndarray:
    """Number of images of each of the 10 classes."""
    return np.bincount(labels, minlength=len(CLASS_NAMES))


def class_table(data: FashionMNIST) -> "pandas.DataFrame":
    """One row per class: label, name, and its number of train and test images."""
    import pandas  # here, not at the top: the home page imports this module but draws no table

    return pandas.DataFrame(
        {
            "label": np.arange(len(CLASS_NAMES)),
            "name": CLASS_NAMES,
            "train": class_counts(data.train_labels),
            "test": class_counts(data.test_labels),
        }
    )


def pixel_stats(images: np.ndarray) -> dict[str, float]:
    """Mean, std, min and max over all pixels of uint8 `images`, on the 0–255 scale.

    Sums are accumulated as exact integers over chunks, so no float copy of the images is
    ever made and the variance suffers no cancellation.
    """
    if images.dtype != np.uint8:
        raise ValueError(
            f"images has dtype {images.dtype}; pixel_stats expects the uint8 pixels "
            "(0–255) as loaded, before any scaling."
        )
    if images.size == 0:
        raise ValueError("images is empty; pixel_stats needs at least one pixel.")
    flat = images.reshape(-1)
    n, total, squares = flat.size, 0, 0
    for start in range(0, n, _STATS_CHUNK):
        chunk = flat[start : start + _STATS_CHUNK]
        total += int(chunk.sum(dtype=np.uint64))
        wide = chunk.astype(np.uint16)  # 255² = 65,025 still fits in 16 bits
        squares += int(np.multiply(wide, wide, out=wide).sum(dtype=np.uint64))
    return {
        "mean": total / n,
        "std": math.sqrt((n * squares - total * total) / (n * n)),
        "min": float(flat.min()),
        "max": float(flat.max()),
    }


def sample_indices(
    labels: np.ndarray, per_class: int, seed: int, classes: Iterable[int] | None = None
) -> np.ndarray:
    """`per_class` random indices of each class in `classes` (default all), by ascending class.

    Each class draws from its own generator seeded with (seed, class), and takes a prefix
    of a permutation: choosing other classes, or more per class, keeps the images already
    shown.
    """
    if per_class < 0:
        raise ValueError(f"per_class={per_class} is negative; pass 0 or more.")
    chosen = range(len(CLASS_NAMES)) if classes is None else sorted(set(classes))
    picks = [np.empty(0, dtype=np.intp)]  # so that no chosen class still gives an array
    for label in chosen:
        if not 0 <= label < len(CLASS_NAMES):
            raise ValueError(f"classes contains {label!r}; class labels are 0–9.")
        members = np.flatnonzero(labels == label)
        if per_class > members.size:
            raise ValueError(
                f"per_class={per_class} is more than the {members.size} images of class "
                f"{label} ({CLASS_NAMES[label]}); choose at most {members.size}."
            )
        rng = np.random.default_rng([seed, label])
        picks.append(rng.permutation(members)[:per_class])
    return np.concatenate(picks)


def mean_images(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The average image of each class: 10×H×W float32 on 0–255, NaN for a class with none."""
    if len(images) != len(labels):
        raise ValueError(
            f"images has {len(images)} images but labels has {len(labels)} labels; "
            "pass the labels that belong to these images."
        )
    means = np.full((len(CLASS_NAMES), *images.shape[1:]), np.nan, dtype=np.float32)
    for label in range(len(CLASS_NAMES)):
        members = images[labels == label]
        if len(members):
            means[label] = members.mean(axis=0, dtype=np.float64)
    return means

"""The images the model sees: Fashion-MNIST's official files, and a learner's own picture.

`idx` reads and checks one IDX file; `download` knows the official files, their checksums and
mirrors, and downloads one verified; `errors` says in one sentence which file is missing or damaged
(`DataUnavailableError`, `CorruptFileError`); `dataset` reads the four files as read-only arrays
(`FashionMNIST`, from `load_fashion_mnist`) and summarises them for the data pages. `upload` reads a
learner's uploaded picture within its limits, and `picture` makes it a 28×28 test image step by
step. Numpy and Pillow only: no TensorFlow, no Streamlit.

Exports what `dataset` holds: `load_fashion_mnist`, `FashionMNIST`, `data_dirs`, `on_disk`, the
classes and shapes (`CLASS_NAMES`, `CLASSES`, `IMAGE_SHAPE`, `TRAIN_IMAGES`, `TEST_IMAGES`) and the
summaries (`class_counts`, `class_table`, `pixel_stats`, `sample_indices`, `mean_images`).
"""

from fmnist_core.data.dataset import (
    CLASS_NAMES,
    CLASSES,
    IMAGE_SHAPE,
    TEST_IMAGES,
    TRAIN_IMAGES,
    FashionMNIST,
    class_counts,
    class_table,
    data_dirs,
    load_fashion_mnist,
    mean_images,
    on_disk,
    pixel_stats,
    sample_indices,
)

__all__ = ["CLASSES", "CLASS_NAMES", "IMAGE_SHAPE", "TEST_IMAGES", "TRAIN_IMAGES", "FashionMNIST",
           "class_counts", "class_table", "data_dirs", "load_fashion_mnist", "mean_images", "on_disk",
           "pixel_stats", "sample_indices"]

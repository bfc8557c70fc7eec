"""Finding, downloading and checking the data, and the summaries the pages show."""

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmnist_core.data import (
    CLASS_NAMES,
    class_counts,
    class_table,
    data_dirs,
    load_fashion_mnist,
    mean_images,
    pixel_stats,
    sample_indices,
)
from fmnist_core.data.download import FILES
from fmnist_core.data.errors import CorruptFileError, DataUnavailableError
from tools.server import REPO

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = FILES


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """No FMNIST_DATA_DIR, and a Keras home inside tmp_path that does not exist yet."""
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets" / "fashion-mnist"


def link_real_files(real_data, folder: Path, names=tuple(FILES)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(real_data.source / name)
    return folder


def write_idx_gz(path: Path, array: np.ndarray, level: int = 9) -> None:
    header = struct.pack(f">HBB{array.ndim}I", 0, 8, array.ndim, *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes(), compresslevel=level))


# --- where the files are looked for -------------------------------------------------------


def test_data_dirs_env_first_then_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert data_dirs() == [tmp_path / "mine", tmp_path / "kh/datasets/fashion-mnist"]


def test_data_dirs_default_to_the_keras_cache_in_home(monkeypatch, tmp_path):
    monkeypatch.delenv("FMNIST_DATA_DIR", raising=False)
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dirs() == [tmp_path / ".keras/datasets/fashion-mnist"]


def test_missing_files_without_download_lists_the_folders(monkeypatch, tmp_path, no_data_env):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / TEST_LABELS).write_bytes(b"")
    monkeypatch.setenv("FMNIST_DATA_DIR", str(mine))

    with pytest.raises(DataUnavailableError) as caught:
        load_fashion_mnist(download=False)

    assert type(caught.value) is DataUnavailableError
    lines = str(caught.value).splitlines()
    assert lines[0] == "The Fashion-MNIST files were not found. Looked in:"
    assert lines[1] == f"  - {mine}: missing {TRAIN_IMAGES}, {TRAIN_LABELS}, {TEST_IMAGES}"
    assert lines[2] == f"  - {no_data_env}: no such folder"
    assert "FMNIST_DATA_DIR" in lines[3] and "download=True" in lines[3]


def test_offline_download_fails_with_one_clear_message(tmp_path, closed_url):
    with pytest.raises(DataUnavailableError) as caught:
        load_fashion_mnist(tmp_path, mirrors=[closed_url])

    message = str(caught.value)
    assert message.startswith(f"Could not download {TRAIN_IMAGES} (offline?)")
    assert "Connection refused" in message and "FMNIST_DATA_DIR" in message
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert list(tmp_path.iterdir()) == []


# --- real files found, downloaded or damaged ----------------------------------------------


def test_first_folder_holding_all_files_wins(real_data, monkeypatch, tmp_path, no_data_env):
    partial = link_real_files(real_data, tmp_path / "partial", [TRAIN_LABELS, TEST_LABELS])
    monkeypatch.setenv("FMNIST_DATA_DIR", str(partial))
    link_real_files(real_data, no_data_env)

    data = load_fashion_mnist(download=False)

    assert data.source == no_data_env
    np.testing.assert_array_equal(data.test_labels, real_data.test_labels)


def serve_real_files(real_data, file_server) -> str:
    for name in FILES:
        file_server.serve(f"/mirror/{name}", (real_data.source / name).read_bytes())
    return file_server.url("/mirror/")


def test_downloads_only_missing_files_into_the_given_folder(real_data, file_server, tmp_path):
    mirror = serve_real_files(real_data, file_server)
    link_real_files(real_data, tmp_path, [TRAIN_LABELS])
    calls = []

    data = load_fashion_mnist(tmp_path, mirrors=[mirror], progress=lambda *c: calls.append(c))

    assert file_server.requested == [
        f"/mirror/{n}" for n in (TRAIN_IMAGES, TEST_IMAGES, TEST_LABELS)
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    assert data.source == tmp_path
    np.testing.assert_array_equal(data.train_images, real_data.train_images)
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert calls[0][1].startswith(f"Downloading {TRAIN_IMAGES}: ")
    megabytes = sum(FILES[n].size for n in (TRAIN_IMAGES, TEST_IMAGES, TEST_LABELS)) / 1e6
    assert calls[-1][1] == f"Downloading {TEST_LABELS}: {megabytes:.1f} of {megabytes:.1f} MB"


def test_downloads_into_fmnist_data_dir_when_set(
    real_data, file_server, monkeypatch, tmp_path, no_data_env
):
    monkeypatch.setenv("FMNIST_DATA_DIR", str(tmp_path / "chosen"))
    data = load_fashion_mnist(mirrors=[serve_real_files(real_data, file_server)])
    assert data.source == tmp_path / "chosen"
    assert sorted(p.name for p in data.source.iterdir()) == sorted(FILES)
    assert not no_data_env.exists()


def test_downloads_into_the_keras_cache_otherwise(real_data, file_server, no_data_env):
    data = load_fashion_mnist(mirrors=[serve_real_files(real_data, file_server)])
    assert data.source == no_data_env
    assert sorted(p.name for p in no_data_env.iterdir()) == sorted(FILES)


def folder_with_replaced(real_data, tmp_path, name) -> Path:
    """The real files, except `name`, which the test writes."""
    return link_real_files(real_data, tmp_path, [n for n in FILES if n != name])


def test_truncated_local_file_is_named(real_data, tmp_path):
    folder = folder_with_replaced(real_data, tmp_path, TRAIN_LABELS)
    whole = (real_data.source / TRAIN_LABELS).read_bytes()
    (folder / TRAIN_LABELS).write_bytes(whole[:10_000])

    with pytest.raises(CorruptFileError, match="gzip stream ends early") as caught:
        load_fashion_mnist(folder, download=False)
    assert str(folder / TRAIN_LABELS) in str(caught.value)


def test_wrong_shape_is_named(real_data, tmp_path):
    folder = folder_with_replaced(real_data, tmp_path, TRAIN_IMAGES)
    write_idx_gz(folder / TRAIN_IMAGES, np.zeros((10, 28, 28), np.uint8))

    with pytest.raises(CorruptFileError) as caught:
        load_fashion_mnist(folder, download=False)
    assert str(caught.value).startswith(
        f"{folder / TRAIN_IMAGES} holds an array of shape 10×28×28, "
        "but Fashion-MNIST's is 60000×28×28."
    )


def test_label_out_of_range_is_named(real_data, tmp_path):
    folder = folder_with_replaced(real_data, tmp_path, TEST_LABELS)
    labels = real_data.test_labels.copy()
    labels[5] = 10
    write_idx_gz(folder / TEST_LABELS, labels)

    with pytest.raises(CorruptFileError, match=r"holds label 10, but .* are 0–9") as caught:
        load_fashion_mnist(folder, download=False)
    assert str(folder / TEST_LABELS) in str(caught.value)


def test_same_content_gzipped_differently_is_not_the_official_file(real_data, tmp_path):
    folder = folder_with_replaced(real_data, tmp_path, TEST_LABELS)
    write_idx_gz(folder / TEST_LABELS, real_data.test_labels, level=1)

    with pytest.raises(CorruptFileError, match="is not the official Fashion-MNIST file") as c:
        load_fashion_mnist(folder, download=False)
    assert str(folder / TEST_LABELS) in str(c.value)
    assert FILES[TEST_LABELS].sha256 in str(c.value)


# --- the real data ------------------------------------------------------------------------


def test_shapes_dtypes_and_source(real_data):
    assert real_data.train_images.shape == (60_000, 28, 28)
    assert real_data.train_labels.shape == (60_000,)
    assert real_data.test_images.shape == (10_000, 28, 28)
    assert real_data.test_labels.shape == (10_000,)
    arrays = [real_data.train_images, real_data.train_labels]
    arrays += [real_data.test_images, real_data.test_labels]
    assert all(a.dtype == np.uint8 for a in arrays)
    assert real_data.class_names == CLASS_NAMES
    assert all((real_data.source / name).is_file() for name in FILES)


def test_arrays_are_read_only(real_data):
    for array in (real_data.train_images, real_data.train_labels, real_data.test_images):
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array.flat[0] = 1
        with pytest.raises(ValueError):
            array.flags.writeable = True
    with pytest.raises(AttributeError):
        real_data.train_labels = real_data.test_labels


def test_first_labels(real_data):
    assert real_data.train_labels[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert real_data.test_labels[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]


def test_class_counts_and_table(real_data):
    assert class_counts(real_data.train_labels).tolist() == [6000] * 10
    assert class_counts(real_data.test_labels).tolist() == [1000] * 10
    table = class_table(real_data)
    assert list(table.columns) == ["label", "name", "train", "test"]
    assert table["label"].tolist() == list(range(10))
    assert tuple(table["name"]) == CLASS_NAMES
    assert table["train"].sum() == 60_000 and set(table["test"]) == {1000}
    assert table.loc[9, "name"] == "Ankle boot"


def test_class_counts_counts_every_class_even_absent():
    assert class_counts(np.array([3, 3, 0], np.uint8)).tolist() == [1, 0, 0, 2, 0, 0, 0, 0, 0, 0]


def test_pixel_stats_real(real_data):
    train = pixel_stats(real_data.train_images)
    assert train["mean"] == pytest.approx(72.9404, abs=0.01)
    assert train["std"] == pytest.approx(90.0212, abs=0.01)
    assert (train["min"], train["max"]) == (0.0, 255.0)
    assert pixel_stats(real_data.test_images)["mean"] == pytest.approx(73.1466, abs=0.01)


def test_pixel_stats_matches_numpy_exactly_across_chunks():
    images = np.random.default_rng(2).integers(3, 251, (1500, 28, 28), dtype=np.uint8)
    stats = pixel_stats(images)  # 1.2 M pixels: more than one chunk
    as_float = images.astype(np.float64)
    assert stats["mean"] == pytest.approx(as_float.mean(), rel=1e-12)
    assert stats["std"] == pytest.approx(as_float.std(), rel=1e-12)
    assert (stats["min"], stats["max"]) == (float(images.min()), float(images.max()))
    assert all(type(value) is float for value in stats.values())


def test_pixel_stats_rejects_scaled_images():
    with pytest.raises(ValueError, match="images has dtype float32; pixel_stats expects"):
        pixel_stats(np.zeros((2, 28, 28), np.float32))


def test_sample_indices_per_class_in_class_order(real_data):
    labels = real_data.train_labels
    picked = sample_indices(labels, per_class=5, seed=0, classes=[8, 1, 3])
    assert labels[picked].tolist() == [1] * 5 + [3] * 5 + [8] * 5
    assert len(set(picked.tolist())) == 15
    assert np.array_equal(picked, sample_indices(labels, per_class=5, seed=0, classes=[1, 3, 8]))
    assert not np.array_equal(picked, sample_indices(labels, 5, seed=1, classes=[1, 3, 8]))


def test_sample_indices_keeps_what_is_shown(real_data):
    labels = real_data.train_labels
    every = sample_indices(labels, per_class=4, seed=7)
    assert labels[every].tolist() == np.repeat(np.arange(10), 4).tolist()
    # Choosing fewer classes or more per class keeps the images already picked.
    np.testing.assert_array_equal(sample_indices(labels, 4, seed=7, classes=[2]), every[8:12])
    np.testing.assert_array_equal(sample_indices(labels, 6, seed=7, classes=[2])[:4], every[8:12])
    assert sample_indices(labels, 4, seed=7, classes=[]).size == 0


def test_sample_indices_rejects_impossible_requests(real_data):
    labels = real_data.test_labels
    with pytest.raises(ValueError, match=r"per_class=1001 is more than the 1000 images of class 0"):
        sample_indices(labels, per_class=1001, seed=0)
    with pytest.raises(ValueError, match="classes contains 10; class labels are 0–9"):
        sample_indices(labels, per_class=1, seed=0, classes=[10])
    with pytest.raises(ValueError, match="per_class=-1 is negative"):
        sample_indices(labels, per_class=-1, seed=0)


def test_mean_images_real(real_data):
    means = mean_images(real_data.train_images, real_data.train_labels)
    assert means.shape == (10, 28, 28) and means.dtype == np.float32
    trousers = real_data.train_images[real_data.train_labels == 1]
    np.testing.assert_allclose(means[1], trousers.mean(axis=0), rtol=1e-6)
    assert np.abs(means[1] - means[8]).mean() > 20  # a trouser does not look like a bag
    # Every class has 6000 images, so the mean of the class means is the pixel mean.
    assert means.mean(dtype=np.float64) == pytest.approx(72.9404, abs=0.01)


def test_mean_images_of_absent_class_is_nan():
    images = np.stack([np.full((2, 2), 10, np.uint8), np.full((2, 2), 20, np.uint8)])
    means = mean_images(images, np.array([4, 4], np.uint8))
    assert means.shape == (10, 2, 2)
    assert (means[4] == 15).all()
    assert np.isnan(np.delete(means, 4, axis=0)).all()


def test_mean_images_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="images has 2 images but labels has 3 labels"):
        mean_images(np.zeros((2, 28, 28), np.uint8), np.zeros(3, np.uint8))


def test_importing_data_loads_neither_tensorflow_nor_keras():
    check = (
        "import sys, fmnist_core.data; "
        "print([m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

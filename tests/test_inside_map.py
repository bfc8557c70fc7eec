"""The map of what the network learned: its sample, its projection, its determinism, its starting
weights rebuilt, and what the page's map component draws from it."""

import base64
import dataclasses
import json
import threading
import zlib

import numpy as np
import pytest

from fmnist_core import figures
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASS_NAMES
from fmnist_core.figures.map import PLACES, packed_images, placed
from fmnist_core.figures.style import MARKERS, RUN_COLOURS
from fmnist_core.inside import MAP_PER_CLASS, ActivationMap, map_sample, principal_axes

SHORT = ExperimentConfig(hidden_layers=(32,), train_size=1000, epochs=1)


def orthonormal_rows(rows: int, columns: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).normal(size=(columns, rows)))[0].T


# --- the projection (NumPy only) ---------------------------------------------------------


def test_principal_axes_find_the_axes_a_known_cloud_was_made_on():
    """Points spread 5, 2 and 1 along three known orthonormal directions of a 6-D space: PCA finds
    the first two, with their shares of the variance, and each point's place on them."""
    rng = np.random.default_rng(1)
    spread = rng.normal(size=(300, 3))
    spread = np.linalg.qr(spread - spread.mean(axis=0))[0]  # centred, orthonormal columns
    directions = orthonormal_rows(3, 6, seed=2)
    mean = rng.normal(size=6)
    features = (spread * [5.0, 2.0, 1.0]) @ directions + mean
    projection = principal_axes(features)
    assert projection.coordinates.dtype == np.float32 and projection.coordinates.shape == (300, 2)
    np.testing.assert_allclose(projection.explained_variance, [25 / 30, 4 / 30], atol=1e-12)
    np.testing.assert_allclose(projection.mean, mean, atol=1e-12)
    for axis in range(2):
        sign = np.sign(projection.axes[axis] @ directions[axis])
        np.testing.assert_allclose(projection.axes[axis], sign * directions[axis], atol=1e-10)
        np.testing.assert_allclose(projection.coordinates[:, axis], sign * spread[:, axis] * [5, 2][axis],
                                   atol=1e-5)


def test_principal_axes_never_flip_the_map():
    """Each axis's largest loading is positive, whatever the sign the SVD returned: the map of the
    features and of the features mirrored along an axis are the same up to that mirror."""
    features = np.random.default_rng(3).normal(size=(200, 5)) * [4, 3, 1, 1, 1]
    projection = principal_axes(features)
    for axis in projection.axes:
        assert axis[np.abs(axis).argmax()] > 0
    again = principal_axes(features.copy())
    assert np.array_equal(projection.coordinates, again.coordinates)
    mirrored = principal_axes(-features)  # the same cloud, mirrored: the same axes, points mirrored
    np.testing.assert_allclose(mirrored.coordinates, -projection.coordinates, atol=1e-5)


def test_principal_axes_of_features_without_variance_put_every_point_at_the_centre():
    """All-zero starting weights make every image's activations the same."""
    projection = principal_axes(np.full((50, 8), 0.3))
    assert not projection.coordinates.any() and not projection.explained_variance.any()
    one_feature = principal_axes(np.arange(10.0)[:, np.newaxis])
    assert not one_feature.coordinates[:, 1].any() and one_feature.explained_variance[0] == 1


def test_principal_axes_refuse_what_is_not_a_table():
    with pytest.raises(ValueError, match="features must be a 2-D array"):
        principal_axes(np.zeros(5))


def test_the_map_sample_is_200_of_each_class_and_the_same_every_time():
    labels = np.random.default_rng(4).permutation(np.repeat(np.arange(10), 1000))
    indices = map_sample(labels)
    assert len(indices) == 10 * MAP_PER_CLASS == 2000 and len(set(indices)) == 2000
    assert np.array_equal(np.bincount(labels[indices]), np.full(10, 200))
    assert np.array_equal(indices, map_sample(labels.copy()))


# --- what the map component draws (NumPy only) ---------------------------------------------


def synthetic_map(seed: int, wrong_every: int) -> ActivationMap:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), 20)
    activations = rng.normal(size=(200, 6)) + np.eye(10, 6)[labels] * 4
    scores = np.eye(10)[labels]
    scores[::wrong_every] = np.roll(scores[::wrong_every], 1, axis=1)  # every wrong_every-th is wrong
    return ActivationMap.from_activations(activations, scores, np.arange(200) + 5000, labels, "hidden_1")


def test_the_maps_data_gives_each_class_its_colour_and_shape_and_each_point_its_answer():
    before, after = synthetic_map(5, wrong_every=2), synthetic_map(6, wrong_every=10)
    data = figures.map_before_and_after(before, after, CLASS_NAMES).data
    assert [(c["name"], c["colour"], c["shape"]) for c in data["classes"]] == list(
        zip(CLASS_NAMES, RUN_COLOURS, MARKERS))
    assert data["numbers"] == after.indices.tolist() and data["labels"] == after.labels.tolist()
    assert data["images"] is None  # no test images given: no hover pictures
    assert [the_map["title"] for the_map in data["maps"]] == ["before training: 100 images wrong",
                                                              "after training: 20 images wrong"]
    for the_map, activations in zip(data["maps"], (before, after)):
        assert the_map["predicted"] == activations.predicted.tolist()
        share = activations.explained_variance
        assert the_map["x_title"] == f"axis 1 ({100 * share[0]:.1f} % of the variance)"
        assert (the_map["x"], the_map["y"]) == placed(activations.coordinates)
    json.dumps(data)  # what the component receives


def test_a_maps_points_are_placed_on_a_grid_that_keeps_their_distances_proportions():
    coordinates = np.array([[-2.0, 1.0], [3.0, 1.0], [-2.0, 3.5], [0.5, 2.0]])
    x, y = placed(coordinates)
    assert (x, y) == ([0, PLACES, 0, PLACES // 2], [0, 0, PLACES // 2, 200])
    assert placed(np.full((3, 2), 7.0)) == ([0, 0, 0], [0, 0, 0])  # all in one place


def test_the_maps_must_place_the_same_images():
    with pytest.raises(ValueError, match="same test images"):
        other_images = dataclasses.replace(synthetic_map(6, 10), indices=np.arange(200))
        figures.map_before_and_after(synthetic_map(5, 2), other_images, CLASS_NAMES)


def test_the_maps_images_are_packed_in_16_shades_of_grey():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 0, :4] = [255, 128, 9, 8]
    shades = np.frombuffer(zlib.decompress(base64.b64decode(packed_images(images))), np.uint8)
    assert shades.shape == (2 * 28 * 28,) and shades[:5].tolist() == [15, 8, 1, 0, 0] and not shades[4:].any()


def test_the_map_says_what_it_shows_in_words_and_numbers():
    before, after = synthetic_map(5, wrong_every=2), synthetic_map(6, wrong_every=10)
    text = figures.map_before_and_after(before, after, CLASS_NAMES).text
    assert text.name == "Map of 200 test images, before and after training"
    assert "hidden_1" in text.summary and "20 are wrong" in text.summary and text.summary.endswith(".")
    assert [row["class"] for row in text.rows] == list(CLASS_NAMES)
    assert text.rows[0]["images"] == 20 and text.rows[0]["wrong before"] == 10
    centre = after.centres()[3]
    assert text.rows[3]["centre after"] == f"({centre[0]:.2f}, {centre[1]:.2f})"
    assert 0 < after.separation() < 1


# --- a run's map (TensorFlow, real data) --------------------------------------------------


@pytest.fixture(scope="module")
def short_run(real_data):
    from fmnist_core.training.loop import train
    from fmnist_core.training.trainer_pool import TrainerPool

    trainers = TrainerPool()
    return train(SHORT, real_data, trainers=trainers), trainers


def test_a_runs_map_is_the_same_every_time(real_data, short_run):
    from fmnist_core.inside.map import maps_before_and_after

    run, _ = short_run
    first = maps_before_and_after(run.config, run.model, real_data.test_images, real_data.test_labels)
    second = maps_before_and_after(run.config, run.model, real_data.test_images, real_data.test_labels)
    for one, other in zip(first, second):
        assert one.coordinates.shape == (2000, 2) and one.coordinates.dtype == np.float32
        for field in ("coordinates", "indices", "labels", "predicted", "explained_variance"):
            assert np.array_equal(getattr(one, field), getattr(other, field)), field
        assert np.array_equal(one.labels, real_data.test_labels[one.indices])
        assert one.layer == "hidden_1" and one.features == 32
    before, after = first
    assert np.array_equal(before.indices, after.indices)
    # Trained, the network answers far better and keeps the classes further apart.
    assert after.wrong.sum() < before.wrong.sum() / 2 and after.separation() > before.separation()
    # The same answers as the trainer's own scores (a near tie may fall the other way in float32).
    assert (after.predicted == run.test_logits[after.indices].argmax(axis=1)).mean() > 0.995


def test_a_run_started_from_the_weights_its_config_and_seed_rebuild(real_data, short_run):
    """A run stopped before its first step returns its starting weights: the same, bit for bit, as
    `starting_model` rebuilds, here on a pooled trainer that had already trained another run, and
    when rebuilt in another thread."""
    from fmnist_core.inside.map import starting_model
    from fmnist_core.training.loop import train, trainer_key

    _, trainers = short_run  # its trainer holds the short run's trained weights
    stopped = train(SHORT, real_data, trainers=trainers, should_stop=lambda: True)
    assert trainers.idle() == {trainer_key(SHORT): 1}  # the same trainer, reused
    rebuilt = [None]
    thread = threading.Thread(target=lambda: rebuilt.__setitem__(0, starting_model(SHORT).get_weights()))
    thread.start()
    thread.join()
    start = stopped.model.get_weights()
    for weights in (starting_model(SHORT).get_weights(), rebuilt[0]):
        assert len(weights) == len(start)
        assert all(np.array_equal(a, b) for a, b in zip(weights, start))
    other_seed = starting_model(SHORT.with_changes(seed=7)).get_weights()
    assert not np.array_equal(other_seed[0], start[0])


def test_the_last_hidden_layer_is_the_one_the_output_weighs():
    from fmnist_core.inside.map import last_hidden_layer
    from fmnist_core.training.model import build_model

    assert last_hidden_layer(build_model(SHORT)) == "hidden_1"
    deeper = SHORT.with_changes(hidden_layers=(32, 16), dropout=0.2)
    assert last_hidden_layer(build_model(deeper)) == "hidden_2"
    normalised = SHORT.with_changes(batch_norm=True, activation="tanh")
    assert last_hidden_layer(build_model(normalised)) == "tanh_1"

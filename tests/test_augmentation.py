"""Data augmentation: known images moved to the expected pixels, in NumPy and in the compiled step."""

from functools import cache

import numpy as np
import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.training import augmentation
from fmnist_core.training.augmentation import DRAWS, previews, strengths, transformed

STILL = 0.5  # a draw of 0.5 is the middle of every range: no shift, no turn, no zoom
IMAGE = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 251  # every pixel tells where it was
IMAGE = IMAGE.astype(np.uint8)


def moved(xp_name: str, image: np.ndarray, draw: list[float], config: ExperimentConfig) -> np.ndarray:
    draws = np.array([draw], np.float32)
    if xp_name == "numpy":
        return transformed(np, image[None], draws, strengths(config))[0]
    import tensorflow as tf

    moving = compiled()
    return moving(tf.constant(image[None]), tf.constant(draws), tf.constant(strengths(config))).numpy()[0]


@cache
def compiled():
    """`transformed` as the training step runs it: TensorFlow, compiled by XLA."""
    import tensorflow as tf
    import tensorflow.experimental.numpy as tnp

    return tf.function(lambda images, draws, strength: transformed(tnp, images, draws, strength),
                       jit_compile=True)


BOTH = pytest.mark.parametrize("xp_name", ["numpy", "tensorflow"])


@BOTH
def test_a_flip_mirrors_left_to_right(xp_name):
    flipped = moved(xp_name, IMAGE, [0.1, STILL, STILL, STILL, STILL], ExperimentConfig(flip=True))
    assert np.array_equal(flipped, IMAGE[:, ::-1])
    kept = moved(xp_name, IMAGE, [0.7, STILL, STILL, STILL, STILL], ExperimentConfig(flip=True))
    assert np.array_equal(kept, IMAGE)  # the other half of the draws leave it as it is


@BOTH
def test_a_shift_moves_the_pixels_and_fills_with_black(xp_name):
    # Draws of 1 and 0 are the ends of the ranges: 2 pixels right and 2 up.
    shifted = moved(xp_name, IMAGE, [0.9, 1.0, 0.0, STILL, STILL], ExperimentConfig(shift=2))
    assert np.array_equal(shifted[:-2, 2:], IMAGE[2:, :-2])
    assert not shifted[:, :2].any() and not shifted[-2:].any()


@BOTH
def test_a_turn_and_a_zoom_keep_the_centre_and_move_the_rest(xp_name):
    image = np.zeros((28, 28), np.uint8)
    image[12:16, 12:16] = 255  # the middle 4 × 4 pixels
    image[13:15, 24] = 200  # a mark to the right of the middle
    turned = moved(xp_name, image, [0.9, STILL, STILL, 1.0, STILL], ExperimentConfig(rotation=30))
    assert (turned[13:15, 13:15] == 255).all()
    rows, columns = np.nonzero(turned == 200)
    assert rows.mean() > 17 and columns.mean() < 24  # turned clockwise: 30° down from the right
    bigger = moved(xp_name, image, [0.9, STILL, STILL, STILL, 1.0], ExperimentConfig(zoom=0.3))
    assert (bigger[12:16, 12:16] == 255).all() and (bigger == 255).sum() == 36  # now 6 × 6
    rows, columns = np.nonzero(bigger == 200)
    assert columns.min() == 27  # the mark, 10.5 pixels right of the middle, moved to 13.65


def test_off_leaves_every_image_as_it_is():
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    draws = np.random.default_rng(1).random((50, DRAWS), np.float32)
    assert np.array_equal(transformed(np, images, draws, strengths(ExperimentConfig())), images)
    assert not ExperimentConfig().augments and ExperimentConfig(zoom=0.1).augments


def test_the_compiled_step_moves_pixels_as_numpy_does():
    config = ExperimentConfig(flip=True, shift=3, rotation=20, zoom=0.2)
    images = np.random.default_rng(2).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    draws = np.random.default_rng(3).random((64, DRAWS), np.float32)
    import tensorflow as tf

    in_tensorflow = compiled()(tf.constant(images), tf.constant(draws), tf.constant(strengths(config)))
    assert np.array_equal(in_tensorflow.numpy(), transformed(np, images, draws, strengths(config)))


def test_a_seed_and_epoch_give_the_same_draws_and_another_epoch_others():
    first = augmentation.draws(7, 1, 1000)
    assert np.array_equal(first, augmentation.draws(7, 1, 1000))
    assert not np.array_equal(first, augmentation.draws(7, 2, 1000))
    assert not np.array_equal(first, augmentation.draws(8, 1, 1000))
    assert first.min() >= 0 and first.max() < 1


def test_the_previews_follow_the_knobs_and_say_what_moved():
    still, words = previews(IMAGE, ExperimentConfig())
    assert all(np.array_equal(image, IMAGE) for image in still) and set(words) == {"as it is"}
    shifted, words = previews(IMAGE, ExperimentConfig(shift=3, flip=True))
    assert len(shifted) == augmentation.PREVIEWS and len({image.tobytes() for image in shifted}) > 1
    assert any("flipped" in line for line in words) and any("→" in line or "←" in line for line in words)
    assert all("°" not in line and "%" not in line for line in words)  # nothing turned or zoomed

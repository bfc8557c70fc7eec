"""Data augmentation: each training image flipped, shifted, turned and zoomed at random, on the fly.

One description of the transform serves NumPy (Build & train's preview, without TensorFlow) and
TensorFlow (inside the compiled training step, through `tf.experimental.numpy`): `transformed`
takes the array module to compute with. Pixels are picked by nearest neighbour from the uint8
image, and what comes from outside it is black, so a batch is moved, never blurred or copied.
"""

import math

import numpy as np

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import IMAGE_SHAPE

DRAWS = 5  # random numbers per image: flip, shift across, shift down, angle, zoom
PREVIEWS = 8

_HEIGHT, _WIDTH = IMAGE_SHAPE
_CENTRE = (_WIDTH - 1) / 2
_ROWS, _COLUMNS = (np.indices(IMAGE_SHAPE, dtype=np.float32).reshape(2, -1) - _CENTRE)


def strengths(config: ExperimentConfig) -> np.ndarray:
    """[flip (0 or 1), shift in pixels, rotation in degrees, zoom as a fraction] of `config`."""
    return np.array([config.flip, config.shift, config.rotation, config.zoom], np.float32)


def _moves(xp, draws, strength):
    """Per image: mirror (-1 or 1), shift across and down (whole pixels), angle (radians), scale."""
    spread = draws * 2 - 1  # each in [-1, 1)
    mirror = xp.where(draws[:, 0] < 0.5 * strength[0], np.float32(-1), np.float32(1))
    across = xp.floor(spread[:, 1] * strength[1] + 0.5)
    down = xp.floor(spread[:, 2] * strength[1] + 0.5)
    return (mirror, across, down, spread[:, 3] * strength[2] * (math.pi / 180),
            1 + spread[:, 4] * strength[3])


def transformed(xp, images, draws, strength):
    """`images` (n, 28, 28) uint8, each moved as its row of `draws` (n, DRAWS), in [0, 1), picks
    within `strength` (see `strengths`); `xp` is numpy or tensorflow.experimental.numpy."""
    count = images.shape[0]
    mirror, across, down, angle, scale = _moves(xp, draws, strength)
    # Each output pixel takes the source pixel that the inverse transform brings it back to:
    # mirrored, turned back and unscaled from its place less the shift, as one affine map per image.
    cos, sin = xp.cos(angle) / scale, xp.sin(angle) / scale
    column = _rounded(xp, mirror * cos, mirror * sin, -mirror * (cos * across + sin * down))
    row = _rounded(xp, -sin, cos, sin * across - cos * down)
    inside = (column >= 0) & (column < _WIDTH) & (row >= 0) & (row < _HEIGHT)
    outside = _HEIGHT * _WIDTH  # the index of a black pixel put after each image's own
    index = xp.where(inside, row * _WIDTH + column, np.float32(outside))
    pixels = xp.concatenate([xp.reshape(images, (count, -1)), xp.zeros_like(images[:, 0, :1])], 1)
    moved = xp.take_along_axis(pixels, xp.asarray(index, xp.int32), axis=1)
    return xp.reshape(moved, (count, *IMAGE_SHAPE))


def _rounded(xp, by_column, by_row, offset):
    """The nearest source coordinate per output pixel, for per-image coefficients of the map."""
    return xp.floor(by_column[:, None] * _COLUMNS[None, :] + by_row[:, None] * _ROWS[None, :]
                    + (offset + _CENTRE + 0.5)[:, None])


def draws(seed: int, epoch: int, images: int) -> np.ndarray:
    """The random numbers that move an epoch's images, (images, DRAWS): the same for a seed and
    epoch however the epoch is cut into compiled calls."""
    return np.random.default_rng([seed, epoch, DRAWS]).random((images, DRAWS), np.float32)


def previews(image: np.ndarray, config: ExperimentConfig, seed: int = 0):
    """PREVIEWS versions of one uint8 image as `config`'s augmentation would feed them, and each
    one's moves in short: "flipped →2 ↑1 ↻7° 105%" (see `NOTATION`)."""
    draws = np.random.default_rng(seed).random((PREVIEWS, DRAWS), np.float32)
    strength = strengths(config)
    images = transformed(np, np.repeat(image[None], PREVIEWS, axis=0), draws, strength)
    return images, [_in_short(*moves) for moves in zip(*_moves(np, draws, strength), strict=True)]


NOTATION = ("the shift in pixels (→ right, ← left, ↓ down, ↑ up), the turn (↻ clockwise, "
            "↺ anticlockwise), the zoom (above 100% bigger) and whether it was flipped")


def _in_short(mirror, across, down, angle, scale) -> str:
    degrees = round(math.degrees(angle))
    parts = ["flipped"] if mirror < 0 else []
    parts += [f"{'→' if across > 0 else '←'}{abs(across):.0f}"] if across else []
    parts += [f"{'↓' if down > 0 else '↑'}{abs(down):.0f}"] if down else []
    parts += [f"{'↻' if degrees > 0 else '↺'}{abs(degrees)}°"] if degrees else []
    parts += [f"{scale:.0%}"] if round(scale, 2) != 1 else []
    return " ".join(parts) or "as it is"

"""The map of what the network learned: the test images as points placed by a layer's activations
(`inside.projection.ActivationMap`), before and after training side by side.

Plotly is not what draws it: on a fresh page load a Plotly chart appears only after Plotly's 4.7 MB
of JavaScript is evaluated (the map 2.6–3.6 s after navigation, measured), so the page's own small
component (`ui/point_map.js`) draws it, as SVG, from the plain data made here (`PointMaps.data`):
each map's points, placed on a 0..PLACES grid that keeps the axes' proportions; each class's name,
colour and marker shape (not colour alone); each point's answer (a wrong one drawn hollow); and,
given the test images, each point's image for its hover label, in LEVELS shades of grey, deflated
(zlib) and in base64 (0.5 MB for 2,000 images, against 1.6 MB as raw bytes).
"""

import base64
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_core.figures.style import MARKERS, RUN_COLOURS
from fmnist_core.figures.text import FigureText, percent
from fmnist_core.lesson.words import count

PLACES = 1000  # a point's place on each axis, an integer from 0 to PLACES (the longer axis's span)
LEVELS = 16  # the shades of grey of a hover label's image


@dataclass(frozen=True)
class PointMaps:
    """Maps of the same test images side by side, as the page's map component draws them (`data`,
    JSON-ready), and their words (`text`)."""

    data: dict
    text: FigureText


def map_before_and_after(before, after, class_names: Sequence[str], images: np.ndarray | None = None
                         ) -> PointMaps:
    """Two maps of the same test images (`ActivationMap`s, in the same order), before and after
    training, each on its own principal axes. With `images` (the whole test set, uint8), each point's
    image goes with them, for its hover label."""
    if not np.array_equal(before.indices, after.indices):
        raise ValueError("the maps before and after training must place the same test images, in the "
                         "same order")
    name = f"Map of {count(len(after.indices), 'test image')}, before and after training"
    maps = [_one_map(when, the_map) for when, the_map in (("before training", before),
                                                           ("after training", after))]
    classes = [{"name": class_name, "colour": RUN_COLOURS[label % len(RUN_COLOURS)],
                "shape": MARKERS[label % len(MARKERS)]} for label, class_name in enumerate(class_names)]
    data = {"name": name, "classes": classes, "numbers": after.indices.tolist(),
            "labels": after.labels.tolist(), "maps": maps,
            "images": None if images is None else packed_images(np.asarray(images)[after.indices]),
            "levels": LEVELS}
    summary, rows = map_words(before, after, class_names)
    return PointMaps(data, FigureText(name, summary, tuple(rows)))


def _one_map(when: str, the_map) -> dict:
    """One map's title, axis titles, points (x, y on the 0..PLACES grid) and answers."""
    share = the_map.explained_variance
    x, y = placed(the_map.coordinates)
    return {"title": f"{when}: {count(int(the_map.wrong.sum()), 'image')} wrong",
            "x_title": f"axis 1 ({percent(share[0])} of the variance)",
            "y_title": f"axis 2 ({percent(share[1])})",
            "x": x, "y": y, "predicted": the_map.predicted.tolist()}


def placed(coordinates: np.ndarray) -> tuple[list[int], list[int]]:
    """Points (n, 2) as integers from 0 to PLACES: the lowest x and y at 0, the longer axis's span
    PLACES long, the other axis scaled alike (so distances keep their proportions)."""
    coordinates = np.asarray(coordinates, np.float64)
    low = coordinates.min(axis=0)
    span = float((coordinates.max(axis=0) - low).max()) or 1.0  # all in one place: drawn at 0
    grid = np.rint((coordinates - low) * (PLACES / span)).astype(int)
    return grid[:, 0].tolist(), grid[:, 1].tolist()


def packed_images(images: np.ndarray) -> str:
    """uint8 images (n, 28, 28) in LEVELS shades (0 for a 0 pixel, LEVELS - 1 for 255), a byte each,
    deflated (zlib) and in base64: what the map component unpacks for its hover labels."""
    shades = np.rint(np.asarray(images, np.float32) * ((LEVELS - 1) / 255)).astype(np.uint8)
    # zlib's default level 6: 0.05 s for the map's 2,000 images (level 9: 0.3 s, for 1.5 % less).
    return base64.b64encode(zlib.compress(shades.tobytes())).decode("ascii")


def map_words(before, after, class_names: Sequence[str]) -> tuple[str, list[dict]]:
    """A sentence on what the maps show (how far the classes have separated, the closest pair) and
    each class's numbers as a row: its images, wrong answers and centre, before and after."""
    centres_before, centres_after = before.centres(), after.centres()
    distances = np.linalg.norm(centres_after[:, np.newaxis] - centres_after[np.newaxis], axis=-1)
    distances[np.isnan(distances)] = np.inf
    np.fill_diagonal(distances, np.inf)
    one, other = np.unravel_index(distances.argmin(), distances.shape)
    closest = (f" The closest class centres after training are {class_names[one]} and "
               f"{class_names[other]}." if np.isfinite(distances[one, other]) else "")
    summary = (f"{count(len(after.indices), 'test image')} (the same ones in both maps) placed by what the "
               f"layer {after.layer} computes for them ({after.features:,} values each), drawn on its 2 "
               f"main axes (PCA): before training {percent(before.separation())} of the spread lies "
               f"between the classes and {int(before.wrong.sum()):,} are wrong; after training "
               f"{percent(after.separation())}, and {int(after.wrong.sum()):,} are wrong (hollow "
               f"markers).{closest}")
    rows = [{"class": name, "images": int((after.labels == label).sum()),
             "wrong before": int(before.wrong[before.labels == label].sum()),
             "wrong after": int(after.wrong[after.labels == label].sum()),
             "centre before": _point(centres_before[label]), "centre after": _point(centres_after[label])}
            for label, name in enumerate(class_names)]
    return summary, rows


def _point(centre: np.ndarray) -> str:
    return "—" if np.isnan(centre[0]) else f"({centre[0]:.2f}, {centre[1]:.2f})"

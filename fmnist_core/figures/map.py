"""The map of what the network learned: the test images as points placed by a layer's activations
(`inside.projection.ActivationMap`), before and after training side by side.

Each class has its colour and its marker shape (not colour alone); a hollow marker is an image the
model gets wrong. Each point's test-image number is its `customdata[0]`, for a page to show the image.

Given the test images, each point's hover label shows its image too: Plotly's labels hold text, not
pictures, so the image is drawn in characters (`text_pictures`), one per pixel column and two pixel
rows, in a monospace font. The characters are ASCII and the rows sit in `customdata`, each once per
point, with the line breaks in the trace's template (JSON writes a "<br>" as 14 bytes, Plotly's
encoder escaping "<" and ">").
"""

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fmnist_core.figures.style import CAPTION_SIZE, MARKERS, OTHER, RUN_COLOURS, styled
from fmnist_core.figures.text import attach, percent
from fmnist_core.lesson.words import count

POINT_SIZE = 7
SELECTED_SIZE = 16
HOLLOW = "-open"  # Plotly's suffix for a marker's outline only
# Light to dark, as the lesson draws images (dark clothes on white). No space: the browser merges
# spaces in an SVG label, which would shift a row's pixels to the left.
INK = ".:-=+*#%@"
PICTURE_ROWS = 14  # 2 pixel rows each: a monospace character is about twice as tall as it is wide
HOVER_FONT = dict(family="DejaVu Sans Mono, Menlo, Consolas, Courier New, monospace", size=12,
                  color="#1f2328")


def text_pictures(images: np.ndarray) -> np.ndarray:
    """Each uint8 28×28 image as PICTURE_ROWS rows of 28 characters of INK, darker for higher pixels
    (each character the mean of two pixels, one above the other): an object array (images, rows) of
    str, whose strings a figure's points then share rather than copy."""
    images = np.asarray(images, np.float32)
    number, height, width = images.shape
    merged = images.reshape(number, PICTURE_ROWS, height // PICTURE_ROWS, width).mean(axis=2)
    levels = np.rint(merged * ((len(INK) - 1) / 255)).astype(np.intp)
    codes = np.frombuffer(INK.encode("ascii"), np.uint8)[levels].reshape(-1, width)
    rows = np.empty(len(codes), dtype=object)
    rows[:] = [row.tobytes().decode("ascii") for row in codes]
    return rows.reshape(number, PICTURE_ROWS)


def map_before_and_after(before, after, class_names: Sequence[str], images: np.ndarray | None = None
                         ) -> go.Figure:
    """Two maps of the same test images (`ActivationMap`s), before and after training, each on its own
    principal axes. Each map has a trace of each class's right answers, then one of its wrong answers
    (hollow, drawn on top); the legend's entries are traces of their own, drawing nothing, so a class
    with no right answer before training still has its entry. With `images` (the test set, uint8),
    each point's hover label shows its image as a picture in characters."""
    pictures = None
    if images is not None:
        shown = np.union1d(before.indices, after.indices)  # sorted: a point's picture found by searchsorted
        pictures = shown, text_pictures(np.asarray(images)[shown])
    titles = [f"{when}: {count(int(the_map.wrong.sum()), 'image')} wrong"
              for when, the_map in (("before training", before), ("after training", after))]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.06)
    for column, the_map in enumerate((before, after), start=1):
        for wrong in (False, True):
            for label in range(len(class_names)):
                fig.add_trace(_class_points(the_map, label, class_names, pictures, wrong=wrong),
                              row=1, col=column)
        share = the_map.explained_variance
        fig.update_xaxes(title_text=f"axis 1 ({percent(share[0])} of the variance)", row=1, col=column)
        fig.update_yaxes(title_text=f"axis 2 ({percent(share[1])})", scaleanchor=_x_axis(fig, column),
                         row=1, col=column)
    for label, name in enumerate(class_names):
        fig.add_trace(_legend_entry(name, _marker(label), legendgroup=name))
    fig.add_trace(_legend_entry("hollow: predicted wrong", dict(symbol="circle" + HOLLOW, color=OTHER)))
    fig.update_xaxes(showticklabels=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, zeroline=False)
    fig.update_annotations(font_size=CAPTION_SIZE)
    attach(fig, f"Map of {count(len(after.indices), 'test image')}, before and after training",
           *map_words(before, after, class_names))
    styled(fig, 600, hovermode="closest",
           legend=dict(orientation="h", yanchor="top", y=-0.12, itemsizing="constant"),
           margin=dict(l=50, r=20, t=50, b=20))
    if pictures is not None:
        fig.update_layout(hoverlabel=dict(bgcolor="white", font=HOVER_FONT, align="left"))
    return fig


def _x_axis(fig: go.Figure, column: int) -> str:
    """The id of subplot `column`'s x axis ("x", "x2"), which its y axis is anchored to."""
    return fig.get_subplot(1, column).yaxis.anchor


def _marker(label: int, wrong: bool = False) -> dict:
    """A class's colour and shape (outlined in its own colour), hollow for a wrong answer."""
    colour = RUN_COLOURS[label % len(RUN_COLOURS)]
    return dict(size=POINT_SIZE, color=colour, line=dict(width=1.5, color=colour),
                symbol=MARKERS[label % len(MARKERS)] + (HOLLOW if wrong else ""))


def _legend_entry(name: str, marker: dict, **more) -> go.Scatter:
    """A legend entry that draws nothing."""
    return go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                      marker=marker | dict(size=POINT_SIZE + 3, line=dict(width=2, color=marker["color"])),
                      **more)


def _class_points(the_map, label: int, class_names: Sequence[str], pictures, *, wrong: bool) -> go.Scatter:
    """One class's right (filled) or wrong (hollow) points; customdata[0] is each one's test-image
    number, a wrong one's customdata[1] what the model took it for, then its picture's rows (when
    `pictures` has them: the sorted test-image numbers, and their `text_pictures`). customdata is an
    object array: Plotly checks a list of lists item by item (1.8 s and 23 MB for the map's 4,000 points
    and their 56,000 rows, against 0.1 s here, the rows shared)."""
    name = class_names[label]
    members = np.flatnonzero((the_map.labels == label) & (the_map.wrong == wrong))
    numbers = the_map.indices[members]
    first = 2 if wrong else 1
    customdata = np.empty((len(members), first + (PICTURE_ROWS if pictures is not None else 0)), dtype=object)
    customdata[:, 0] = numbers.tolist()
    said = "predicted: the same ✓ right"
    if wrong:
        customdata[:, 1] = [class_names[answer] for answer in the_map.predicted[members]]
        said = "predicted: %{customdata[1]} ✗ wrong"
    picture = ""
    if pictures is not None:
        shown, rows = pictures
        customdata[:, first:] = rows[np.searchsorted(shown, numbers)]
        picture = "".join(f"<br>%{{customdata[{first + row}]}}" for row in range(PICTURE_ROWS))
    colour = RUN_COLOURS[label % len(RUN_COLOURS)]
    return go.Scatter(
        x=the_map.coordinates[members, 0], y=the_map.coordinates[members, 1], mode="markers",
        name=f"{name} (wrong)" if wrong else name, legendgroup=name, showlegend=False,
        marker=_marker(label, wrong), customdata=customdata, hoverlabel=dict(bordercolor=colour),
        selected=dict(marker=dict(size=SELECTED_SIZE)),  # a clicked point stands out, the others fade
        hovertemplate=f"test image %{{customdata[0]}}<br>true: {name}<br>{said}{picture}<extra></extra>")


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

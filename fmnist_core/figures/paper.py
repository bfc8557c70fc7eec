"""Charts as PNG pictures, for a write-up handed in on GitHub (a README shows pictures, not Plotly): one
image of each class (`sample_sheet`), one image and its pixel values before and after dividing by 255
(`pixel_values`), accuracy and loss per epoch (`epoch_curves`), a prediction and its probabilities
(`prediction`), the test accuracy of each run (`accuracy_bars`).

Matplotlib draws them with its Agg backend and no pyplot: each picture is a `Figure` of its own, so
nothing global is switched, and a lock lets one session draw at a time (matplotlib is not
thread-safe). Matplotlib is imported here only, and `fmnist_core.figures` does not import this
module: importing matplotlib takes ≈ 0.3 s (0.29–0.32 s measured on the 2-core development
machine, after numpy), which the data pages must not pay.
Every picture is 800 px wide, its words 14 px or more, in the charts' palette (`style`). Images
are the pixels as loaded, 0–255, dark on white as the lesson draws them (plt.cm.binary).
"""

import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator, PercentFormatter

from fmnist_core.figures.style import (
    CORRECT,
    OTHER,
    PIXEL_COLORSCALE,
    POSITIVE,
    REFERENCE,
    RUN_COLOURS,
    WRONG,
)
from fmnist_core.history import EpochRecord

WIDTH_PX = 800  # about the width GitHub shows a README's picture at, so it is not scaled down
DPI = 100
INK = "#24292f"
NAME_CHARACTERS = 32  # a run's name beside its bar, cut with "…" (the table beside it has it whole)
_STYLE = {
    "font.size": 11,  # points: 15 px at DPI 100, the charts' FONT_SIZE
    "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10.5, "ytick.labelsize": 10.5,
    "legend.fontsize": 10.5, "text.color": INK, "axes.labelcolor": INK, "xtick.color": INK,
    "ytick.color": INK, "axes.edgecolor": REFERENCE, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.color": "#d0d7de", "axes.axisbelow": True,
    "figure.facecolor": "white", "savefig.facecolor": "white",
}
_DRAWING = threading.Lock()


def _picture(height_px: int, draw: Callable[[Figure], None]) -> bytes:
    """A PNG WIDTH_PX wide and `height_px` high of what `draw` puts on a fresh figure."""
    with _DRAWING, matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
        draw(figure)
        out = io.BytesIO()
        FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def _show_image(axes, image: np.ndarray) -> None:
    """An image's pixels as squares, 0 white and 255 black, framed and without ticks."""
    axes.imshow(np.asarray(image), cmap=PIXEL_COLORSCALE, vmin=0, vmax=255, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.grid(False)
    for spine in axes.spines.values():
        spine.set_visible(True)
        spine.set_color(OTHER)


def sample_sheet(images: np.ndarray, captions: Sequence[str], *, columns: int = 5) -> bytes:
    """Images (n, 28, 28) side by side, `columns` a row, each with its caption above it."""
    images = np.asarray(images)
    if len(images) != len(captions) or not len(images):
        raise ValueError(f"sample_sheet needs one caption per image, and an image at least: "
                         f"{len(images)} images, {len(captions)} captions.")
    rows = math.ceil(len(images) / columns)

    def draw(figure: Figure) -> None:
        for index, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
            if index < len(images):
                _show_image(axes, images[index])
                axes.set_title(captions[index], parse_math=False)
            else:
                axes.set_axis_off()

    return _picture(20 + 180 * rows, draw)


def pixel_values(image: np.ndarray) -> bytes:
    """One image beside the histogram of its pixel values: 0–255 as loaded on the axis below, the
    same values divided by 255 on the axis above."""
    image = np.asarray(image)

    def draw(figure: Figure) -> None:
        picture, histogram = figure.subplots(1, 2, width_ratios=[1, 1.7])
        _show_image(picture, image)
        picture.set_title("the image")
        histogram.hist(image.ravel(), bins=np.arange(0, 257, 8), color=POSITIVE)
        histogram.set_xlim(0, 256)
        histogram.set_xlabel("pixel value as loaded (0–255)")
        histogram.set_ylabel("pixels")
        scaled = histogram.secondary_xaxis("top", functions=(lambda x: x / 255, lambda x: x * 255))
        scaled.set_xlabel("divided by 255 (0–1)")

    return _picture(340, draw)


def epoch_curves(history: Sequence[EpochRecord], *, held_out: str = "test", title: str = "") -> bytes:
    """Accuracy and loss after each epoch, side by side: training solid, `held_out` dashed."""
    epochs = [record.epoch for record in history]
    if not epochs:
        raise ValueError("epoch_curves needs one epoch at least; the history is empty.")

    def draw(figure: Figure) -> None:
        for axes, metric in zip(figure.subplots(1, 2), ("accuracy", "loss")):
            for split, prefix, colour, line, marker in (("training", "", RUN_COLOURS[0], "-", "o"),
                                                        (held_out, "val_", RUN_COLOURS[1], "--", "s")):
                axes.plot(epochs, [getattr(record, prefix + metric) for record in history], color=colour,
                          linestyle=line, marker=marker, linewidth=2.5, markersize=6, label=split)
            axes.set_title(metric)
            axes.set_xlabel("epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        accuracy, _ = figure.axes
        accuracy.yaxis.set_major_formatter(PercentFormatter(1.0))
        accuracy.legend()
        if title:
            figure.suptitle(title, parse_math=False)

    return _picture(360, draw)


def prediction(image: np.ndarray, probabilities: Sequence[float], label: int,
               class_names: Sequence[str]) -> bytes:
    """An image beside the model's probability for each class as bars: the predicted class green
    when it is the label, red when not, the label's bar green; each marked in words too."""
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = int(np.argmax(probabilities))
    colours = [OTHER] * len(class_names)
    colours[predicted] = CORRECT if predicted == label else WRONG
    colours[label] = CORRECT
    notes = ({predicted: "predicted = label"} if predicted == label
             else {predicted: "predicted", label: "label"})

    def draw(figure: Figure) -> None:
        picture, bars = figure.subplots(1, 2, width_ratios=[1, 2.8])
        _show_image(picture, image)
        picture.set_title(f"label: {class_names[label]}", parse_math=False)
        positions = range(len(class_names))
        bars.bar(positions, probabilities, color=colours)
        bars.set_xticks(positions, class_names, rotation=35, ha="right", parse_math=False)
        bars.set_ylim(0, 1.18)  # room above a bar of 100 % for its words
        bars.set_yticks(np.linspace(0, 1, 6))
        bars.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        bars.set_ylabel("probability")
        bars.grid(axis="x", visible=False)
        for index, note in notes.items():
            bars.annotate(f"{note}\n{probabilities[index]:.1%}", (index, probabilities[index]),
                          xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                          color=colours[index], fontsize=10)

    return _picture(380, draw)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARACTERS else name[:NAME_CHARACTERS - 1] + "…"


def accuracy_bars(names: Sequence[str], accuracies: Sequence[float],
                  references: Mapping[str, float] | None = None) -> bytes:
    """A bar a run, in order from the top, its test accuracy written at its end; `references`
    (the lesson's accuracy, people's) as grey lines, each dashed its own way and named below. The
    axis starts below the lowest value, so that a point's difference shows; its label says where."""
    if len(names) != len(accuracies) or not names:
        raise ValueError(f"accuracy_bars needs one accuracy per run, and a run at least: {len(names)} "
                         f"names, {len(accuracies)} accuracies.")
    references = references or {}
    # A multiple of 5 %, 2.5 points at least below the lowest value, so that its bar shows.
    start = max(0.0, math.floor(min([*accuracies, *references.values()]) * 20 - 0.5) / 20)
    end = min(1.0, math.ceil(max([*accuracies, *references.values()]) * 20 + 0.5) / 20)  # room for words

    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        positions = range(len(names))
        axes.barh(positions, [accuracy - start for accuracy in accuracies], left=start, height=0.6,
                  color=POSITIVE, zorder=2)
        axes.set_yticks(positions, [_short(name) for name in names], parse_math=False)
        axes.invert_yaxis()
        axes.grid(axis="y", visible=False)
        for position, accuracy in zip(positions, accuracies):
            axes.annotate(f"{accuracy:.2%}", (accuracy, position), xytext=(4, 0), textcoords="offset points",
                          va="center", bbox=dict(facecolor="white", edgecolor="none", pad=1), zorder=3)
        for (label, value), dashes in zip(references.items(), (":", "--", "-.")):
            axes.axvline(value, color=REFERENCE, linestyle=dashes, linewidth=2, label=label, zorder=1)
        axes.set_xlim(start, end)
        axes.xaxis.set_major_locator(MultipleLocator(0.05 if end - start <= 0.4 else 0.1))
        axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.set_xlabel(f"test accuracy (the axis starts at {start:.0%})")
        if references:
            figure.legend(loc="outside lower center", ncols=len(references), frameon=False)

    return _picture(120 + 36 * len(names) + (30 if references else 0), draw)

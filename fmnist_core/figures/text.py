"""What each figure shows, in words: its text alternative, for a reader who cannot see the chart
(a screen reader, a colour-blind eye, a phone in the sun).

Each figure of `figures` carries its own (`attach`), made from the same numbers it draws, so a
page shows a chart and its words with one call (`ui.charts.chart`) and they never disagree.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_core.history import EpochRecord
from fmnist_core.lesson.words import count

# What the shade of a square means, for the colour scales the lesson draws images with.
SHADES = {
    "gray_r": "darker squares are higher values",
    "gray": "lighter squares are higher values",
    "RdBu": "blue squares are positive, red ones negative",
}
TOP = 3  # classes or neurons named in a sentence


@dataclass(frozen=True)
class FigureText:
    """A figure's short name (its accessible name, steady while a chart grows), one sentence
    saying what it shows, and its numbers as table rows (may be none)."""

    name: str
    summary: str
    rows: tuple[dict, ...] = ()


def attach(fig, name: str, summary: str, rows: Sequence[dict] = ()):
    """Gives `fig` its text alternative (kept in the figure's `layout.meta`) and returns it."""
    fig.update_layout(meta={"name": name, "summary": summary, "rows": list(rows)})
    return fig


def text_of(fig) -> FigureText:
    meta = fig.layout.meta or {}
    return FigureText(meta.get("name", ""), meta.get("summary", ""), tuple(meta.get("rows", ())))


def percent(share: float) -> str:
    """0.881 -> '88.1 %'."""
    return f"{100 * share:.1f} %"


def image(image: np.ndarray, title: str, colorscale: str) -> str:
    """'test image 0: Ankle boot, 28×28 pixels from 0 to 255 (darker squares are higher values).'"""
    height, width = np.shape(image)
    shades = f", {SHADES[colorscale]}" if colorscale in SHADES else ""
    return (f"{title}: {height}×{width} pixels with values from {np.nanmin(image):.4g} to "
            f"{np.nanmax(image):.4g}{shades}.")


def images(captions: Sequence[str]) -> str:
    """'3 images, in order: Coat, Bag, Sneaker.'"""
    return f"{count(len(captions), 'image')}, in order: {', '.join(captions)}."


def pixel_values(values: np.ndarray, *, normalised: bool) -> str:
    values = np.asarray(values).ravel()
    scale = "0–1" if normalised else "0–255"
    return (f"Pixel values on the {scale} scale: {int((values == 0).sum()):,} of {values.size:,} "
            f"pixels are 0; the others go up to {values.max():.4g}; the mean is {values.mean():.4g}.")


def training_curves(histories: Mapping[str, Sequence[EpochRecord]], val_name: str,
                    epochs: int | None, best_epochs: Mapping[str, int]) -> tuple[str, list[dict]]:
    """The last epoch of each run in a sentence ('Run 1, epoch 10: training accuracy 91.0 %, test
    88.1 %.'), and every epoch as a row."""
    latest, rows = [], []
    for name, records in histories.items():
        for record in records:
            rows.append({"run": name, "epoch": record.epoch,
                         "training accuracy": percent(record.accuracy),
                         f"{val_name} accuracy": percent(record.val_accuracy),
                         "training loss": f"{record.loss:.3f}",
                         f"{val_name} loss": f"{record.val_loss:.3f}"})
        if records:
            last = records[-1]
            of = f" of {epochs}" if epochs and epochs > last.epoch else ""
            best = f", best epoch {best_epochs[name]} kept" if name in best_epochs else ""
            latest.append(f"{name}, epoch {last.epoch}{of}: training accuracy "
                          f"{percent(last.accuracy)}, {val_name} {percent(last.val_accuracy)}{best}")
    if not latest:
        return "No epochs yet: the chart fills in after each epoch.", rows
    return "; ".join(latest) + ".", rows


def predictions(true_labels: Sequence[int], predicted_labels: Sequence[int],
                confidences: Sequence[float], class_names: Sequence[str],
                numbers: Sequence[int] | None) -> tuple[str, list[dict]]:
    """How many are right and wrong, and each image's caption as a row."""
    numbers = range(1, len(true_labels) + 1) if numbers is None else numbers
    rows = [{"test image": int(number), "right?": "✓ right" if true == predicted else "✗ wrong",
             "the model says": class_names[predicted], "confidence": f"{confidence:.0%}",
             "true class": class_names[true]}
            for number, true, predicted, confidence
            in zip(numbers, true_labels, predicted_labels, confidences, strict=True)]
    right = sum(row["right?"] == "✓ right" for row in rows)
    return (f"{count(len(rows), 'test image')}: {right} right (✓, framed in green) and "
            f"{len(rows) - right} wrong (✗, framed in red)."), rows


def probabilities(probabilities: Sequence[float], true_label: int | None,
                  class_names: Sequence[str]) -> str:
    """'Most likely: Shirt 61.0 %, T-shirt/top 23.0 %, Pullover 2.0 %. The true class,
    T-shirt/top, 23.0 %.'"""
    order = np.argsort(probabilities)[::-1][:TOP]
    likely = ", ".join(f"{class_names[k]} {percent(probabilities[k])}" for k in order)
    true = ("" if true_label is None else
            f" The true class, {class_names[true_label]}, {percent(probabilities[true_label])}.")
    return f"Most likely: {likely}.{true}"


def activations(values: Sequence[float], title: str, labels: Sequence[str]) -> str:
    """'hidden_1: 57 of 128 neurons fire: highest 12 (3.21), 7 (2.5), 99 (2.01); 71 at or below 0.'"""
    values = np.asarray(values)
    order = np.argsort(values)[::-1][:TOP]
    highest = ", ".join(f"{labels[k]} ({values[k]:.3g})" for k in order)
    return f"{title}: highest {highest}; {int((values <= 0).sum())} of {len(values)} at or below 0."


def confusion(matrix: np.ndarray, class_names: Sequence[str]) -> tuple[str, list[dict]]:
    """How many are on the diagonal and the biggest mistake; the matrix as rows (true class down)."""
    matrix = np.asarray(matrix)
    off = matrix - np.diag(np.diag(matrix))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    rows = [{"true class": name, **{predicted_name: int(n) for predicted_name, n in
                                    zip(class_names, matrix[k], strict=True)}}
            for k, name in enumerate(class_names)]
    return (f"Rows are the true class, columns the predicted one. {int(np.trace(matrix)):,} of "
            f"{int(matrix.sum()):,} images are on the diagonal (right); the biggest mistake is "
            f"{class_names[true]} taken for {class_names[predicted]} ({int(off.max()):,} times)."), rows


def class_results(values: Sequence, knob_label: str) -> str:
    """'neurons: 64: mean 86.1 % ± 0.4 % (3 runs) · 128: …', from the board's values."""
    if not values:
        return "No finished runs yet: each run appears as a point when it ends."
    return f"{knob_label}: " + " · ".join(
        f"{value.x}: mean {value.mean:.1%} ± {value.spread:.1%} ({count(value.runs, 'run')})"
        for value in values)

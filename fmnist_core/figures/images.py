"""Plotly figures for the lesson: images, pixel values, training curves, predictions, mistakes;
and images as plain pictures (`image_tiles`) where nothing needs a chart.

Only numpy, plotly and Pillow here (no TensorFlow), so pages that only show data open fast.
Every figure is sized to stay readable on a laptop and on a classroom projector.
"""

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

import fmnist_core.figures.text as figure_text
from fmnist_core.figures.text import attach
from fmnist_core.history import EpochRecord
from fmnist_core.lesson.words import count

TEMPLATE = "plotly_white"
FONT_SIZE = 15
CAPTION_SIZE = 14
REFERENCE_LABEL_PX = 110  # "lesson ≈ 0.88" at CAPTION_SIZE, with room to spare
# The tutorial shows images with plt.cm.binary: white background, dark clothes.
PIXEL_COLORSCALE = "gray_r"
# For first-layer weights: pass colorscale=WEIGHT_COLORSCALE, zmid=0 to image_grid.
WEIGHT_COLORSCALE = "RdBu"
# Every colour that carries meaning is at least 4.5:1 against the white background, as text must
# be (WCAG 1.4.3; tests/test_palette.py): D3's run colours, darkened where they were lighter.
CORRECT = "#1a7f37"
WRONG = "#cf222e"
OTHER = "#6e7781"
REFERENCE = "#57606a"
POSITIVE = "#0969da"
RUN_COLOURS = ("#0969da", "#bc4c00", "#1a7f37", "#cf222e", "#8250df", "#8c564b", "#bf3989",
               "#6e7781", "#9a6700", "#0a7b83")
# A marker shape per run (or student), so that runs differ by more than their colour.
MARKERS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "star", "hexagon",
           "pentagon", "cross", "x")

# Mosaic geometry. GAP (in image pixels) separates tiles and leaves room for frames;
# captions are sized in screen pixels, so they fit whatever the image scale.
GAP = 4
FRAME_OFFSET = 1  # frames sit this far (in image pixels) outside the image
CAPTION_LINE_PX = 19
CAPTION_PAD_PX = 8  # above and below a caption, clear of any frame
NOMINAL_WIDTH_PX = 700  # about Streamlit's content width, so the grid is not squeezed
MAX_PIXEL_PX = 5  # a 28-pixel image never grows beyond 140 screen pixels
# Tiles (`image_tiles`): a 28-pixel image 84 screen pixels wide, drawn at twice that in its PNG
# (each pixel a 6×6 block) so that it stays crisp on HiDPI screens and projectors.
TILE_PIXEL_PX = 3
TILE_PNG_PX = 2 * TILE_PIXEL_PX


def _style(fig: go.Figure, height: int, **layout) -> go.Figure:
    """Apply the shared template, fonts and height."""
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        font_size=FONT_SIZE,
        hoverlabel_font_size=FONT_SIZE,
        **layout,
    )
    return fig


def _image_axes(fig: go.Figure, *, ticks: bool) -> None:
    """Make the axes show an image: square pixels, row 0 on top."""
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain")
    fig.update_yaxes(
        showgrid=False,
        zeroline=False,
        showticklabels=ticks,
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
    )


@dataclass(frozen=True)
class GridLayout:
    """Where each image of a mosaic sits, in mosaic pixels."""

    count: int
    columns: int
    image_shape: tuple[int, int]
    caption_height: int

    @classmethod
    def fit(cls, images_shape: tuple[int, ...], captions: Sequence[str], columns: int) -> "GridLayout":
        """Lay out images of shape (n, h, w), with room for the tallest caption."""
        count, *image_shape = images_shape
        columns = max(1, min(columns, count))
        probe = cls(count, columns, tuple(image_shape), caption_height=0)
        # Captions may hold <br> line breaks.
        lines = 1 + max((caption.count("<br>") for caption in captions), default=0)
        caption_px = 2 * CAPTION_PAD_PX + lines * CAPTION_LINE_PX
        return cls(count, columns, tuple(image_shape), math.ceil(caption_px / probe.pixel_px))

    @property
    def rows(self) -> int:
        """Rows of images (not of pixels)."""
        return math.ceil(self.count / self.columns)

    @property
    def shape(self) -> tuple[int, int]:
        """The mosaic's (height, width) in pixels, gaps and caption room included."""
        height, width = self.image_shape
        return (
            GAP + self.rows * (height + self.caption_height),
            GAP + self.columns * (width + GAP),
        )

    @property
    def pixel_px(self) -> float:
        """Screen pixels per image pixel when the grid is drawn at the nominal width."""
        return min(MAX_PIXEL_PX, NOMINAL_WIDTH_PX / self.shape[1])

    def origin(self, index: int) -> tuple[int, int]:
        """Mosaic (row, column) of the top-left pixel of image `index`."""
        row, column = divmod(index, self.columns)
        height, width = self.image_shape
        return GAP + row * (height + self.caption_height), GAP + column * (width + GAP)


def _mosaic(images: np.ndarray, captions: Sequence[str], grid: GridLayout):
    """Lay images out on one NaN-separated canvas, with each pixel's caption for hover."""
    height, width = grid.image_shape
    # float32 halves what the browser is sent, and NaN still marks the gaps.
    canvas = np.full(grid.shape, np.nan, dtype=np.float32)
    hover = np.full(grid.shape, "", dtype=object)
    for index, (image, caption) in enumerate(zip(images, captions, strict=True)):
        top, left = grid.origin(index)
        canvas[top : top + height, left : left + width] = image
        hover[top : top + height, left : left + width] = caption
    return canvas, hover


def image_grid(
    images: np.ndarray,
    captions: Sequence[str],
    *,
    columns: int = 10,
    colorscale: str = PIXEL_COLORSCALE,
    zmin: float | None = None,
    zmax: float | None = None,
    zmid: float | None = None,
    show_scale: bool = False,
) -> go.Figure:
    """Draw images (n, h, w) as one crisp mosaic heatmap with a caption under each."""
    images = np.asarray(images)
    grid = GridLayout.fit(images.shape, captions, columns)
    canvas, hover = _mosaic(images, captions, grid)
    fig = go.Figure(
        go.Heatmap(
            z=canvas,
            text=hover,
            # Heatmaps are smoothed by default; pixel squares are what the model sees.
            zsmooth=False,
            hoverongaps=False,
            hovertemplate="%{text}<br>value %{z:.3~g}<extra></extra>",
            colorscale=colorscale,
            zmin=zmin,
            zmax=zmax,
            zmid=zmid,
            showscale=show_scale,
        )
    )
    height, width = grid.image_shape
    for index, caption in enumerate(captions):
        top, left = grid.origin(index)
        fig.add_annotation(
            x=left + (width - 1) / 2,
            y=top + height - 0.5,
            yshift=-CAPTION_PAD_PX,
            yanchor="top",
            text=caption,
            showarrow=False,
            font_size=CAPTION_SIZE,
        )
    _image_axes(fig, ticks=False)
    rows, _ = grid.shape
    attach(fig, f"{count(len(captions), 'image')} in a grid", figure_text.images(captions))
    return _style(fig, round(rows * grid.pixel_px) + 20, margin=dict(l=10, r=10, t=10, b=10))


@dataclass(frozen=True)
class ImageTiles:
    """Images drawn once as PNG pictures, to be shown side by side, each with its caption as text
    under it and a sentence describing it (its alt text)."""

    pngs: tuple[bytes, ...]
    captions: tuple[str, ...]
    descriptions: tuple[str, ...]
    width_px: int  # each picture's width on screen


def image_tiles(images: np.ndarray, captions: Sequence[str]) -> ImageTiles:
    """Images (n, h, w) as pictures, dark on white like `image_grid`'s mosaic (plt.cm.binary),
    with the same shades: one scale from the lowest to the highest value of all of them.

    No chart to build, send and draw: as Plotly mosaics, Explore's 30 samples and 10 class means
    took 0.25 s to build and were 805 KB of the page's 851 KB (hover text for every pixel).
    """
    images = np.asarray(images, dtype=np.float32)
    if len(images) != len(captions):
        raise ValueError(f"image_tiles needs one caption per image: {len(images)} images, "
                         f"{len(captions)} captions.")
    low, high = (float(np.nanmin(images)), float(np.nanmax(images))) if images.size else (0, 1)
    shades = 255 - np.rint(255 * (images - low) / ((high - low) or 1)).astype(np.uint8)
    blocks = shades.repeat(TILE_PNG_PX, axis=1).repeat(TILE_PNG_PX, axis=2)  # crisp squares
    return ImageTiles(
        pngs=tuple(_png(block) for block in blocks),
        captions=tuple(captions),
        descriptions=tuple(figure_text.image(image, caption, PIXEL_COLORSCALE)
                           for image, caption in zip(images, captions, strict=True)),
        width_px=images.shape[-1] * TILE_PIXEL_PX,
    )


def _png(grey: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(grey).save(out, format="PNG")  # uint8 (h, w): 8-bit grey
    return out.getvalue()


def _cell_format(values: np.ndarray) -> str:
    """Whole numbers for raw 0–255 pixels, one decimal for 0–1 ones, so values fit a cell."""
    return ".0f" if np.nanmax(np.abs(values)) > 1 else ".1f"


def image_heatmap(
    image: np.ndarray,
    title: str,
    *,
    show_values: bool = False,
    colorscale: str = PIXEL_COLORSCALE,
) -> go.Figure:
    """Show one image with every pixel's value on hover and a colour bar (plt.colorbar)."""
    image = np.asarray(image)
    fig = go.Figure(
        go.Heatmap(
            z=image,
            zsmooth=False,
            colorscale=colorscale,
            colorbar_title_text="value",
            hovertemplate="x %{x}, y %{y}<br>value %{z:.4~g}<extra></extra>",
            texttemplate=f"%{{z:{_cell_format(image)}}}" if show_values else None,
            # Projector-sized values need ~25 px per cell: a column of ~750 px or more.
            textfont_size=13,
        )
    )
    _image_axes(fig, ticks=True)
    attach(fig, title, figure_text.image(image, title, colorscale))
    return _style(
        fig,
        900 if show_values else 560,
        title_text=title,
        margin=dict(l=40, r=20, t=60, b=40),
    )


def pixel_histogram(image: np.ndarray, *, normalised: bool) -> go.Figure:
    """Histogram of pixel values, on the 0–1 scale after normalising or 0–255 before."""
    grey_level = 1 / 255 if normalised else 1  # one step of the raw 0–255 scale
    axis_title = "pixel value (0–1, divided by 255)" if normalised else "pixel value (0–255, raw)"
    fig = go.Figure(
        go.Histogram(
            x=np.asarray(image).ravel(),
            # 32 bins of 8 grey levels on either scale, so both histograms look alike;
            # the last bin ends past 255 so that white pixels are counted.
            xbins=dict(start=0, end=256 * grey_level, size=8 * grey_level),
            marker_color=RUN_COLOURS[0],
            hovertemplate="%{x}: %{y} pixels<extra></extra>",
        )
    )
    fig.update_xaxes(title_text=axis_title, range=[0, 256 * grey_level])
    fig.update_yaxes(title_text="number of pixels")
    attach(fig, f"Histogram of {axis_title}", figure_text.pixel_values(image, normalised=normalised))
    return _style(fig, 380, bargap=0.05, margin=dict(l=60, r=20, t=20, b=60))


def _run_traces(name: str, records: Sequence[EpochRecord], colour: str, symbol: str,
                val_name: str):
    """Yield (panel column, trace) for one run: train solid, held-out dashed, both panels."""
    epochs = [record.epoch for record in records]
    for column, metric in ((1, "accuracy"), (2, "loss")):
        for split, prefix, dash in (("train", "", "solid"), (val_name, "val_", "dash")):
            yield (
                column,
                go.Scatter(
                    x=epochs,
                    y=[getattr(record, prefix + metric) for record in records],
                    name=split,
                    legendgroup=name,
                    legendgrouptitle_text=name,
                    # Legend entries only once; clicking one hides the whole run in both panels.
                    showlegend=column == 1,
                    mode="lines+markers",
                    line=dict(color=colour, dash=dash, width=3),
                    marker=dict(size=8, symbol=symbol),
                    hovertemplate=f"{name} {split}<br>epoch %{{x}}: %{{y:.3f}}<extra></extra>",
                ),
            )


def _reference_lines(fig: go.Figure, references: Mapping[str, float], *, beside: bool = False,
                     **where) -> None:
    """A dotted line with its label at each reference accuracy (the lesson's, people's): above
    its left end, or `beside` its right end, outside the plot, where no point can be (the figure
    keeps REFERENCE_LABEL_PX of right margin for it)."""
    for label, value in references.items():
        fig.add_hline(
            y=value,
            line=dict(color=REFERENCE, dash="dot", width=2),
            annotation=dict(
                text=label,
                font=dict(size=CAPTION_SIZE, color=REFERENCE),
                # Curves often cross the label; the backing keeps it legible.
                bgcolor="rgba(255, 255, 255, 0.7)",
            ),
            annotation_position="right" if beside else "top left",
            exclude_empty_subplots=False,
            **where,
        )


def _accuracy_floor(records: Sequence[EpochRecord], references: Mapping[str, float]) -> float:
    """The lowest accuracy shown or referenced, rounded down to a tenth."""
    accuracies = [*references.values()]
    for record in records:
        accuracies += [record.accuracy, record.val_accuracy]
    return math.floor(min(accuracies, default=0) * 10) / 10


def training_curves(
    histories: Mapping[str, Sequence[EpochRecord]],
    *,
    val_name: str = "test",
    references: Mapping[str, float] | None = None,
    epochs: int | None = None,
    best_epochs: Mapping[str, int] | None = None,
) -> go.Figure:
    """Accuracy and loss per epoch of each named history, side by side; `epochs` fixes the x axis
    while training. `best_epochs` marks, for runs with early stopping, the epoch whose weights
    they kept (a star on the held-out loss); where the run stopped is where its curve ends."""
    references = references or {}
    fig = make_subplots(rows=1, cols=2, subplot_titles=("accuracy", "loss"))
    for index, (name, records) in enumerate(histories.items()):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        symbol = MARKERS[index % len(MARKERS)]
        for column, trace in _run_traces(name, records, colour, symbol, val_name):
            fig.add_trace(trace, row=1, col=column)
        best = (best_epochs or {}).get(name)
        if best is not None:
            record = next(record for record in records if record.epoch == best)
            fig.add_trace(go.Scatter(
                x=[best], y=[record.val_loss], name="best epoch", legendgroup=name,
                showlegend=False, mode="markers",
                marker=dict(symbol="star", size=18, color=colour, line=dict(width=1, color="#000")),
                hovertemplate=f"{name}: best epoch {best}, kept<br>{val_name} loss "
                              "%{y:.3f}<extra></extra>"), row=1, col=2)
    if not histories:
        # Plotly draws no axes for a panel without traces.
        for column in (1, 2):
            fig.add_trace(go.Scatter(x=[], y=[], showlegend=False), row=1, col=column)
    _reference_lines(fig, references, row=1, col=1)
    records = [record for history in histories.values() for record in history]
    last_epoch = max([epochs or 1, *(record.epoch for record in records)])
    fig.update_xaxes(
        title_text="epoch",
        range=[0.8, last_epoch + 0.2],
        dtick=1 if last_epoch <= 20 else None,
    )
    # Accuracy tops out at 1; the floor follows the data so small gains stay visible.
    fig.update_yaxes(range=[_accuracy_floor(records, references), 1.0], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    attach(fig, "Accuracy and loss per epoch",
           *figure_text.training_curves(histories, val_name, epochs, best_epochs or {}))
    return _style(
        fig,
        460,
        legend=dict(orientation="h", yanchor="top", y=-0.2, groupclick="togglegroup"),
        # The top margin keeps panel titles clear of Plotly's toolbar.
        margin=dict(l=60, r=20, t=60, b=20),
    )


def _outcome_colour(correct: bool) -> str:
    """Green for a right answer, red for a wrong one."""
    return CORRECT if correct else WRONG


def predictions_grid(
    images: np.ndarray,
    true_labels: Sequence[int],
    predicted_labels: Sequence[int],
    confidences: Sequence[float],
    class_names: Sequence[str],
    *,
    columns: int = 5,
    numbers: Sequence[int] | None = None,
) -> go.Figure:
    """Test images with "✓/✗ predicted confidence (true)" captions and frames, green or red;
    `numbers` (each image's number in the test set) go into its text alternative's table."""
    rows = list(zip(true_labels, predicted_labels, confidences, strict=True))
    # The marks carry the meaning for colour-blind readers; the true class goes on its own
    # line so captions stay narrower than their image.
    captions = [
        f"{'✓' if true == predicted else '✗'} {class_names[predicted]} {confidence:.0%}"
        f"<br>({class_names[true]})"
        for true, predicted, confidence in rows
    ]
    colours = [_outcome_colour(true == predicted) for true, predicted, _ in rows]
    fig = image_grid(images, captions, columns=columns)
    grid = GridLayout.fit(np.shape(images), captions, columns)
    height, width = grid.image_shape
    for index, (annotation, colour) in enumerate(zip(fig.layout.annotations, colours, strict=True)):
        annotation.font.color = colour
        top, left = grid.origin(index)
        fig.add_shape(
            type="rect",
            x0=left - 0.5 - FRAME_OFFSET,
            x1=left + width - 0.5 + FRAME_OFFSET,
            y0=top - 0.5 - FRAME_OFFSET,
            y1=top + height - 0.5 + FRAME_OFFSET,
            line=dict(color=colour, width=3),
        )
    return attach(fig, "Test images with the model's answers",
                  *figure_text.predictions(true_labels, predicted_labels, confidences, class_names,
                                           numbers))


def probability_bars(
    probabilities: Sequence[float], true_label: int | None, class_names: Sequence[str]
) -> go.Figure:
    """The tutorial's plot_value_array: the model's confidence in each class.

    `true_label` None is a picture nobody labelled: only the prediction is marked.
    """
    predicted = int(np.argmax(probabilities))
    colours = [OTHER] * len(class_names)
    if true_label is None:
        colours[predicted] = RUN_COLOURS[0]
        labels = {predicted: "predicted"}
    else:
        colours[predicted] = _outcome_colour(predicted == true_label)
        colours[true_label] = CORRECT
        labels = (
            {predicted: "predicted = true"}
            if predicted == true_label
            else {predicted: "predicted", true_label: "true"}
        )
    fig = go.Figure(
        go.Bar(
            x=list(class_names),
            y=probabilities,
            marker_color=colours,
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    for label_index, text in labels.items():
        fig.add_annotation(
            x=class_names[label_index],
            y=probabilities[label_index],
            text=text,
            showarrow=False,
            yanchor="bottom",
            font=dict(size=CAPTION_SIZE, color=colours[label_index]),
        )
    fig.update_xaxes(tickangle=-35)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", title_text="probability")
    attach(fig, "The model's confidence in each class",
           figure_text.probabilities(probabilities, true_label, class_names))
    # The top margin holds labels of bars that reach 100 %.
    return _style(fig, 400, margin=dict(l=60, r=20, t=40, b=20))


def activation_bars(values: Sequence[float], title: str, labels: Sequence[str] | None = None) -> go.Figure:
    """One bar per neuron (or class): how strongly each responds; negative bars point down."""
    labels = list(labels) if labels is not None else [str(n) for n in range(1, len(values) + 1)]
    colours = [WRONG if value < 0 else POSITIVE for value in values]
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=colours,
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(title=dict(text=title), bargap=0.1)
    fig.update_xaxes(type="category", tickangle=-35)
    attach(fig, title, figure_text.activations(values, title, labels))
    return _style(fig, 320, margin=dict(l=60, r=20, t=60, b=20))


def confusion_matrix_figure(matrix: np.ndarray, class_names: Sequence[str]) -> go.Figure:
    """Counts of (true, predicted) class pairs; the diagonal is what the model got right."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=list(class_names),
            y=list(class_names),
            colorscale="Blues",
            texttemplate="%{z}",
            textfont_size=CAPTION_SIZE,
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
            colorbar_title_text="images",
        )
    )
    fig.update_xaxes(title_text="predicted", tickangle=-35, showgrid=False)
    fig.update_yaxes(title_text="true", autorange="reversed", scaleanchor="x", showgrid=False)
    attach(fig, "Confusion matrix", *figure_text.confusion(matrix, class_names))
    return _style(fig, 680, margin=dict(l=20, r=20, t=20, b=20))


def plain_text(text: str) -> str:
    """`text` for Plotly's labels and hovers, which read a little HTML: shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_results(points: Sequence, values: Sequence, knob_label: str, *,
                  references: Mapping[str, float] | None = None) -> go.Figure:
    """The class experiment: every run's test accuracy (a marker per student) against a knob,
    with the mean and spread (one standard deviation) of each value; for a projector.

    `points` have member, who, x, accuracy; `values` have x, runs, mean, spread (board.py).
    """
    order = [str(value.x) for value in values]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[str(point.x) for point in points], y=[point.accuracy for point in points],
        mode="markers", name="a student's run",
        # Opaque: a translucent marker would fall below 4.5:1; the white ring keeps overlaps apart.
        marker=dict(size=14, color=RUN_COLOURS[0], line=dict(width=1, color="white"),
                    symbol=[MARKERS[(point.member - 1) % len(MARKERS)] for point in points]),
        text=[plain_text(point.who) for point in points],
        hovertemplate="%{text}<br>%{x}: %{y:.2%}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=order, y=[value.mean for value in values], mode="lines+markers", name="class mean ± spread",
        line=dict(color=REFERENCE, width=3), marker=dict(size=10, color=REFERENCE),
        error_y=dict(type="data", array=[value.spread for value in values], thickness=2, width=8),
        text=[count(value.runs, "run") for value in values],
        hovertemplate="mean of %{text}: %{y:.2%}<extra></extra>"))
    # Beside the plot: above the line's left end, a label covered the first value's points.
    _reference_lines(fig, references or {}, beside=True)
    accuracies = [point.accuracy for point in points] + list((references or {}).values())
    fig.update_xaxes(title_text=knob_label, type="category", categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text="test accuracy", tickformat=".0%",
                     range=[math.floor(min(accuracies, default=0.8) * 20) / 20, 1.0])
    attach(fig, f"Test accuracy of every run against {knob_label}",
           figure_text.class_results(values, knob_label))
    return _style(fig, 520, legend=dict(orientation="h", yanchor="top", y=-0.18),
                  margin=dict(l=70, r=REFERENCE_LABEL_PX, t=30, b=20))

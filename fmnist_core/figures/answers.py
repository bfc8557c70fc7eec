"""What a model answers: test images with its answers framed green or red (`predictions_grid`), its
confidence in each class (`probability_bars`), how strongly neurons respond (`activation_bars`),
and which classes it takes for which (`confusion_matrix_figure`)."""

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

import fmnist_core.figures.text as figure_text
from fmnist_core.figures.images import FRAME_OFFSET, GridLayout, image_grid
from fmnist_core.figures.style import CAPTION_SIZE, CORRECT, OTHER, POSITIVE, RUN_COLOURS, WRONG, styled
from fmnist_core.figures.text import attach


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
    return styled(fig, 400, margin=dict(l=60, r=20, t=40, b=20))


def activation_bars(values: Sequence[float], title: str, labels: Sequence[str] | None = None) -> go.Figure:
    """One bar per neuron (or class): how strongly each responds; negative bars point down."""
    labels = list(labels) if labels is not None else [str(n) for n in range(1, len(values) + 1)]
    colours = [WRONG if value < 0 else POSITIVE for value in values]
    fig = go.Figure(go.Bar(x=labels, y=values, marker_color=colours,
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(title=dict(text=title), bargap=0.1)
    fig.update_xaxes(type="category", tickangle=-35)
    attach(fig, title, figure_text.activations(values, title, labels))
    return styled(fig, 320, margin=dict(l=60, r=20, t=60, b=20))


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
    return styled(fig, 680, margin=dict(l=20, r=20, t=20, b=20))

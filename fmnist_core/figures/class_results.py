"""The class experiment on the teacher's board: every run's test accuracy against a knob, a marker per
student, with the mean and spread of each value; for a projector."""

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

import fmnist_core.figures.text as figure_text
from fmnist_core.figures.style import (
    MARKERS,
    REFERENCE,
    REFERENCE_LABEL_PX,
    RUN_COLOURS,
    reference_lines,
    styled,
)
from fmnist_core.figures.text import attach
from fmnist_core.lesson.words import count


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
    reference_lines(fig, references or {}, beside=True)
    accuracies = [point.accuracy for point in points] + list((references or {}).values())
    fig.update_xaxes(title_text=knob_label, type="category", categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text="test accuracy", tickformat=".0%",
                     range=[math.floor(min(accuracies, default=0.8) * 20) / 20, 1.0])
    attach(fig, f"Test accuracy of every run against {knob_label}",
           figure_text.class_results(values, knob_label))
    return styled(fig, 520, legend=dict(orientation="h", yanchor="top", y=-0.18),
                  margin=dict(l=70, r=REFERENCE_LABEL_PX, t=30, b=20))

"""The training curves: accuracy and loss per epoch of each run, side by side, train solid and
held-out dashed, with the reference accuracies."""

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

import fmnist_core.figures.text as figure_text
from fmnist_core.figures.style import MARKERS, RUN_COLOURS, reference_lines, styled
from fmnist_core.figures.text import attach
from fmnist_core.history import EpochRecord


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
    reference_lines(fig, references, row=1, col=1)
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
    return styled(
        fig,
        460,
        legend=dict(orientation="h", yanchor="top", y=-0.2, groupclick="togglegroup"),
        # The top margin keeps panel titles clear of Plotly's toolbar.
        margin=dict(l=60, r=20, t=60, b=20),
    )

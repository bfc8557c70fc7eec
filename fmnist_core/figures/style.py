"""The look every chart shares: Plotly's template and fonts, the lesson's palette (every colour that
carries meaning at least 4.5:1 on white), a marker shape per run, and the reference lines (the
lesson's accuracy, people's).

Every figure is sized to stay readable on a laptop and on a classroom projector.
"""

from collections.abc import Mapping

import plotly.graph_objects as go

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


def styled(fig: go.Figure, height: int, **layout) -> go.Figure:
    """Apply the shared template, fonts and height."""
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        font_size=FONT_SIZE,
        hoverlabel_font_size=FONT_SIZE,
        **layout,
    )
    return fig


def reference_lines(fig: go.Figure, references: Mapping[str, float], *, beside: bool = False,
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

"""Every chart of the lesson, each with its text alternative: Plotly figures, and PNG tiles where
nothing needs a chart.

`images` holds the charts and the palette for now; `text` makes each chart's words (a name, one
sentence, its numbers as table rows) from what it draws, kept in the figure (`attach`, `text_of`).
Numpy, Plotly and Pillow only: no TensorFlow, no Streamlit.
"""

from fmnist_core.figures.images import (
    CORRECT,
    MARKERS,
    OTHER,
    PIXEL_COLORSCALE,
    POSITIVE,
    REFERENCE,
    RUN_COLOURS,
    WEIGHT_COLORSCALE,
    WRONG,
    ImageTiles,
    activation_bars,
    class_results,
    confusion_matrix_figure,
    image_grid,
    image_heatmap,
    image_tiles,
    pixel_histogram,
    predictions_grid,
    probability_bars,
    training_curves,
)
from fmnist_core.figures.text import FigureText, text_of

__all__ = ["CORRECT", "MARKERS", "OTHER", "PIXEL_COLORSCALE", "POSITIVE", "REFERENCE", "RUN_COLOURS",
           "WEIGHT_COLORSCALE", "WRONG", "FigureText", "ImageTiles", "activation_bars", "class_results",
           "confusion_matrix_figure", "image_grid", "image_heatmap", "image_tiles", "pixel_histogram",
           "predictions_grid", "probability_bars", "text_of", "training_curves"]

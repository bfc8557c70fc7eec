"""Every chart of the lesson, each with its text alternative: Plotly figures, PNG tiles where
nothing needs a chart, and the map's data for the page's own map component. One module per family of
charts:

`images` (a mosaic of images, PNG tiles, one image's pixels, a histogram of pixel values),
`curves` (accuracy and loss per epoch), `answers` (what a model answers: test images framed green or
red, its confidence in each class, its neurons, its confusion matrix), `class_results` (the class
experiment on the teacher's board), `map` (the test images placed by a layer's activations, before and
after training: `PointMaps`), `arithmetic` (one neuron's sum as pictures, the output layer's scores);
`style` is the look they share (template, fonts, the palette, reference lines), and `text` makes each chart's
words (a name, one sentence, its numbers as table rows) from what it draws, kept in the figure
(`attach`, read with `text_of`). Numpy, Plotly and Pillow only: no TensorFlow, no Streamlit.

Exports every chart, the palette (`CORRECT`, `WRONG`, `OTHER`, `REFERENCE`, `POSITIVE`,
`RUN_COLOURS`, `MARKERS`, `PIXEL_COLORSCALE`, `WEIGHT_COLORSCALE`), `ImageTiles`, `FigureText` and
`text_of`.
"""

from fmnist_core.figures.answers import (
    activation_bars,
    confusion_matrix_figure,
    predictions_grid,
    probability_bars,
)
from fmnist_core.figures.arithmetic import filter_pictures, neuron_pictures, output_sums
from fmnist_core.figures.class_results import class_results
from fmnist_core.figures.curves import training_curves
from fmnist_core.figures.images import ImageTiles, image_grid, image_heatmap, image_tiles, pixel_histogram
from fmnist_core.figures.map import map_before_and_after
from fmnist_core.figures.style import (
    CORRECT,
    MARKERS,
    OTHER,
    PIXEL_COLORSCALE,
    POSITIVE,
    REFERENCE,
    RUN_COLOURS,
    WEIGHT_COLORSCALE,
    WRONG,
)
from fmnist_core.figures.text import FigureText, text_of

__all__ = ["CORRECT", "MARKERS", "OTHER", "PIXEL_COLORSCALE", "POSITIVE", "REFERENCE", "RUN_COLOURS",
           "WEIGHT_COLORSCALE", "WRONG", "FigureText", "ImageTiles", "activation_bars", "class_results",
           "confusion_matrix_figure", "filter_pictures", "image_grid", "image_heatmap", "image_tiles",
           "map_before_and_after", "neuron_pictures", "output_sums", "pixel_histogram", "predictions_grid",
           "probability_bars", "text_of", "training_curves"]

"""The figures put the right data in the right places, in the lesson's colours."""

import io
import subprocess
import sys

import numpy as np
import pytest
from plotly.colors import get_colorscale

from fmnist_core import figures
from fmnist_core.data import CLASS_NAMES
from fmnist_core.figures import CORRECT, OTHER, WRONG
from fmnist_core.figures.images import GAP, TILE_PIXEL_PX, TILE_PNG_PX, GridLayout
from fmnist_core.figures.text import text_of
from fmnist_core.history import EpochRecord
from tools.server import REPO


def numbered_images(count: int) -> np.ndarray:
    """Images whose pixels are all different: image k, pixel (r, c) holds k*1000 + r*28 + c."""
    k, r, c = np.indices((count, 28, 28))
    return (k * 1000 + r * 28 + c).astype(float)


def record(epoch: int, accuracy: float) -> EpochRecord:
    """An epoch whose other numbers follow from its accuracy, so they are easy to check."""
    return EpochRecord(epoch, 1 - accuracy, accuracy, 1.1 - accuracy, accuracy - 0.02, 1.0)


# --- image_grid -------------------------------------------------------------------------


def test_image_grid_places_every_pixel_at_its_tile_with_nan_gaps():
    images = numbered_images(7)
    fig = figures.image_grid(images, [f"image {k}" for k in range(7)], columns=3)
    z = fig.data[0].z
    caption = GridLayout.fit(images.shape, ["x"], 3).caption_height
    assert z.shape == (GAP + 3 * (28 + caption), GAP + 3 * (28 + GAP))
    for k in range(7):
        top = GAP + (k // 3) * (28 + caption)
        left = GAP + (k % 3) * (28 + GAP)
        np.testing.assert_array_equal(z[top : top + 28, left : left + 28], images[k])
    # Everything that is not one of the 7 images is a gap, and gaps are NaN.
    assert np.isnan(z).sum() == z.size - 7 * 28 * 28
    assert np.isnan(z[:, GAP + 28 : GAP + 28 + GAP]).all()  # between columns 0 and 1
    assert np.isnan(z[GAP + 2 * (28 + caption) :, GAP + 28 + GAP :]).all()  # 2 empty tiles


def test_image_grid_captions_sit_under_their_image_and_show_on_hover():
    captions = [f"image {k}" for k in range(7)]
    fig = figures.image_grid(numbered_images(7), captions, columns=3)
    annotations = fig.layout.annotations
    assert [a.text for a in annotations] == captions
    assert annotations[4].x == GAP + (28 + GAP) + 13.5  # centre of the second column
    assert annotations[4].y > annotations[1].y  # second row, lower on the reversed axis
    heatmap = fig.data[0]
    assert heatmap.text[GAP + 5, GAP + 5] == "image 0"
    assert heatmap.text[0, 0] == ""
    assert "%{text}" in heatmap.hovertemplate and "%{z" in heatmap.hovertemplate


def test_image_grid_gives_small_images_room_for_their_captions():
    """A convnet's 3×3 filters, 8 a row: each caption ("filter 16") gets 70 screen pixels or more, as
    wide as it is written; 28-pixel images still grow to 5 screen pixels a pixel at most."""
    filters = GridLayout.fit((16, 3, 3), [f"filter {k + 1}" for k in range(16)], columns=8)
    assert (3 + GAP) * filters.pixel_px >= 70
    assert 3 * filters.pixel_px <= 140
    assert GridLayout.fit((2, 28, 28), ["a", "b"], columns=2).pixel_px == 5


def test_image_grid_keeps_pixels_square_and_crisp():
    fig = figures.image_grid(numbered_images(2), ["a", "b"])
    assert fig.data[0].zsmooth is False
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.showticklabels is False


def test_image_grid_shows_pixels_dark_on_white_like_the_tutorial():
    heatmap = figures.image_grid(numbered_images(1), ["a"]).data[0]
    lowest, highest = heatmap.colorscale[0][1], heatmap.colorscale[-1][1]
    assert lowest.startswith("rgb(25") and highest == "rgb(0, 0, 0)"
    assert heatmap.showscale is False and heatmap.zmid is None


def test_image_grid_draws_weights_on_a_diverging_scale_centred_at_zero():
    weights = np.random.default_rng(0).normal(size=(4, 28, 28))
    fig = figures.image_grid(
        weights, list("abcd"), colorscale="RdBu", zmid=0, zmin=-3, zmax=3, show_scale=True
    )
    heatmap = fig.data[0]
    assert (heatmap.zmid, heatmap.zmin, heatmap.zmax, heatmap.showscale) == (0, -3, 3, True)
    assert [colour for _, colour in heatmap.colorscale] == [colour for _, colour in get_colorscale("RdBu")]


def test_image_grid_columns_shrink_to_the_number_of_images():
    fig = figures.image_grid(numbered_images(2), ["a", "b"], columns=10)
    assert fig.data[0].z.shape[1] == GAP + 2 * (28 + GAP)


def test_image_grid_rejects_a_missing_caption():
    with pytest.raises(ValueError):
        figures.image_grid(numbered_images(3), ["a", "b"])


# --- image_tiles --------------------------------------------------------------------------


def png_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        assert picture.format == "PNG"  # lossless: each pixel keeps its exact shade
        return np.asarray(picture)


def test_image_tiles_draw_each_pixel_as_a_crisp_dark_on_white_square():
    images = np.zeros((2, 28, 28))
    images[0, 3, 5], images[1, 27, 27] = 255, 51
    pictures = figures.image_tiles(images, ["a", "b"])
    first, second = (png_pixels(png) for png in pictures.pngs)
    block = TILE_PNG_PX
    assert first.shape == (28 * block, 28 * block)
    # Pixel (3, 5) of the first image is one square of the highest value, drawn black.
    np.testing.assert_array_equal(first[3 * block:4 * block, 5 * block:6 * block], 0)
    assert (first == 0).sum() == block * block and first.max() == 255  # the rest white
    # One scale for all the tiles, as the mosaic's: 51 of 0–255 is a light grey.
    assert set(np.unique(second)) == {255, 255 - 51}
    assert pictures.width_px == 28 * TILE_PIXEL_PX


def test_image_tiles_stretch_one_scale_over_all_the_images_like_the_mosaic():
    means = np.full((2, 28, 28), 10.0)
    means[1] = 110.0  # averages never reach 255: the highest is drawn black, the lowest white
    lowest, highest = (png_pixels(png) for png in figures.image_tiles(means, ["a", "b"]).pngs)
    assert np.unique(lowest).tolist() == [255] and np.unique(highest).tolist() == [0]


def test_image_tiles_describe_each_image_and_keep_its_caption():
    pictures = figures.image_tiles(numbered_images(2) % 256, ["Coat", "Bag"])
    assert pictures.captions == ("Coat", "Bag")
    assert pictures.descriptions[1] == ("Bag: 28×28 pixels with values from 0 to 255, darker "
                                        "squares are higher values.")


def test_image_tiles_reject_a_missing_caption():
    with pytest.raises(ValueError, match="3 images, 2 captions"):
        figures.image_tiles(numbered_images(3), ["a", "b"])


# --- image_heatmap ----------------------------------------------------------------------


def test_image_heatmap_shows_the_image_with_values_on_hover_and_a_colour_bar():
    image = numbered_images(1)[0] % 256
    fig = figures.image_heatmap(image, "Training image 0")
    heatmap = fig.data[0]
    np.testing.assert_array_equal(heatmap.z, image)
    assert heatmap.showscale is not False and heatmap.colorbar.title.text == "value"
    for part in ("%{x}", "%{y}", "%{z"):
        assert part in heatmap.hovertemplate
    assert heatmap.texttemplate is None
    assert fig.layout.title.text == "Training image 0"
    assert fig.layout.yaxis.autorange == "reversed"


@pytest.mark.parametrize(("scale", "cell"), [(1, "%{z:.0f}"), (1 / 255, "%{z:.1f}")])
def test_image_heatmap_writes_values_in_cells_when_asked(scale, cell):
    image = (numbered_images(1)[0] % 256) * scale
    assert figures.image_heatmap(image, "t", show_values=True).data[0].texttemplate == cell


# --- pixel_histogram --------------------------------------------------------------------


@pytest.mark.parametrize(("normalised", "scale", "label"), [(False, 1, "0–255"), (True, 1 / 255, "0–1")])
def test_pixel_histogram_axis_says_which_scale(normalised, scale, label):
    image = (numbered_images(1)[0] % 256) * scale
    fig = figures.pixel_histogram(image, normalised=normalised)
    np.testing.assert_array_equal(fig.data[0].x, image.ravel())
    assert label in fig.layout.xaxis.title.text
    assert fig.layout.xaxis.range == pytest.approx((0, 256 * scale))
    bins = fig.data[0].xbins
    assert bins.size == pytest.approx(8 * scale)
    assert bins.end > 255 * scale  # white pixels land in the last bin


# --- training_curves --------------------------------------------------------------------


def test_training_curves_draw_train_and_held_out_per_run_in_both_panels():
    runs = {
        "baseline": [record(1, 0.8), record(2, 0.85), record(3, 0.87)],
        "wider": [record(1, 0.82), record(2, 0.86), record(3, 0.89)],
    }
    fig = figures.training_curves(runs, val_name="validation")
    assert len(fig.data) == 4 * len(runs)  # train and validation, in each of the 2 panels
    accuracy = [trace for trace in fig.data if trace.xaxis == "x"]
    loss = [trace for trace in fig.data if trace.xaxis == "x2"]
    assert len(accuracy) == len(loss) == 2 * len(runs)
    assert [(t.legendgroup, t.name) for t in accuracy] == [
        ("baseline", "train"),
        ("baseline", "validation"),
        ("wider", "train"),
        ("wider", "validation"),
    ]
    for trace in fig.data:
        assert list(trace.x) == [1, 2, 3]
    assert list(accuracy[0].y) == [0.8, 0.85, 0.87]
    assert list(accuracy[1].y) == pytest.approx([0.78, 0.83, 0.85])
    assert list(loss[0].y) == pytest.approx([0.2, 0.15, 0.13])
    assert [t.line.dash for t in accuracy[:2]] == ["solid", "dash"]
    assert accuracy[0].line.color == accuracy[1].line.color == loss[0].line.color
    assert accuracy[0].line.color != accuracy[2].line.color
    assert all(t.showlegend is False for t in loss)  # each run is listed once


def test_training_curves_label_reference_lines_on_the_accuracy_panel():
    references = {"lesson ≈ 0.88": 0.88, "human 0.835": 0.835}
    fig = figures.training_curves({"baseline": [record(1, 0.8)]}, references=references)
    lines = fig.layout.shapes
    assert [(s.y0, s.y1) for s in lines] == [(0.88, 0.88), (0.835, 0.835)]
    assert all(s.yref == "y" for s in lines)
    texts = {a.text for a in fig.layout.annotations}
    assert set(references) <= texts
    assert fig.layout.yaxis.range[0] <= 0.78 and fig.layout.yaxis.range[1] == 1.0


def test_training_curves_draw_axes_before_the_first_epoch():
    references = {"lesson ≈ 0.88": 0.88}
    for runs in ({}, {"baseline": []}):
        fig = figures.training_curves(runs, epochs=10, references=references)
        assert {(t.xaxis, t.yaxis) for t in fig.data} == {("x", "y"), ("x2", "y2")}
        assert all(len(t.x) == 0 for t in fig.data)
        assert fig.layout.xaxis.range == (0.8, 10.2) and fig.layout.xaxis2.range == (0.8, 10.2)
        assert len(fig.layout.shapes) == 1  # references show even with nothing trained


def test_training_curves_show_a_single_epoch_as_markers():
    fig = figures.training_curves({"baseline": [record(1, 0.8)]})
    assert all("markers" in trace.mode for trace in fig.data)
    low, high = fig.layout.xaxis.range
    assert low < 1 < high


# --- predictions_grid -------------------------------------------------------------------

TRUE = [7, 1, 0, 3, 6, 5]
PREDICTED = [7, 1, 6, 3, 0, 5]  # images 2 and 4 are wrong
CONFIDENCES = [0.97, 0.999, 0.61, 0.8, 0.552, 0.9]


def predictions():
    return figures.predictions_grid(numbered_images(6), TRUE, PREDICTED, CONFIDENCES, CLASS_NAMES, columns=3)


def test_predictions_grid_colours_captions_and_frames_by_outcome():
    fig = predictions()
    expected = [CORRECT, CORRECT, WRONG, CORRECT, WRONG, CORRECT]
    assert [a.font.color for a in fig.layout.annotations] == expected
    assert [s.line.color for s in fig.layout.shapes] == expected
    assert sum(s.line.color == CORRECT for s in fig.layout.shapes) == 4
    assert sum(s.line.color == WRONG for s in fig.layout.shapes) == 2


def test_predictions_grid_captions_mark_name_and_quantify_each_prediction():
    captions = [a.text.replace("<br>", " ") for a in predictions().layout.annotations]
    assert captions[0] == "✓ Sneaker 97% (Sneaker)"
    assert captions[2] == "✗ Shirt 61% (T-shirt/top)"
    assert captions[4] == "✗ T-shirt/top 55% (Shirt)"
    assert [c[0] for c in captions] == ["✓", "✓", "✗", "✓", "✗", "✓"]


def test_predictions_grid_frames_surround_their_image_in_the_mosaic():
    fig = predictions()
    z = fig.data[0].z
    for k, frame in enumerate(fig.layout.shapes):
        rows, columns = np.nonzero(z == k * 1000)  # pixel (0, 0) of image k
        top, left = rows[0], columns[0]
        assert frame.x0 < left - 0.5 and frame.x1 > left + 27.5
        assert frame.y0 < top - 0.5 and frame.y1 > top + 27.5


# --- probability_bars -------------------------------------------------------------------


def test_probability_bars_wrong_prediction_is_red_and_true_class_green():
    probabilities = np.full(10, 0.02)
    probabilities[[6, 0]] = [0.61, 0.23]
    fig = figures.probability_bars(probabilities, 0, CLASS_NAMES)
    colours = list(fig.data[0].marker.color)
    assert colours[6] == WRONG and colours[0] == CORRECT
    assert colours.count(OTHER) == 8
    assert list(fig.data[0].x) == list(CLASS_NAMES)
    labels = {a.text: a.x for a in fig.layout.annotations}
    assert labels == {"predicted": "Shirt", "true": "T-shirt/top"}
    assert fig.layout.yaxis.range == (0, 1)


def test_probability_bars_right_prediction_is_one_green_bar():
    probabilities = np.full(10, 0.01)
    probabilities[7] = 0.91
    fig = figures.probability_bars(probabilities, 7, CLASS_NAMES)
    colours = list(fig.data[0].marker.color)
    assert colours[7] == CORRECT and colours.count(OTHER) == 9
    assert [(a.text, a.x) for a in fig.layout.annotations] == [("predicted = true", "Sneaker")]


# --- confusion_matrix_figure ------------------------------------------------------------


def test_confusion_matrix_shows_counts_with_true_down_and_predicted_across():
    matrix = np.arange(100).reshape(10, 10)
    fig = figures.confusion_matrix_figure(matrix, CLASS_NAMES)
    heatmap = fig.data[0]
    np.testing.assert_array_equal(heatmap.z, matrix)
    assert tuple(heatmap.x) == tuple(heatmap.y) == CLASS_NAMES
    assert heatmap.texttemplate == "%{z}"
    assert fig.layout.xaxis.title.text == "predicted"
    assert fig.layout.yaxis.title.text == "true"
    assert fig.layout.yaxis.autorange == "reversed"  # first class on top, like a table


# --- all figures ------------------------------------------------------------------------


def all_figures():
    image = numbered_images(1)[0] % 256
    return [
        figures.image_grid(numbered_images(3), ["a", "b", "c"]),
        figures.image_heatmap(image, "t", show_values=True),
        figures.pixel_histogram(image, normalised=False),
        figures.training_curves({"a": [record(1, 0.8)]}, references={"human": 0.835}),
        predictions(),
        figures.probability_bars(np.full(10, 0.1), 3, CLASS_NAMES),
        figures.confusion_matrix_figure(np.eye(10, dtype=int), CLASS_NAMES),
    ]


@pytest.mark.parametrize("fig", all_figures(), ids=lambda fig: fig.data[0].type)
def test_figures_are_readable_on_a_projector(fig):
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white
    assert fig.layout.font.size >= 13
    for annotation in fig.layout.annotations:
        assert (annotation.font.size or fig.layout.font.size) >= 13
    for trace in fig.data:
        if "textfont" in trace:
            assert (trace.textfont.size or fig.layout.font.size) >= 13
    assert 200 <= fig.layout.height <= 1000


def test_importing_figures_does_not_load_tensorflow():
    code = (
        "import sys, fmnist_core.figures;"
        "loaded = {'tensorflow', 'keras'} & set(sys.modules);"
        "sys.exit(f'loaded {loaded}' if loaded else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_probability_bars_without_a_label_marks_only_the_prediction():
    from fmnist_core.figures import CORRECT, WRONG, probability_bars

    probabilities = np.full(10, 0.02)
    probabilities[4] = 0.82
    fig = probability_bars(probabilities, None, [f"class {n}" for n in range(10)])
    colours = list(fig.data[0].marker.color)
    assert colours[4] not in (CORRECT, WRONG) and len(set(colours)) == 2
    assert [a.text for a in fig.layout.annotations] == ["predicted"]


def test_activation_bars_point_negative_values_down_in_red():
    from fmnist_core.figures import WRONG, activation_bars

    fig = activation_bars([0.5, -1.0, 0.0], "hidden_1")
    assert list(fig.data[0].y) == [0.5, -1.0, 0.0]
    assert list(fig.data[0].x) == ["1", "2", "3"]
    assert fig.data[0].marker.color[1] == WRONG and fig.data[0].marker.color[0] != WRONG
    assert "hidden_1" in fig.layout.title.text


# --- text alternatives --------------------------------------------------------------------


@pytest.mark.parametrize("fig", all_figures(), ids=lambda fig: fig.data[0].type)
def test_every_figure_carries_a_name_and_a_sentence_for_those_who_cannot_see_it(fig):
    text = text_of(fig)
    assert text.name and text.summary.endswith(".")


def test_training_curves_say_each_runs_last_epoch_and_list_every_epoch():
    runs = {"Run 1": [record(1, 0.8), record(2, 0.881)], "Run 2": [record(1, 0.75)]}
    text = text_of(figures.training_curves(runs, epochs=2, best_epochs={"Run 1": 1}))
    assert text.summary == ("Run 1, epoch 2: training accuracy 88.1 %, test 86.1 %, best epoch 1 "
                            "kept; Run 2, epoch 1 of 2: training accuracy 75.0 %, test 73.0 %.")
    assert [(row["run"], row["epoch"]) for row in text.rows] == [("Run 1", 1), ("Run 1", 2), ("Run 2", 1)]
    assert text.rows[0]["test accuracy"] == "78.0 %" and text.rows[0]["training loss"] == "0.200"
    assert text_of(figures.training_curves({})).summary.startswith("No epochs yet")


def test_predictions_grid_captions_are_text_in_its_table():
    fig = figures.predictions_grid(numbered_images(6), TRUE, PREDICTED, CONFIDENCES, CLASS_NAMES,
                                   columns=3, numbers=[10, 11, 12, 13, 14, 15])
    text = text_of(fig)
    assert text.summary == "6 test images: 4 right (✓, framed in green) and 2 wrong (✗, framed in red)."
    assert text.rows[2] == {"test image": 12, "right?": "✗ wrong", "the model says": "Shirt",
                            "confidence": "61%", "true class": "T-shirt/top"}


def test_probability_bars_name_the_likeliest_classes_and_the_true_one():
    probabilities = np.full(10, 0.02)
    probabilities[[6, 0, 2]] = [0.61, 0.23, 0.03]
    summary = text_of(figures.probability_bars(probabilities, 0, CLASS_NAMES)).summary
    assert summary == ("Most likely: Shirt 61.0 %, T-shirt/top 23.0 %, Pullover 3.0 %. "
                       "The true class, T-shirt/top, 23.0 %.")


def test_confusion_matrix_says_what_is_right_and_the_biggest_mistake():
    matrix = np.diag(np.full(10, 90))
    matrix[6, 0] = 12
    text = text_of(figures.confusion_matrix_figure(matrix, CLASS_NAMES))
    assert "900 of 912 images are on the diagonal" in text.summary
    assert "Shirt taken for T-shirt/top (12 times)" in text.summary
    assert text.rows[6]["true class"] == "Shirt" and text.rows[6]["T-shirt/top"] == 12


def test_an_image_says_its_size_range_and_what_its_shades_mean():
    summary = text_of(figures.image_heatmap(numbered_images(1)[0] % 256, "test image 0")).summary
    assert summary == ("test image 0: 28×28 pixels with values from 0 to 255, darker squares are "
                       "higher values.")

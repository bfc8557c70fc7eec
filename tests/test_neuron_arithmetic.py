"""One neuron's arithmetic, redone in NumPy, equals the model's own numbers to 1e-5: a dense network's
first-layer neurons and output scores, a convnet's first filters; and its pictures."""

from functools import cache

import numpy as np
import plotly.graph_objects as go
import pytest

from fmnist_core import figures
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASS_NAMES
from fmnist_core.evaluation import softmax
from fmnist_core.figures.style import PIXEL_COLORSCALE
from fmnist_core.figures.text import text_of
from fmnist_core.inside import (
    NeuronArithmetic,
    OutputArithmetic,
    filter_arithmetic,
    neuron_arithmetic,
    output_arithmetic,
)

PAIRS = 20
TOLERANCE = 1e-5
SMALL = dict(train_size=640, epochs=1)
MLP = ExperimentConfig(hidden_layers=(32,), **SMALL)
MLPS = [MLP, ExperimentConfig(hidden_layers=(24, 16), batch_norm=True, activation="gelu", **SMALL),
        ExperimentConfig(hidden_layers=(16,), normalize=False, activation="elu", **SMALL)]
CNNS = [ExperimentConfig(architecture="cnn", hidden_layers=(16,), **SMALL),
        ExperimentConfig(architecture="cnn", hidden_layers=(16,), batch_norm=True, activation="tanh",
                         **SMALL)]


def assert_equal_to_float32(actual, expected) -> None:
    """Equal to TOLERANCE, relative beyond 1: float32, the model's, holds 7 significant digits, so raw
    0–255 pixels' sums near 56 carry its rounding in the 5th decimal (the lesson's stay below 1e-5)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    error = np.abs(actual - expected)
    assert np.all(error <= TOLERANCE * np.maximum(1.0, np.abs(expected))), (actual, expected, error.max())


@cache
def trained(config: ExperimentConfig, data):
    """A run of `config` trained briefly on real images, and every layer's output for 20 test images."""
    import keras
    import tensorflow as tf

    from fmnist_core.training.loop import train

    model = train(config, data).model
    images = data.test_images[np.random.default_rng(0).choice(len(data.test_images), PAIRS, replace=False)]
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    outputs = probe(tf.cast(images, tf.float32), training=False)
    return model, images, {layer.name: np.asarray(out) for layer, out in zip(model.layers, outputs)}


def ids(config: ExperimentConfig) -> str:
    return f"{config.architecture}{config.hidden_layers}-{config.activation}-bn{int(config.batch_norm)}"


@pytest.mark.parametrize("config", MLPS, ids=ids)
def test_a_dense_neurons_arithmetic_equals_its_activation(real_data, config):
    model, images, outputs = trained(config, real_data)
    neurons = np.random.default_rng(1).integers(0, config.hidden_layers[0], PAIRS)
    for image_number, (image, neuron) in enumerate(zip(images, neurons)):
        arithmetic = neuron_arithmetic(model, image, int(neuron))
        scale = 1 / 255 if config.normalize else 1
        np.testing.assert_allclose(arithmetic.inputs, image.ravel() * scale, rtol=1e-6)
        assert arithmetic.products.shape == (784,)
        assert arithmetic.total == pytest.approx(arithmetic.products.sum())
        assert arithmetic.pre_activation == pytest.approx(arithmetic.total + arithmetic.bias)
        assert arithmetic.activation == config.activation
        assert (arithmetic.normalised is not None) == config.batch_norm
        assert arithmetic.value_layer == (f"{config.activation}_1" if config.batch_norm else "hidden_1")
        assert_equal_to_float32(arithmetic.value, outputs[arithmetic.value_layer][image_number][neuron])


@pytest.mark.parametrize("config", MLPS, ids=ids)
def test_the_output_layers_sums_equal_the_models_scores(real_data, config):
    """For the one-layer network, from the neurons' own arithmetic: the whole way from pixels."""
    from fmnist_core.inside.map import last_hidden_layer

    model, images, outputs = trained(config, real_data)
    for image_number, image in enumerate(images):
        if len(config.hidden_layers) == 1 and not config.batch_norm:
            hidden = [neuron_arithmetic(model, image, j).value for j in range(config.hidden_layers[0])]
        else:
            hidden = outputs[last_hidden_layer(model)][image_number]
        arithmetic = output_arithmetic(model, hidden)
        np.testing.assert_allclose(arithmetic.totals + arithmetic.biases, arithmetic.scores)
        np.testing.assert_allclose(arithmetic.products.sum(axis=0), arithmetic.totals)
        assert_equal_to_float32(arithmetic.scores, outputs["output"][image_number])
        assert_equal_to_float32(arithmetic.probabilities, softmax(outputs["output"][image_number]))


@pytest.mark.parametrize("config", CNNS, ids=ids)
def test_a_filters_arithmetic_at_one_place_equals_its_feature_map(real_data, config):
    from fmnist_core.inside.map import last_hidden_layer

    model, images, outputs = trained(config, real_data)
    rng = np.random.default_rng(2)
    for image_number, image in enumerate(images):
        row, column, unit = (int(n) for n in rng.integers(0, [26, 26, 16]))
        arithmetic = filter_arithmetic(model, image, row, column, unit)
        np.testing.assert_allclose(arithmetic.inputs, image[row:row + 3, column:column + 3] / 255, rtol=1e-6)
        assert arithmetic.weights.shape == arithmetic.products.shape == (3, 3)
        assert arithmetic.position == (row, column) and arithmetic.layer == "conv_1"
        feature_map = outputs[arithmetic.value_layer][image_number]
        assert_equal_to_float32(arithmetic.value, feature_map[row, column, unit])
        scores = output_arithmetic(model, outputs[last_hidden_layer(model)][image_number]).scores
        assert_equal_to_float32(scores, outputs["output"][image_number])


def test_arithmetic_refuses_what_the_model_does_not_have(real_data):
    model, images, _ = trained(MLP, real_data)
    with pytest.raises(ValueError, match="neuron must be a whole number from 0 to 31; got 32"):
        neuron_arithmetic(model, images[0], 32)
    with pytest.raises(ValueError, match="image must be one 28×28 picture"):
        neuron_arithmetic(model, images[:2], 0)
    with pytest.raises(ValueError, match="hidden must hold the 32 values"):
        output_arithmetic(model, np.zeros(31))
    convnet, images, _ = trained(CNNS[0], real_data)
    with pytest.raises(ValueError, match="needs a dense network"):
        neuron_arithmetic(convnet, images[0], 0)
    with pytest.raises(ValueError, match="row must be a whole number from 0 to 25; got 26"):
        filter_arithmetic(convnet, images[0], 26, 0)


# --- the pictures (NumPy and Plotly only) --------------------------------------------------


def made_up(shape: tuple[int, ...], position=None, normalised=None) -> NeuronArithmetic:
    rng = np.random.default_rng(3)
    inputs, weights = rng.uniform(0, 1, shape), rng.normal(0, 0.1, shape)
    products = inputs * weights
    total = float(products.sum())
    return NeuronArithmetic("conv_1" if position else "hidden_1", 4, position, inputs, weights, products,
                            total, -0.25, total - 0.25, normalised, "relu", max(total - 0.25, 0.0),
                            "hidden_1")


def test_neuron_pictures_draw_pixels_weights_and_products_on_28_by_28():
    arithmetic = made_up((784,))
    fig = figures.neuron_pictures(arithmetic, "test image 7: Sneaker")
    pixels, weights, products = fig.data
    assert all(np.shape(trace.z) == (28, 28) for trace in fig.data)
    np.testing.assert_array_equal(np.ravel(products.z), arithmetic.products)
    assert pixels.colorscale == figures.image_heatmap(np.zeros((2, 2)), "x").data[0].colorscale
    assert PIXEL_COLORSCALE == "gray_r" and pixels.zmin == 0 and pixels.zmax == 1
    for trace in (weights, products):  # diverging, white at 0
        assert trace.zmin == -trace.zmax and trace.zmax == pytest.approx(np.abs(trace.z).max())
        assert trace.colorscale == go.Heatmap(colorscale=figures.WEIGHT_COLORSCALE).colorscale
    assert [a.text for a in fig.layout.annotations] == ["the pixels it sees", "neuron 5's weights",
                                                        "pixel × weight"]
    text = text_of(fig)
    assert text.name == "How neuron 5 of hidden_1 computes its value for test image 7: Sneaker"
    assert text.summary.startswith("Sum of the 784 products")
    assert text.summary.endswith("(as the model's hidden_1 gives).")
    assert [row["step"] for row in text.rows[:4]] == ["sum of the 784 products", "bias", "sum + bias",
                                                      "after relu: the value"]
    assert text.rows[1]["value"] == "−0.25"
    assert sum("largest product" in row["step"] for row in text.rows) == 3
    assert fig.layout.font.size >= 13 and all(a.font.size >= 13 for a in fig.layout.annotations)


def test_filter_pictures_outline_the_patch_and_write_each_value():
    arithmetic = made_up((3, 3), position=(5, 9), normalised=0.5)
    image = np.random.default_rng(4).integers(0, 256, (28, 28))
    fig = figures.filter_pictures(arithmetic, image, "test image 2")
    assert [np.shape(trace.z) for trace in fig.data] == [(28, 28), (3, 3), (3, 3), (3, 3)]
    box = fig.layout.shapes[0]
    assert (box.x0, box.x1, box.y0, box.y1) == (8.5, 11.5, 4.5, 7.5)
    assert fig.data[0].texttemplate is None and all(trace.texttemplate for trace in fig.data[1:])
    steps = [row["step"] for row in text_of(fig).rows]
    assert steps[:5] == ["sum of the 9 products", "bias", "sum + bias", "after batch normalisation",
                         "after relu: the value"]


def test_output_sums_draw_each_score_with_its_sum_and_bias():
    hidden = np.linspace(0, 1, 12)
    weights = np.random.default_rng(5).normal(size=(12, 10))
    biases = np.arange(10) / 10
    totals = hidden @ weights
    scores = totals + biases

    made = OutputArithmetic(hidden, weights, hidden[:, np.newaxis] * weights, totals, biases, scores,
                            softmax(scores))
    fig = figures.output_sums(made, CLASS_NAMES)
    np.testing.assert_allclose(fig.data[0].y, scores)
    text = text_of(fig)
    assert [row["class"] for row in text.rows] == list(CLASS_NAMES)
    best = CLASS_NAMES[int(np.argmax(scores))]
    assert f"the highest, {best}" in text.summary and text.summary.endswith(".")

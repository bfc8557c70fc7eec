"""One neuron's number, redone in NumPy from the model's own weights: inputs × weights, summed, plus
the bias, then what the layer does next (batch normalisation when the run has it, the activation);
and the output layer's 10 scores the same way, then softmax.

A learner follows one number through the network; the tests check that each equals the model's own
output to 1e-5. The model is only read (`get_layer`, `get_weights`, its layers' configs): no
TensorFlow is imported here.
"""

import math
from dataclasses import dataclass

import numpy as np

from fmnist_core.data import IMAGE_SHAPE
from fmnist_core.evaluation import softmax

_erf = np.vectorize(math.erf)
# Keras's activations (`keras.activations`), in float64: gelu is its exact form (approximate=False).
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
}


@dataclass(frozen=True)
class NeuronArithmetic:
    """How one neuron (or one filter at one position) computes its value for one image.

    `inputs`, `weights` and `products` have the same shape: (784,) for a first dense layer's neuron
    (pixels divided by 255, as the model sees them), (3, 3) for a filter's patch.
    """

    layer: str  # the layer with the weights: "hidden_1" or "conv_1"
    unit: int  # the neuron (or filter), counted from 0
    position: tuple[int, int] | None  # a filter's output row and column; None for a dense neuron
    inputs: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float  # the sum of the products
    bias: float
    pre_activation: float  # total + bias
    normalised: float | None  # after batch normalisation, when the run has it
    activation: str  # "relu", …; "linear" when none
    value: float  # the neuron's output: what `value_layer` gives for this image
    value_layer: str  # the model's layer whose output `value` is ("hidden_1", or "relu_1" after batch norm)


@dataclass(frozen=True)
class OutputArithmetic:
    """The output layer for one image: each class's score is the last hidden layer's values times
    that class's weights, summed, plus its bias; softmax makes the scores probabilities."""

    hidden: np.ndarray  # (n,) the values the output layer weighs
    weights: np.ndarray  # (n, 10)
    products: np.ndarray  # (n, 10): hidden × weights
    totals: np.ndarray  # (10,) the sum of each class's products
    biases: np.ndarray  # (10,)
    scores: np.ndarray  # (10,) totals + biases: the logits
    probabilities: np.ndarray  # (10,)


def neuron_arithmetic(model, image: np.ndarray, neuron: int) -> NeuronArithmetic:
    """Neuron `neuron` (from 0) of a dense network's first hidden layer on one uint8 image."""
    layer = model.get_layer("hidden_1")
    kernel, bias = layer.get_weights()[:2]
    if kernel.shape[0] != math.prod(IMAGE_SHAPE):
        raise ValueError("neuron_arithmetic needs a dense network: a convnet's first dense layer weighs "
                         f"{kernel.shape[0]} conv features, not {math.prod(IMAGE_SHAPE)} pixels; use "
                         "filter_arithmetic.")
    _check_unit("neuron", neuron, kernel.shape[1])
    inputs = _model_input(model, image).ravel()
    return _weighted_sum(model, "hidden_1", neuron, None, inputs, kernel[:, neuron], bias[neuron])


def filter_arithmetic(model, image: np.ndarray, row: int, column: int, unit: int = 0) -> NeuronArithmetic:
    """A convnet's first convolution filter number `unit` (from 0) at output (`row`, `column`) on one
    uint8 image: the 3×3 patch whose top-left pixel is (`row`, `column`), times the filter's 9 weights."""
    kernel, bias = model.get_layer("conv_1").get_weights()[:2]  # (3, 3, 1, filters), (filters,)
    size = kernel.shape[0]
    _check_unit("filter", unit, kernel.shape[-1])
    for name, where, length in (("row", row, IMAGE_SHAPE[0]), ("column", column, IMAGE_SHAPE[1])):
        _check_unit(name, where, length - size + 1)
    patch = _model_input(model, image)[row:row + size, column:column + size]
    return _weighted_sum(model, "conv_1", unit, (row, column), patch, kernel[:, :, 0, unit], bias[unit])


def output_arithmetic(model, hidden: np.ndarray) -> OutputArithmetic:
    """The output layer's arithmetic from `hidden`, the values it weighs for one image (the last hidden
    layer's output: `[n.value for n in …]` for a one-layer dense network, or the model's own)."""
    kernel, bias = (np.asarray(array, np.float64) for array in model.get_layer("output").get_weights()[:2])
    hidden = np.asarray(hidden, np.float64).ravel()
    if hidden.shape[0] != kernel.shape[0]:
        raise ValueError(f"hidden must hold the {kernel.shape[0]} values the output layer weighs; "
                         f"got {hidden.shape[0]}.")
    products = hidden[:, np.newaxis] * kernel
    totals = products.sum(axis=0)
    scores = totals + bias
    return OutputArithmetic(hidden, kernel, products, totals, bias, scores, softmax(scores))


def _check_unit(name: str, value: int, count: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
        raise ValueError(f"{name} must be a whole number from 0 to {count - 1}; got {value!r}.")


def _model_input(model, image: np.ndarray) -> np.ndarray:
    """The image as the first weighted layer receives it: rescaled (÷255) when the model starts with
    its `rescaling` layer, raw 0–255 otherwise; float64."""
    image = np.asarray(image, np.float64)
    if image.shape != IMAGE_SHAPE:
        raise ValueError(f"image must be one {IMAGE_SHAPE[0]}×{IMAGE_SHAPE[1]} picture; got shape "
                         f"{image.shape}.")
    if model.layers[0].name != "rescaling":
        return image
    config = model.layers[0].get_config()
    return image * float(np.float32(config["scale"])) + float(config.get("offset", 0.0))


def _weighted_sum(model, name: str, unit: int, position, inputs, weights, bias) -> NeuronArithmetic:
    """inputs × weights, summed, plus the bias, then the layers that follow `name` for this unit."""
    weights = np.asarray(weights, np.float64)
    products = inputs * weights
    total = float(products.sum())
    pre_activation = total + float(bias)
    normalised, activation, value, value_layer = _after(model, name, unit, pre_activation)
    return NeuronArithmetic(name, int(unit), position, inputs, weights, products, total, float(bias),
                            pre_activation, normalised, activation, value, value_layer)


def _after(model, name: str, unit: int, value: float) -> tuple[float | None, str, float, str]:
    """What the model does to one unit of layer `name` next, in order: the layer's own activation,
    then any batch normalisation and activation layers that follow it.
    Returns (normalised, activation, value, the last of those layers)."""
    layers = list(model.layers)
    position = [layer.name for layer in layers].index(name)
    activation = layers[position].get_config().get("activation", "linear")
    value, normalised, last = float(ACTIVATIONS[activation](np.float64(value))), None, name
    for layer in layers[position + 1:]:
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            gamma, beta, mean, variance = (float(array[unit]) for array in layer.get_weights())
            epsilon = float(layer.get_config()["epsilon"])
            value = normalised = (value - mean) / math.sqrt(variance + epsilon) * gamma + beta
        elif kind == "Activation":
            activation = layer.get_config()["activation"]
            value = float(ACTIVATIONS[activation](np.float64(value)))
        else:
            break
        last = layer.name
    return normalised, activation, value, last

"""The layers of the network for a config, as plain data: shapes, parameter counts, what each does.

Pure Python, so the Build page shows the model summary as the sliders move without importing
TensorFlow; `model.build_model` turns the same list into Keras layers, so the two cannot disagree.
"""

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASSES, IMAGE_SHAPE

if TYPE_CHECKING:
    import pandas

# One conv + pool block of 16 filters: with the lesson's "A convnet" change (batch 128, learning
# rate 0.003) it passes 0.90 test accuracy in its third epoch, ≈ 15 s on the 2-core development
# machine. Two blocks (32, 64) needed ≈ 250 s; (16, 32) ≈ 50 s at best (README, Performance).
CNN_FILTERS = (16,)
KERNEL = 3


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its Keras name and kind, the size of its output, weights, and its job."""

    name: str
    kind: str  # rescaling, reshape, conv, pool, flatten, dense, batchnorm, activation, dropout
    output_shape: tuple[int, ...]
    params: int  # as Keras counts them: batch normalisation's running statistics included
    what_it_does: str
    units: int = 0
    activation: str | None = None
    rate: float = 0.0
    running: int = 0  # of `params`, those not learned by the optimizer (running statistics)


def layer_specs(config: ExperimentConfig) -> list[LayerSpec]:
    """The layers in order, from the 28×28 image to the 10 class scores."""
    specs = []
    if config.normalize:
        specs.append(LayerSpec("rescaling", "rescaling", IMAGE_SHAPE, 0,
                               "Divides every pixel by 255, so inputs lie between 0 and 1."))
    if config.architecture == "cnn":
        specs += _conv_blocks(config)
    shape = specs[-1].output_shape if specs else IMAGE_SHAPE
    specs.append(LayerSpec("flatten", "flatten", (prod(shape),), 0,
                           "Unrolls its input into one long row of numbers; nothing to learn."))
    width = specs[-1].output_shape[0]
    for number, units in enumerate(config.hidden_layers, start=1):
        if config.batch_norm:
            specs.append(LayerSpec(
                f"hidden_{number}", "dense", (units,), (width + 1) * units,
                f"{units} neurons; each weighs all {width:,} inputs and adds a bias.", units=units))
            specs += _normalised(config, number, (units,))
        else:
            specs.append(LayerSpec(
                f"hidden_{number}", "dense", (units,), (width + 1) * units,
                f"{units} neurons; each weighs all {width:,} inputs, adds a bias and applies "
                f"{config.activation}.", units=units, activation=config.activation))
        if config.dropout > 0:
            specs.append(LayerSpec(
                f"dropout_{number}", "dropout", (units,), 0,
                f"While training, switches off {config.dropout:.0%} of these neurons at random "
                "so the network cannot rely on any single one.", rate=config.dropout))
        width = units
    specs.append(LayerSpec("output", "dense", (CLASSES,), (width + 1) * CLASSES,
                           "One score (logit) per class; the highest wins. Softmax turns the "
                           "scores into probabilities.", units=CLASSES))
    return specs


def _conv_blocks(config: ExperimentConfig) -> list[LayerSpec]:
    height, width, channels = *IMAGE_SHAPE, 1
    specs = [LayerSpec("reshape", "reshape", (height, width, channels), 0,
                       "Adds a channel axis: a convolution expects height × width × channels.")]
    for number, filters in enumerate(CNN_FILTERS, start=1):
        height, width = height - KERNEL + 1, width - KERNEL + 1
        specs.append(LayerSpec(
            f"conv_{number}", "conv", (height, width, filters),
            (KERNEL * KERNEL * channels + 1) * filters,
            f"{filters} learned {KERNEL}×{KERNEL} filters slide over the image, each lighting up "
            "where its pattern (an edge, a corner) appears.", units=filters,
            activation=None if config.batch_norm else config.activation))
        if config.batch_norm:
            specs += _normalised(config, number, (height, width, filters), "conv_")
        height, width, channels = height // 2, width // 2, filters
        specs.append(LayerSpec(
            f"pool_{number}", "pool", (height, width, channels), 0,
            "Keeps the strongest response in each 2×2 patch: half the size, same patterns."))
    return specs


def _normalised(config: ExperimentConfig, number: int, shape: tuple[int, ...],
                prefix: str = "") -> list[LayerSpec]:
    """Batch normalisation of a layer's outputs, then its activation."""
    units = shape[-1]
    return [LayerSpec(f"{prefix}batchnorm_{number}", "batchnorm", shape, 4 * units,
                      "Rescales each output to mean 0 and spread 1 over the batch, then by a "
                      "learned scale and shift: every layer gets inputs of a steady size.",
                      units=units, running=2 * units),
            LayerSpec(f"{prefix}{config.activation}_{number}", "activation", shape, 0,
                      f"Applies {config.activation} to each normalised output.",
                      activation=config.activation)]


def parameter_count(config: ExperimentConfig) -> int:
    """Every weight, as Keras counts them (batch normalisation's running statistics too)."""
    return sum(spec.params for spec in layer_specs(config))


def trainable_count(config: ExperimentConfig) -> int:
    """The weights and biases the optimizer adjusts."""
    return sum(spec.params - spec.running for spec in layer_specs(config))


def layer_table(config: ExperimentConfig) -> "pandas.DataFrame":
    """The model summary, one row a layer, readable by a learner."""
    import pandas  # here, not at the top: the home page imports this module but draws no table

    return pandas.DataFrame(
        [(s.name, s.kind, " × ".join(map(str, s.output_shape)), s.params, s.what_it_does)
         for s in layer_specs(config)],
        columns=["layer", "type", "output shape", "parameters", "what it does"],
    )

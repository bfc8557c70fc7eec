"""Keras models built from `architecture.layer_specs`, and their forward pass on uint8 images."""

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from fmnist_core.architecture import KERNEL, LayerSpec, layer_specs
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASSES, IMAGE_SHAPE
from fmnist_core.training.estimate import PREDICT_BATCH

# The lesson's loss; the training loop takes it per image (`LOSS.call`) to mask a padded batch.
LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def build_model(config: ExperimentConfig) -> keras.Model:
    """The compiled Keras model for `config`; it takes raw 0–255 pixels and returns 10 logits."""
    layers = [keras.Input(IMAGE_SHAPE, name="image")]
    # One seed per layer, derived from the config's, so two runs in parallel threads cannot
    # disturb each other's random start (Keras's global seed would be shared).
    layers += [_keras_layer(spec, config, config.seed + number)
               for number, spec in enumerate(layer_specs(config))]
    model = keras.Sequential(layers, name=config.architecture)
    model.compile(optimizer=_optimizer(config), loss=LOSS, metrics=["accuracy"])
    return model


INITIALIZERS = {"glorot_uniform": keras.initializers.GlorotUniform,
                "he_normal": keras.initializers.HeNormal,
                "zeros": lambda seed: keras.initializers.Zeros()}


def _keras_layer(spec: LayerSpec, config: ExperimentConfig, seed: int) -> keras.layers.Layer:
    weights = INITIALIZERS[config.initializer](seed=seed)
    decay = keras.regularizers.L2(config.l2) if config.l2 else None
    match spec.kind:
        case "rescaling":
            return keras.layers.Rescaling(1 / 255, name=spec.name)
        case "reshape":
            return keras.layers.Reshape(spec.output_shape, name=spec.name)
        case "conv":
            return keras.layers.Conv2D(spec.units, KERNEL, activation=spec.activation,
                                       kernel_initializer=weights, kernel_regularizer=decay,
                                       name=spec.name)
        case "pool":
            return keras.layers.MaxPooling2D(2, name=spec.name)
        case "flatten":
            return keras.layers.Flatten(name=spec.name)
        case "dense":
            return keras.layers.Dense(spec.units, activation=spec.activation,
                                      kernel_initializer=weights, kernel_regularizer=decay,
                                      name=spec.name)
        case "batchnorm":
            return keras.layers.BatchNormalization(name=spec.name)
        case "activation":
            return keras.layers.Activation(spec.activation, name=spec.name)
        case "dropout":
            return keras.layers.Dropout(spec.rate, seed=seed, name=spec.name)
    raise ValueError(f"unknown layer kind {spec.kind!r}")


def _optimizer(config: ExperimentConfig) -> keras.optimizers.Optimizer:
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
                  "rmsprop": keras.optimizers.RMSprop}
    return optimizers[config.optimizer](learning_rate=learning_rate(config))


def learning_rate(config: ExperimentConfig):
    """The learning rate, or its schedule over the run's steps (`config.lr_schedule`)."""
    rate, steps = config.learning_rate, config.epochs * config.steps_per_epoch
    match config.lr_schedule:
        case "step":  # ÷10 at half-way, ÷100 from three quarters on
            return keras.optimizers.schedules.PiecewiseConstantDecay(
                [steps // 2, steps * 3 // 4], [rate, rate / 10, rate / 100])
        case "cosine":
            return keras.optimizers.schedules.CosineDecay(rate, decay_steps=steps)
    return rate


def scores_in_batches(images: np.ndarray, score: Callable[[np.ndarray], object]) -> np.ndarray:
    """`score(batch)` for each batch of PREDICT_BATCH uint8 images: (n, CLASSES) float32 scores,
    with no float copy of all the images."""
    batches = [np.asarray(score(images[start:start + PREDICT_BATCH]), np.float32)
               for start in range(0, len(images), PREDICT_BATCH)]
    return np.concatenate(batches) if batches else np.zeros((0, CLASSES), np.float32)


def logits(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The model's scores (logits) for each uint8 image."""
    return scores_in_batches(images, lambda batch: model(tf.cast(batch, tf.float32), training=False))


def layer_outputs(model: keras.Model, image: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's output for one uint8 image, by layer name: the path from pixels to scores."""
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    outputs = probe(tf.cast(image[np.newaxis], tf.float32), training=False)
    return {layer.name: np.asarray(out)[0] for layer, out in zip(model.layers, outputs)}


def model_file_bytes(model: keras.Model) -> bytes:
    """The model as a `.keras` file, for `keras.models.load_model`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def weights_bytes(model: keras.Model) -> bytes:
    """The model's weights, compactly, for the run store (`model_with_weights` reads them back).
    The same weights are always the same bytes (NumPy fixes the zip's times), so the store keeps
    them once."""
    buffer = io.BytesIO()
    np.savez(buffer, *model.get_weights())
    return buffer.getvalue()


def model_with_weights(config: ExperimentConfig, weights: bytes) -> keras.Model:
    """The model for `config` holding the weights `weights_bytes` wrote."""
    model = build_model(config)
    with np.load(io.BytesIO(weights)) as arrays:
        model.set_weights([arrays[f"arr_{number}"] for number in range(len(arrays.files))])
    return model

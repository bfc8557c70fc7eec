"""The map of a run, before and after training: its last hidden layer's activations for the map's
test images (`projection.map_sample`), projected to 2-D.

The starting weights are not stored: `starting_model` rebuilds them. Every layer's initializer is
seeded from the run's config (`model.build_model`: the config's seed + the layer's number) and Keras
draws seeded weights with TensorFlow's stateless random ops, so the same config gives the same
weights bit for bit, in any thread or process (with the same TensorFlow and Keras, and as long as
`architecture.layer_specs` and `build_model` build the same layers in the same order); and
`loop.train` starts every run from exactly such a model (`trainer.copy_weights_from(_built(config))`),
whichever compiled trainer runs it (`tests/test_inside_map.py` checks both against a real `train`).
"""

import keras
import numpy as np
import tensorflow as tf

from fmnist_core.config import ExperimentConfig
from fmnist_core.inside.projection import ActivationMap, map_sample
from fmnist_core.training.estimate import PREDICT_BATCH
from fmnist_core.training.model import build_model


def starting_model(config: ExperimentConfig) -> keras.Model:
    """The model a run of `config` started training from: its starting weights, rebuilt."""
    return build_model(config)


def last_hidden_layer(model: keras.Model) -> str:
    """The name of the layer whose values the output layer weighs (dropout, which does nothing
    outside training, is passed over): "hidden_1" for the lesson, "relu_2" with batch norm."""
    names = [layer.name for layer in model.layers]
    position = names.index("output") - 1
    while isinstance(model.layers[position], keras.layers.Dropout):
        position -= 1
    return names[position]


def activation_map(model: keras.Model, images: np.ndarray, labels: np.ndarray,
                   indices: np.ndarray) -> ActivationMap:
    """The map of the test images at `indices` (uint8 `images`, all of them) by `model`'s last
    hidden layer, with its answers; run in fixed batches, so the same model gives the same map."""
    layer = last_hidden_layer(model)
    probe = keras.Model(model.inputs, [model.get_layer(layer).output, model.get_layer("output").output])
    hidden, scores = [], []
    for start in range(0, len(indices), PREDICT_BATCH):
        batch = images[indices[start:start + PREDICT_BATCH]]
        values, logits = probe(tf.cast(batch, tf.float32), training=False)
        hidden.append(np.asarray(values, np.float32))
        scores.append(np.asarray(logits, np.float32))
    return ActivationMap.from_activations(np.concatenate(hidden), np.concatenate(scores), indices,
                                          labels[indices], layer)


def maps_before_and_after(config: ExperimentConfig, trained: keras.Model, images: np.ndarray,
                          labels: np.ndarray) -> tuple[ActivationMap, ActivationMap]:
    """The map of the run of `config` from its starting weights and from `trained`'s, on the same
    test images (`map_sample(labels)`): the classes seen separating."""
    indices = map_sample(labels)
    return (activation_map(starting_model(config), images, labels, indices),
            activation_map(trained, images, labels, indices))

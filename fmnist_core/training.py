"""Training with the lesson's semantics (adam, batch 32 = 1,875 steps an epoch), made fast.

The tutorial's `model.fit(x / 255.0, y)` runs a Python step per batch on a float copy of the data.
Here the uint8 images stay as they are, held once; each compiled call (XLA) gets the next chunk of
shuffled batches and runs their steps, casting one batch at a time. Between chunks, plain-Python
hooks report progress and may stop the run.
"""

import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from fmnist_core.architecture import IMAGE_SHAPE
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import FashionMNIST
from fmnist_core.history import EpochRecord
from fmnist_core.model import LOSS, build_model, logits
from fmnist_core.run import TrainingRun

CHUNK_SECONDS = 0.25  # one compiled call runs about this long, so a stop is honoured well within 1 s
MAX_CHUNK_STEPS = 500


def train(
    config: ExperimentConfig,
    data: FashionMNIST,
    *,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainingRun:
    """Trains a new model for `config` on `data`.

    on_epoch(record) is called after every completed epoch; on_progress(epoch, step, steps)
    every fraction of a second within one; should_stop() is asked as often, and when it says
    yes the run ends with the epochs it completed and the model as it is.
    """
    started = time.perf_counter()
    should_stop = should_stop or (lambda: False)
    fit_indices, held_out_images, held_out_labels = split(config, data)
    model = build_model(config)
    run_steps = _compiled_steps(model, config.batch_size)
    steps, batch = config.steps_per_epoch, config.batch_size
    history, stopped = [], False
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        order = np.random.default_rng([config.seed, epoch]).permutation(fit_indices)
        step, chunk, loss_sum, correct = 0, 5, 0.0, 0
        while step < steps and not (stopped := should_stop()):
            chunk_started = time.perf_counter()
            last = min(step + chunk, steps)
            chosen = order[step * batch:last * batch]
            chunk_loss, chunk_correct = run_steps(data.train_images[chosen],
                                                  data.train_labels[chosen].astype(np.int32))
            loss_sum, correct, step = loss_sum + float(chunk_loss), correct + int(chunk_correct), last
            chunk = _next_chunk(chunk, time.perf_counter() - chunk_started)
            if on_progress:
                on_progress(epoch, step, steps)
        if stopped:
            break
        val_loss, val_accuracy = evaluate(model, held_out_images, held_out_labels)
        record = EpochRecord(epoch, loss_sum / len(fit_indices), correct / len(fit_indices),
                             val_loss, val_accuracy, time.perf_counter() - epoch_started)
        history.append(record)
        if on_epoch:
            on_epoch(record)
    test_scores = logits(model, data.test_images)
    test_loss, test_accuracy = loss_and_accuracy(test_scores, data.test_labels)
    return TrainingRun(config, history, model, test_loss, test_accuracy,
                       time.perf_counter() - started, stopped, test_logits=test_scores)


def split(config: ExperimentConfig, data: FashionMNIST):
    """The indices trained on, and the held-out images and labels measured after each epoch.

    All 60,000 images for the lesson's default; otherwise a seeded random subset, with the
    validation share (if any) taken from it.
    """
    chosen = np.arange(len(data.train_labels))
    if config.train_size < len(chosen) or config.validation_split > 0:
        chosen = np.random.default_rng(config.seed).permutation(chosen)[:config.train_size]
    if config.validation_split == 0:
        return chosen, data.test_images, data.test_labels
    held_out = np.sort(chosen[:config.validation_images])
    return chosen[config.validation_images:], data.train_images[held_out], \
        data.train_labels[held_out]


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of `model` on uint8 `images`."""
    return loss_and_accuracy(logits(model, images), labels)


def loss_and_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The lesson's loss (cross-entropy from logits) and accuracy, from the scores."""
    scores = scores.astype(np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = labels.astype(np.int64)
    loss = -log_probabilities[np.arange(len(labels)), labels].mean()
    return float(loss), float((scores.argmax(axis=1) == labels).mean())


def _compiled_steps(model: keras.Model, batch_size: int):
    """A compiled function that runs the optimizer steps over one chunk of shuffled batches."""
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=True)
    def step(x, y):
        with tf.GradientTape() as tape:
            scores = model(x, training=True)
            loss = LOSS(y, scores)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(scores, axis=1, output_type=tf.int32), y),
                                     tf.int32))
        return loss * tf.cast(tf.shape(y)[0], tf.float32), hits

    @tf.function(input_signature=[tf.TensorSpec((None, *IMAGE_SHAPE), tf.uint8),
                                  tf.TensorSpec((None,), tf.int32)])
    def run_steps(images, labels):
        loss_sum, hits_sum = tf.constant(0.0), tf.constant(0)
        for start in tf.range(0, tf.shape(labels)[0], batch_size):
            loss, hits = step(tf.cast(images[start:start + batch_size], tf.float32),
                              labels[start:start + batch_size])
            loss_sum, hits_sum = loss_sum + loss, hits_sum + hits
        return loss_sum, hits_sum

    return run_steps


def _next_chunk(chunk: int, seconds: float) -> int:
    """Steps for the next compiled call, so that each lasts about CHUNK_SECONDS."""
    target = chunk * CHUNK_SECONDS / max(seconds, 1e-3)
    return int(min(max(target, 1), MAX_CHUNK_STEPS, chunk * 4))

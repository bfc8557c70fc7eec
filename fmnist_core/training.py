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
MAX_CHUNK_STEPS = 200  # bounds the chunk buffer: 200 × 32 images = 5 MB


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
    steps, batch = config.steps_per_epoch, config.batch_size
    stepper = _Stepper(model, data, batch, max_steps=min(MAX_CHUNK_STEPS, steps))
    history, stopped = [], False
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        order = np.random.default_rng([config.seed, epoch]).permutation(fit_indices)
        step, chunk, loss_sum, correct = 0, 5, 0.0, 0
        while step < steps and not (stopped := should_stop()):
            chunk_started = time.perf_counter()
            last = min(step + chunk, steps)
            chunk_loss, chunk_correct = stepper.run(order[step * batch:last * batch])
            loss_sum, correct, step = loss_sum + chunk_loss, correct + chunk_correct, last
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


class _Stepper:
    """Runs optimizer steps in compiled calls: full batches in one XLA loop, a smaller last batch alone.

    The chunk's images are copied into a buffer of fixed shape, so XLA compiles the loop once.
    """

    def __init__(self, model: keras.Model, data: FashionMNIST, batch: int, max_steps: int):
        self.data, self.batch = data, batch
        self.images = np.zeros((max_steps * batch, *IMAGE_SHAPE), np.uint8)
        self.labels = np.zeros(max_steps * batch, np.int32)
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)

        def step(images, labels):
            with tf.GradientTape() as tape:
                scores = model(tf.cast(images, tf.float32), training=True)
                loss = LOSS(labels, scores)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
            predicted = tf.argmax(scores, axis=1, output_type=tf.int32)
            hits = tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.int32))
            return loss * tf.cast(tf.shape(labels)[0], tf.float32), hits

        @tf.function(jit_compile=True)
        def full_batches(images, labels, steps):
            loss_sum, hits_sum, start = tf.constant(0.0), tf.constant(0), tf.constant(0)
            # A while loop, not `for … in tf.range(steps)`: XLA would compile once per count.
            while start < steps * batch:
                loss, hits = step(tf.slice(images, [start, 0, 0], [batch, *IMAGE_SHAPE]),
                                  tf.slice(labels, [start], [batch]))
                loss_sum, hits_sum, start = loss_sum + loss, hits_sum + hits, start + batch
            return loss_sum, hits_sum

        self.full_batches, self.one_batch = full_batches, tf.function(step, jit_compile=True)

    def run(self, chosen: np.ndarray) -> tuple[float, int]:
        """Trains on the images at indices `chosen`, in order, a batch per step."""
        full = len(chosen) // self.batch * self.batch
        loss, hits = 0.0, 0
        if full:
            np.take(self.data.train_images, chosen[:full], axis=0, out=self.images[:full])
            self.labels[:full] = self.data.train_labels[chosen[:full]]
            chunk_loss, chunk_hits = self.full_batches(
                tf.constant(self.images), tf.constant(self.labels), tf.constant(full // self.batch))
            loss, hits = float(chunk_loss), int(chunk_hits)
        if full < len(chosen):
            rest = chosen[full:]
            rest_loss, rest_hits = self.one_batch(
                tf.constant(self.data.train_images[rest]),
                tf.constant(self.data.train_labels[rest].astype(np.int32)))
            loss, hits = loss + float(rest_loss), hits + int(rest_hits)
        return loss, hits


def _next_chunk(chunk: int, seconds: float) -> int:
    """Steps for the next compiled call, so that each lasts about CHUNK_SECONDS."""
    target = chunk * CHUNK_SECONDS / max(seconds, 1e-3)
    return int(min(max(target, 1), MAX_CHUNK_STEPS, chunk * 4))

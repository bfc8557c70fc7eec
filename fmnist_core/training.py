"""Training with the lesson's semantics (adam, batch 32 = 1,875 steps an epoch), made fast.

The tutorial's `model.fit(x / 255.0, y)` runs a Python step per batch on a float copy of the data.
Here the uint8 images stay as they are, held once; each compiled call (XLA for a dense network)
gets the next chunk of shuffled batches and runs their steps, casting one batch at a time. Between
chunks, plain-Python hooks report progress and may stop the run. The compiled loop is reused by
later runs of the same architecture (see `_Trainer`).
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

import keras
import numpy as np
import tensorflow as tf

from fmnist_core.architecture import CLASSES, IMAGE_SHAPE, layer_specs
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import FashionMNIST
from fmnist_core.history import EpochRecord
from fmnist_core.model import PREDICT_BATCH, build_model
from fmnist_core.run import RunState, TrainingRun

CHUNK_SECONDS = 0.25  # one compiled call runs about this long, so a stop is honoured well within 1 s
MAX_CHUNK_STEPS = 200
CHUNK_IMAGES = 6400  # bounds the chunk buffer: 6,400 images = 5 MB
MAX_IDLE_TRAINERS = 12  # compiled trainers kept for reuse, whatever the architectures tried


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
    model = build_model(config)
    model.optimizer.build(model.trainable_variables)
    with _trainer_for(config) as trainer:
        trainer.load(model)
        history, stopped, test_scores = _epochs(config, data, trainer, on_epoch, on_progress,
                                                should_stop)
        if stopped or test_scores is None:
            test_scores = trainer.logits(data.test_images)
        trainer.save(model)
    test_loss, test_accuracy = loss_and_accuracy(test_scores, data.test_labels)
    return TrainingRun(config, history, model, test_loss, test_accuracy,
                       time.perf_counter() - started, RunState.STOPPED if stopped else RunState.DONE,
                       test_logits=test_scores)


def _epochs(config, data, trainer, on_epoch, on_progress, should_stop):
    """The training loop proper, on `trainer`'s model.

    Returns the history, whether it was stopped, and the last epoch's test-set scores (None when
    the held-out images are a validation split).
    """
    fit_indices, held_out_images, held_out_labels = split(config, data)
    steps, batch = config.steps_per_epoch, config.batch_size
    history, stopped, test_scores = [], False, None
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        order = np.random.default_rng([config.seed, epoch]).permutation(fit_indices)
        step, chunk, loss_sum, correct = 0, 5, 0.0, 0
        while step < steps and not (stopped := should_stop()):
            chunk_started = time.perf_counter()
            last = min(step + chunk, steps)
            chunk_loss, chunk_correct = trainer.run(data, order[step * batch:last * batch])
            loss_sum, correct, step = loss_sum + chunk_loss, correct + chunk_correct, last
            chunk = min(_next_chunk(chunk, time.perf_counter() - chunk_started), trainer.max_steps)
            if on_progress:
                on_progress(epoch, step, steps)
        if stopped:
            break
        held_out_scores = trainer.logits(held_out_images)
        val_loss, val_accuracy = loss_and_accuracy(held_out_scores, held_out_labels)
        test_scores = held_out_scores if held_out_images is data.test_images else None
        record = EpochRecord(epoch, loss_sum / len(fit_indices), correct / len(fit_indices),
                             val_loss, val_accuracy, time.perf_counter() - epoch_started)
        history.append(record)
        if on_epoch:
            on_epoch(record)
    return history, stopped, test_scores


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


def loss_and_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The lesson's loss (cross-entropy from logits) and accuracy, from the scores."""
    scores = scores.astype(np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = labels.astype(np.int64)
    loss = -log_probabilities[np.arange(len(labels)), labels].mean()
    return float(loss), float((scores.argmax(axis=1) == labels).mean())


class _Trainer:
    """A model of one architecture and its compiled training loop, reused by run after run.

    Compiling the loop takes longer than a short training: a class training the lesson's
    model compiles it once per server and trainer slot, not once per student. A run loads its
    model's starting weights into a free trainer and takes the trained weights back; a chunk's
    images go into a buffer of fixed shape and a smaller last batch is padded and masked, so each
    trainer's loop is compiled for one shape only.
    """

    def __init__(self, config: ExperimentConfig):
        self.model, batch = build_model(config), config.batch_size
        self.max_steps = max(1, min(MAX_CHUNK_STEPS, CHUNK_IMAGES // batch))
        self.images = np.zeros((self.max_steps * batch, *IMAGE_SHAPE), np.uint8)
        self.labels = np.zeros(self.max_steps * batch, np.int32)
        # XLA fuses a dense network's steps into far fewer, faster kernels; but its convolutions
        # on CPU are ≈ 8× slower than TensorFlow's own (200 CNN steps: 23.7 s against 2.9 s,
        # measured here), so a convnet runs as a plain TensorFlow graph.
        xla = not any(spec.kind == "conv" for spec in layer_specs(config))
        self.loop = _training_loop(self.model, batch, xla)
        self.scores = tf.function(lambda images: self.model(tf.cast(images, tf.float32), training=False),
                                  jit_compile=xla)
        self.predict_buffer = np.zeros((PREDICT_BATCH, *IMAGE_SHAPE), np.uint8)

    def load(self, model: keras.Model) -> None:
        """Starts from `model`'s weights and its fresh optimizer."""
        _copy(model, self.model)

    def save(self, model: keras.Model) -> None:
        """Puts the weights trained so far (and the optimizer's state) into `model`."""
        _copy(self.model, model)

    def run(self, data: FashionMNIST, chosen: np.ndarray) -> tuple[float, int]:
        """Trains on the images at indices `chosen`, in order, a batch per step."""
        count = len(chosen)
        np.take(data.train_images, chosen, axis=0, out=self.images[:count])
        self.labels[:count] = data.train_labels[chosen]
        loss, hits = self.loop(tf.constant(self.images), tf.constant(self.labels), tf.constant(count))
        return float(loss), int(hits)

    def logits(self, images: np.ndarray) -> np.ndarray:
        """The model's 10 scores per uint8 image, in compiled batches of one shape (padded)."""
        batches = []
        for start in range(0, len(images), PREDICT_BATCH):
            batch = images[start:start + PREDICT_BATCH]
            self.predict_buffer[:len(batch)] = batch
            batches.append(np.asarray(self.scores(tf.constant(self.predict_buffer)))[:len(batch)])
        return np.concatenate(batches) if batches else np.zeros((0, CLASSES), np.float32)


def _copy(source: keras.Model, target: keras.Model) -> None:
    """Copies weights and optimizer state between two models of the same architecture."""
    for variables in ("trainable_variables", "non_trainable_variables"):
        for to, value in zip(getattr(target, variables), getattr(source, variables)):
            to.assign(value)
    for to, value in zip(target.optimizer.variables, source.optimizer.variables):
        to.assign(value)


def _training_loop(model: keras.Model, batch: int, xla: bool):
    model.optimizer.build(model.trainable_variables)

    def step(images, labels, count):
        valid = tf.range(batch) < count  # a smaller last batch is padded: its padding is ignored
        with tf.GradientTape() as tape:
            scores = model(tf.cast(images, tf.float32), training=True)
            losses = keras.losses.sparse_categorical_crossentropy(labels, scores, from_logits=True)
            loss_sum = tf.reduce_sum(tf.where(valid, losses, 0.0))
            loss = loss_sum / tf.cast(count, tf.float32)  # the batch mean, as Keras's fit takes it
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(gradients, model.trainable_variables)
        right = valid & tf.equal(tf.argmax(scores, axis=1, output_type=tf.int32), labels)
        return loss_sum, tf.reduce_sum(tf.cast(right, tf.int32))

    @tf.function(jit_compile=xla)
    def loop(images, labels, count):
        # Summed in float64, so an epoch's loss does not depend on how it was cut into chunks.
        loss_sum, hits_sum, start = tf.constant(0.0, tf.float64), tf.constant(0), tf.constant(0)
        # A while loop, not `for … in tf.range(…)`: XLA would compile once per count.
        while start < count:
            loss, hits = step(tf.slice(images, [start, 0, 0], [batch, *IMAGE_SHAPE]),
                              tf.slice(labels, [start], [batch]), tf.minimum(batch, count - start))
            loss_sum, hits_sum, start = loss_sum + tf.cast(loss, tf.float64), hits_sum + hits, start + batch
        return loss_sum, hits_sum

    return loop


# Idle trainers by what they are compiled for, the most recently used last.
_idle_trainers: OrderedDict[tuple, list[_Trainer]] = OrderedDict()
_idle_lock = threading.Lock()


def _key(config: ExperimentConfig) -> tuple:
    """What a trainer is compiled for: the architecture, the optimizer and the batch size."""
    return tuple(layer_specs(config)), config.optimizer, config.batch_size


@contextmanager
def _trainer_for(config: ExperimentConfig):
    """An idle trainer for `config`, or a new one."""
    key = _key(config)
    with _idle_lock:
        idle = _idle_trainers.get(key)
        trainer = idle.pop() if idle else None
    trainer = trainer or _Trainer(config)
    try:
        yield trainer
    finally:
        _keep(key, trainer)


def _keep(key: tuple, trainer: _Trainer) -> None:
    """Keeps an idle trainer for reuse; beyond MAX_IDLE_TRAINERS, the least recently used go."""
    with _idle_lock:
        _idle_trainers.setdefault(key, []).append(trainer)
        _idle_trainers.move_to_end(key)
        while sum(map(len, _idle_trainers.values())) > MAX_IDLE_TRAINERS:
            oldest_key, oldest = next(iter(_idle_trainers.items()))
            oldest.pop(0)
            if not oldest:
                del _idle_trainers[oldest_key]


def prepare(config: ExperimentConfig, data: FashionMNIST) -> None:
    """Compiles one more idle trainer for `config` ahead of time, so a run starts at once."""
    trainer = _Trainer(config)
    trainer.run(data, np.arange(config.batch_size))
    trainer.logits(data.test_images[:1])
    _keep(_key(config), trainer)


def _next_chunk(chunk: int, seconds: float) -> int:
    """Steps for the next compiled call, so that each lasts about CHUNK_SECONDS."""
    target = chunk * CHUNK_SECONDS / max(seconds, 1e-3)
    return int(min(max(target, 1), chunk * 4))

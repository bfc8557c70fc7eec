"""Training with the lesson's semantics (adam, batch 32 = 1,875 steps an epoch), made fast.

The tutorial's `model.fit(x / 255.0, y)` runs a Python step per batch on a float copy of the data.
Here the uint8 images stay as they are, held once; each compiled call (XLA for a dense network)
gets the next chunk of shuffled batches and runs their steps, casting one batch at a time. Between
chunks, plain-Python hooks report progress and may stop the run. The compiled loop is reused by
later runs of the same architecture (see `_Trainer` and `TrainerPool`).
"""

import logging
import threading
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
import tensorflow.experimental.numpy as tnp

import fmnist_core.training.augmentation as augmentation
from fmnist_core.architecture import layer_specs
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import IMAGE_SHAPE, TRAIN_IMAGES, FashionMNIST
from fmnist_core.evaluation import loss_and_accuracy
from fmnist_core.history import EpochRecord
from fmnist_core.lesson import exercise_config
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.training.estimate import (
    DEFAULT_CALIBRATION,
    PREDICT_BATCH,
    Calibration,
    chunk_steps,
    step_parts,
)
from fmnist_core.training.model import LOSS, build_model, scores_in_batches
from fmnist_core.training.trainer_pool import TrainerPool

CHUNK_SECONDS = 0.25  # one compiled call runs about this long, so a stop is honoured well within 1 s
NO_MOVES = augmentation.strengths(ExperimentConfig())
CONV_CALIBRATION_STEPS = 20  # the lesson's convnet step (batch 128) takes ≈ 10 ms here: 20 take 0.2 s

_thread_pools = threading.Lock()
_thread_pools_sized: tuple[int, int] | None = None


def train(
    config: ExperimentConfig,
    data: FashionMNIST,
    *,
    trainers: TrainerPool | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_chunk: Callable[[Callable[[], TrainingRun]], None] | None = None,
) -> TrainingRun:
    """Trains a new model for `config` on `data`, on a compiled trainer borrowed from `trainers`.

    on_epoch(record) is called after every completed epoch; on_progress(epoch, step, steps)
    every fraction of a second within one; should_stop() is asked as often, and when it says
    yes the run ends with the epochs it completed and the model as it is. on_chunk(run_so_far)
    is called as often too: run_so_far() gives that stopped run now, in a model of its own, while
    this training goes on (for a learner who leaves a training shared with others).
    """
    started = time.perf_counter()
    should_stop = should_stop or (lambda: False)
    with (trainers or TrainerPool()).borrow(trainer_key(config), lambda: _Trainer(config)) as trainer:
        trainer.copy_weights_from(_built(config))

        def run_as_it_is(model, history, stopped, test_scores=None) -> TrainingRun:
            if stopped or test_scores is None:
                test_scores = trainer.logits(data.test_images)
            trainer.copy_weights_to(model)
            test_loss, test_accuracy = loss_and_accuracy(test_scores, data.test_labels)
            return TrainingRun(config, list(history), model, test_loss, test_accuracy,
                               time.perf_counter() - started,
                               RunState.STOPPED if stopped else RunState.DONE, test_logits=test_scores)

        def between_chunks(history) -> None:
            on_chunk(lambda: run_as_it_is(build_model(config), history, stopped=True))

        history, stopped, test_scores = _epochs(config, data, trainer, on_epoch, on_progress,
                                                should_stop, between_chunks if on_chunk else None)
        # The run's model holds the trained weights, its optimizer only its step count and rate:
        # Adam's two slots per weight would treble what a learner's runs keep in memory.
        return run_as_it_is(build_model(config), history, stopped, test_scores)


def _built(config: ExperimentConfig) -> keras.Model:
    """A new model for `config`, its optimizer's variables made: a run's start for a trainer."""
    model = build_model(config)
    model.optimizer.build(model.trainable_variables)
    return model


def _epochs(config, data, trainer, on_epoch, on_progress, should_stop, on_chunk=None):
    """The training loop proper, on `trainer`'s model.

    Returns the history, whether it was stopped, and the last epoch's test-set scores (None when
    the held-out images are a validation split).
    """
    fit_indices, held_out_images, held_out_labels = split(config, data)
    steps, batch = config.steps_per_epoch, config.batch_size
    history, stopped, test_scores = [], False, None
    best = _BestEpoch(config.early_stopping)
    moves = augmentation.strengths(config)
    for epoch in range(1, config.epochs + 1):
        epoch_started = time.perf_counter()
        order = np.random.default_rng([config.seed, epoch]).permutation(fit_indices)
        draws = augmentation.draws(config.seed, epoch, len(order)) if config.augments else None
        step, chunk, loss_sum, correct = 0, min(5, trainer.max_steps), 0.0, 0
        while step < steps and not (stopped := should_stop()):
            chunk_started = time.perf_counter()
            last = min(step + chunk, steps)
            chunk_loss, chunk_correct = trainer.fit_chunk(
                data, order[step * batch:last * batch], moves,
                None if draws is None else draws[step * batch:last * batch])
            loss_sum, correct, step = loss_sum + chunk_loss, correct + chunk_correct, last
            chunk = min(_next_chunk(chunk, time.perf_counter() - chunk_started), trainer.max_steps)
            if on_progress:
                on_progress(epoch, step, steps)
            if on_chunk:
                on_chunk(history)
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
        if best.no_better_after(record, trainer):
            break
    if not stopped:
        best.restore(trainer)
    return history, stopped, test_scores


class _BestEpoch:
    """Early stopping: the epoch with the lowest validation loss so far, and its weights."""

    def __init__(self, patience: int):
        self.patience, self.epoch, self.loss, self.weights = patience, 0, float("inf"), None
        self.last = 0  # the last epoch noted

    def no_better_after(self, record: EpochRecord, trainer: "_Trainer") -> bool:
        """Notes `record`; True when `patience` epochs have passed without a better one."""
        if not self.patience:
            return False
        self.last = record.epoch
        if record.val_loss < self.loss:
            self.epoch, self.loss = record.epoch, record.val_loss
            self.weights = [np.array(variable) for variable in trainer.model.variables]
            return False
        return record.epoch - self.epoch >= self.patience

    def restore(self, trainer: "_Trainer") -> None:
        """Puts the best epoch's weights back into the trainer (if it was not the last)."""
        if self.weights is not None and self.epoch != self.last:
            for variable, value in zip(trainer.model.variables, self.weights, strict=True):
                variable.assign(value)


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
        self.max_steps = chunk_steps(batch)
        self.images = np.zeros((self.max_steps * batch, *IMAGE_SHAPE), np.uint8)
        self.labels = np.zeros(self.max_steps * batch, np.int32)
        self.draws = np.zeros((self.max_steps * batch, augmentation.DRAWS), np.float32)
        # XLA fuses a dense network's steps into far fewer, faster kernels; but its convolutions
        # on CPU are slower than TensorFlow's own (oneDNN's): the lesson's convnet at batch 128
        # took 28 ms a step against 9 ms, measured here; so a convnet runs as a plain graph.
        xla = not any(spec.kind == "conv" for spec in layer_specs(config))
        self.compiled_steps = _training_loop(self.model, batch, xla, config.augments)
        self.compiled_scores = tf.function(
            lambda images: self.model(tf.cast(images, tf.float32), training=False), jit_compile=xla)
        self.predict_buffer = np.zeros((PREDICT_BATCH, *IMAGE_SHAPE), np.uint8)

    def copy_weights_from(self, model: keras.Model) -> None:
        """Starts from `model`'s weights and its fresh optimizer."""
        _copy(model, self.model)

    def copy_weights_to(self, model: keras.Model) -> None:
        """Puts the weights trained so far into `model`, and as much of the optimizer's state as
        its optimizer holds (an unbuilt one: the step count and the learning rate)."""
        _copy(self.model, model)

    def fit_chunk(self, data: FashionMNIST, chosen: np.ndarray, moves: np.ndarray = NO_MOVES,
                  draws: np.ndarray | None = None) -> tuple[float, int]:
        """Trains on the images at indices `chosen`, in order, a batch per step; with
        augmentation, each image moved within `moves` as its row of `draws` picks."""
        count = len(chosen)
        np.take(data.train_images, chosen, axis=0, out=self.images[:count])
        self.labels[:count] = data.train_labels[chosen]
        if draws is not None:
            self.draws[:count] = draws
        loss, hits = self.compiled_steps(tf.constant(self.images), tf.constant(self.labels),
                                         tf.constant(count), tf.constant(moves),
                                         tf.constant(self.draws))
        return float(loss), int(hits)

    def logits(self, images: np.ndarray) -> np.ndarray:
        """The model's scores per uint8 image, in compiled batches of one shape (padded)."""
        def padded(batch: np.ndarray) -> np.ndarray:
            self.predict_buffer[:len(batch)] = batch
            return np.asarray(self.compiled_scores(tf.constant(self.predict_buffer)))[:len(batch)]

        return scores_in_batches(images, padded)


def _copy(source: keras.Model, target: keras.Model) -> None:
    """Copies weights and optimizer state between two models of the same architecture."""
    for variables in ("trainable_variables", "non_trainable_variables"):
        for to, value in zip(getattr(target, variables), getattr(source, variables)):
            to.assign(value)
    for to, value in zip(target.optimizer.variables, source.optimizer.variables):
        to.assign(value)


def _training_loop(model: keras.Model, batch: int, xla: bool, augments: bool):
    model.optimizer.build(model.trainable_variables)

    def step(images, labels, count):
        valid = tf.range(batch) < count  # a smaller last batch is padded: its padding is ignored
        with tf.GradientTape() as tape:
            scores = model(tf.cast(images, tf.float32), training=True)
            losses = LOSS.call(labels, scores)  # per image: the padding is masked out below
            loss_sum = tf.reduce_sum(tf.where(valid, losses, 0.0))
            loss = loss_sum / tf.cast(count, tf.float32)  # the batch mean, as Keras's fit takes it
            if model.losses:  # L2 weight decay (the loss reported is the data's alone)
                loss += tf.add_n(model.losses)
        gradients = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(gradients, model.trainable_variables)
        right = valid & tf.equal(tf.argmax(scores, axis=1, output_type=tf.int32), labels)
        return loss_sum, tf.reduce_sum(tf.cast(right, tf.int32))

    # The whole chunk is moved at once: moving each step's batch inside the step cost 2.5× as
    # much (0.24 against 0.095 ms a step, measured); with XLA even in a convnet's plain graph:
    # the ladder's top rung trained 3 epochs in 30–34 s so, 37–43 s with TensorFlow's own gathers.
    def moved(images, draws, moves):
        return augmentation.transformed(tnp, images, draws, moves)

    if not xla:
        moved = tf.function(moved, jit_compile=True)

    @tf.function(jit_compile=xla)
    def loop(images, labels, count, moves, draws):
        # Summed in float64, so an epoch's loss does not depend on how it was cut into chunks.
        loss_sum, hits_sum, start = tf.constant(0.0, tf.float64), tf.constant(0), tf.constant(0)
        if augments:
            images = moved(images, draws, moves)
        # A while loop, not `for … in tf.range(…)`: XLA would compile once per count.
        while start < count:
            loss, hits = step(tf.slice(images, [start, 0, 0], [batch, *IMAGE_SHAPE]),
                              tf.slice(labels, [start], [batch]), tf.minimum(batch, count - start))
            loss_sum, hits_sum, start = loss_sum + tf.cast(loss, tf.float64), hits_sum + hits, start + batch
        return loss_sum, hits_sum

    return loop


def trainer_key(config: ExperimentConfig) -> tuple:
    """What a trainer is compiled for: the architecture, the optimizer, the batch size, the
    weight decay and a learning-rate schedule (a constant rate is a variable the run sets)."""
    schedule = None if config.lr_schedule == "constant" else (
        config.lr_schedule, config.learning_rate, config.epochs * config.steps_per_epoch)
    return (tuple(layer_specs(config)), config.optimizer, config.batch_size, config.l2, schedule,
            config.augments)


def prepare(config: ExperimentConfig, data: FashionMNIST, trainers: TrainerPool) -> None:
    """Compiles one more idle trainer for `config` ahead of time, so a run starts at once."""
    trainer = _Trainer(config)
    trainer.fit_chunk(data, np.arange(config.batch_size))
    trainer.logits(data.test_images[:1])
    trainers.keep(trainer_key(config), trainer)


def _next_chunk(chunk: int, seconds: float) -> int:
    """Steps for the next compiled call, so that each lasts about CHUNK_SECONDS."""
    target = chunk * CHUNK_SECONDS / max(seconds, 1e-3)
    return int(min(max(target, 1), chunk * 4))


def size_thread_pools(slots: int, cpus: int) -> tuple[int, int] | None:
    """Sizes TensorFlow's thread pools, once per process, for `slots` trainings side by side on
    `cpus` CPUs: each training's ops get cpus // slots threads (at least 1) and up to `slots` ops
    run at once. Returns (intra-op, inter-op) threads; None, logged, when TensorFlow ran first."""
    global _thread_pools_sized
    if slots < 1 or cpus < 1:
        raise ValueError(f"slots and cpus must be at least 1; got {slots} and {cpus}")
    with _thread_pools:
        if _thread_pools_sized is None:
            intra, inter = max(1, cpus // slots), slots
            try:
                tf.config.threading.set_intra_op_parallelism_threads(intra)
                tf.config.threading.set_inter_op_parallelism_threads(inter)
            except RuntimeError as error:  # TensorFlow already ran: it keeps its own pools
                logging.getLogger(__name__).warning("TensorFlow's thread pools were not sized: %s",
                                                    error)
                return None
            _thread_pools_sized = intra, inter
        return _thread_pools_sized


def calibrate(data: FashionMNIST, trainers: TrainerPool | None = None) -> Calibration:
    """This server's `Calibration`, measured in about a second on real steps: the lesson's model
    (a trainer from `trainers`, compiled if none is idle) scales the dense costs, the lesson's
    convnet (compiled here, then kept in `trainers` for the class's first one) the convolutions'."""
    trainers = trainers or TrainerPool()
    lesson, convnet = ExperimentConfig(), exercise_config("A convnet")
    with trainers.borrow(trainer_key(lesson), lambda: _Trainer(lesson)) as trainer:
        measured = _seconds_per_step(trainer, data, lesson, trainer.max_steps, repeats=5)
    dense = measured / sum(step_parts(lesson, DEFAULT_CALIBRATION))
    with trainers.borrow(trainer_key(convnet), lambda: _Trainer(convnet)) as trainer:
        measured = _seconds_per_step(trainer, data, convnet, CONV_CALIBRATION_STEPS, repeats=2)
    dense_part, conv_part = step_parts(convnet, DEFAULT_CALIBRATION.scaled(dense, 1.0))
    # A busy moment can leave little of the step to the convolutions: never count them as free.
    conv = max(measured - dense_part, 0.1 * conv_part) / conv_part
    return DEFAULT_CALIBRATION.scaled(dense, conv)


def _seconds_per_step(trainer: "_Trainer", data: FashionMNIST, config: ExperimentConfig,
                      steps: int, repeats: int) -> float:
    """The fastest of `repeats` chunks of `steps` steps, after one to compile and warm up: the
    machine's speed rather than a busy moment's. The weights trained here are replaced by the
    next run's (`copy_weights_from`)."""
    images = np.random.default_rng(0).permutation(TRAIN_IMAGES)[:steps * config.batch_size]
    trainer.fit_chunk(data, images[:config.batch_size])
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        trainer.fit_chunk(data, images)
        best = min(best, time.perf_counter() - started)
    return best / steps

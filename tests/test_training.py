"""Real (short) trainings on the real data: hooks, stop, reproducibility, the lesson's semantics."""

import threading

import numpy as np
import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.evaluation import Evaluation, all_alike, first_layer_weight_images, loss_and_accuracy
from fmnist_core.run import RunState
from fmnist_core.training.loop import prepare, split, train, trainer_key
from fmnist_core.training.model import build_model, logits, model_with_weights, weights_bytes
from fmnist_core.training.trainer_pool import TrainerPool

SHORT = ExperimentConfig(train_size=3000, epochs=2)


def test_short_run_reports_every_epoch_and_progress(real_data):
    records, progress = [], []
    run = train(SHORT, real_data, on_epoch=records.append,
                on_progress=lambda *args: progress.append(args))
    assert [r.epoch for r in records] == [1, 2] and run.history == records
    assert not run.stopped and run.epochs_done == 2
    steps = SHORT.steps_per_epoch
    assert steps == 94  # 3,000 images / batch 32, rounded up: the last batch has 24
    assert progress[-1] == (2, steps, steps)
    assert [p[1] for p in progress if p[0] == 1][-1] == steps
    assert all(0 < r.loss < 3 and 0 < r.accuracy <= 1 and r.seconds > 0 for r in records)
    assert records[1].loss < records[0].loss
    # The per-epoch held-out figure is the test set, measured with the real model.
    assert run.test_accuracy == pytest.approx(records[-1].val_accuracy)
    assert run.test_accuracy == pytest.approx(
        Evaluation.from_logits(logits(run.model, real_data.test_images),
                               real_data.test_labels).accuracy)
    assert run.test_accuracy > 0.7


def test_stop_ends_the_run_with_completed_epochs_and_a_usable_model(real_data):
    progress = []
    config = ExperimentConfig(train_size=6000, epochs=5)
    run = train(config, real_data, on_progress=lambda *args: progress.append(args),
                should_stop=lambda: bool(progress) and progress[-1][0] == 2)
    assert run.stopped and run.epochs_done == 1
    # Asked between compiled chunks: nothing ran after the first chunk of epoch 2.
    assert [p[0] for p in progress].count(2) == 1 and progress[-1][1] < config.steps_per_epoch
    assert run.test_accuracy > 0.6
    scores = logits(run.model, real_data.test_images[:100])  # the model it returned works
    assert loss_and_accuracy(scores, real_data.test_labels[:100])[1] > 0.5


def test_stop_before_the_first_epoch_returns_an_empty_history(real_data):
    run = train(SHORT, real_data, should_stop=lambda: True)
    assert run.stopped and run.history == [] and 0 <= run.test_accuracy <= 1


def test_same_seed_same_history(real_data):
    first, second = train(SHORT, real_data), train(SHORT, real_data)
    assert [r.loss for r in first.history] == [r.loss for r in second.history]
    assert first.test_accuracy == second.test_accuracy
    other = train(SHORT.with_changes(seed=1), real_data)
    assert other.history[0].loss != first.history[0].loss


def test_raw_pixels_train_visibly_worse(real_data):
    config = ExperimentConfig(train_size=10_000, epochs=2)
    normalised = train(config, real_data)
    raw = train(config.with_changes(normalize=False), real_data)
    assert raw.history[-1].loss > normalised.history[-1].loss + 0.1
    assert raw.test_accuracy < normalised.test_accuracy


def test_validation_split_measures_held_out_training_images(real_data):
    config = ExperimentConfig(train_size=2000, validation_split=0.25, epochs=1, batch_size=64)
    fit, images, labels = split(config, real_data)
    assert len(fit) == 1500 and images.shape == (500, 28, 28) and len(labels) == 500
    held_out = np.setdiff1d(np.arange(60_000), fit)
    assert not np.isin(fit, held_out).any()
    run = train(config, real_data)
    assert run.config.held_out_name == "validation" and run.history[0].val_accuracy > 0.3


def test_default_split_uses_every_training_image_once(real_data):
    fit, images, _ = split(ExperimentConfig(), real_data)
    assert np.array_equal(fit, np.arange(60_000)) and images is real_data.test_images


@pytest.mark.parametrize("architecture", ["mlp", "cnn"])
def test_architectures_with_dropout_train(real_data, architecture):
    config = ExperimentConfig(architecture=architecture, hidden_layers=(32, 16), dropout=0.3,
                              optimizer="rmsprop", train_size=1000, epochs=1)
    run = train(config, real_data)
    assert run.epochs_done == 1 and run.test_accuracy > 0.3


def test_training_equals_keras_fit_including_a_smaller_last_batch(real_data):
    config = ExperimentConfig(train_size=100, epochs=1)  # 3 batches of 32, then one of 4 (padded here)
    run = train(config, real_data)
    fit_indices, _, _ = split(config, real_data)
    order = np.random.default_rng([config.seed, 1]).permutation(fit_indices)
    reference = build_model(config)  # the same seeded starting weights
    reference.fit(real_data.train_images[order].astype(np.float32), real_data.train_labels[order],
                  batch_size=32, epochs=1, shuffle=False, verbose=0)
    for ours, keras_fit in zip(run.model.trainable_variables, reference.trainable_variables):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(keras_fit), rtol=1e-4, atol=1e-6)


def test_runs_in_parallel_threads_equal_runs_one_after_another(real_data):
    configs = [SHORT, SHORT.with_changes(seed=7), SHORT.with_changes(learning_rate=0.01)]
    def measured(run):
        return [(r.loss, r.accuracy, r.val_loss, r.val_accuracy) for r in run.history]

    alone = [measured(train(config, real_data)) for config in configs]
    together = [None] * len(configs)

    def run(number):
        together[number] = measured(train(configs[number], real_data))

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(configs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == alone
    assert alone[0] != alone[1] and alone[0] != alone[2]


def test_a_compiled_trainer_is_reused_and_idle_ones_are_bounded(real_data):
    trainers = TrainerPool(limit=2)
    small = [ExperimentConfig(train_size=100, epochs=1, hidden_layers=(n,)) for n in (16, 32, 64)]
    first = train(small[0], real_data, trainers=trainers)
    again = train(small[0].with_changes(seed=5), real_data, trainers=trainers)
    assert trainers.idle() == {trainer_key(small[0]): 1}  # the second run reused the first's
    assert again.model is not first.model and again.history != first.history
    train(small[1], real_data, trainers=trainers)
    train(small[2], real_data, trainers=trainers)
    assert trainers.idle() == {trainer_key(config): 1 for config in small[1:]}
    assert list(trainers.idle()) == [trainer_key(config) for config in small[1:]]


def test_a_prepared_trainer_is_ready_in_the_pool(real_data):
    trainers = TrainerPool()
    config = ExperimentConfig(train_size=100, epochs=1, hidden_layers=(24,))
    prepare(config, real_data, trainers)
    assert trainers.idle() == {trainer_key(config): 1}
    train(config, real_data, trainers=trainers)
    assert trainers.idle() == {trainer_key(config): 1}  # the run took it and gave it back


def test_a_batch_bigger_than_a_chunk_of_small_steps_trains(real_data):
    """Batches of 2,048: a chunk holds one batch (6,400 images / 2,048), so the first chunk too."""
    config = ExperimentConfig(train_size=5000, batch_size=2048, epochs=1)
    run = train(config, real_data)
    assert run.epochs_done == 1 and config.steps_per_epoch == 3
    assert run.history[0].accuracy > 0.1


def test_one_config_and_seed_give_bitwise_equal_weights_in_two_slots_at_once(real_data):
    """Identical requests are trained once and shared: that is only honest if training is
    deterministic, whichever slot (thread, compiled trainer) runs it and whatever runs beside it."""
    trainers, runs = TrainerPool(), [None, None]

    def run(number):
        runs[number] = train(SHORT, real_data, trainers=trainers)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert trainers.idle() == {trainer_key(SHORT): 2}  # two trainers: the runs were side by side
    for ours, theirs in zip(runs[0].model.get_weights(), runs[1].model.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)
    assert np.array_equal(runs[0].test_logits, runs[1].test_logits)


def test_a_learner_leaving_a_shared_training_takes_the_run_as_it_is(real_data):
    left = []

    def between_chunks(run_so_far):
        if not left and progress[-1][0] == 2:
            left.append(run_so_far())  # the first chunk of epoch 2: one epoch done

    progress = []
    run = train(SHORT, real_data, on_progress=lambda *args: progress.append(args),
                on_chunk=between_chunks)
    [early] = left
    assert early.stopped and early.epochs_done == 1 and run.epochs_done == 2 and not run.stopped
    assert early.history == run.history[:1] and early.model is not run.model
    assert early.test_accuracy == pytest.approx(
        Evaluation.from_logits(logits(early.model, real_data.test_images),
                               real_data.test_labels).accuracy)
    assert early.test_accuracy != run.test_accuracy


def test_early_stopping_ends_at_the_right_epoch_holding_the_best_epochs_weights(real_data):
    # A high learning rate on 2,000 images: the validation loss soon stops improving.
    config = ExperimentConfig(train_size=2000, validation_split=0.25, epochs=30, learning_rate=0.01,
                              hidden_layers=(256,), early_stopping=2, seed=5)
    run = train(config, real_data)
    losses = [record.val_loss for record in run.history]
    best = run.best_epoch
    assert losses[best - 1] == min(losses)
    assert run.epochs_done == best + 2 < 30  # two epochs without a better one, then it stopped
    assert all(loss >= losses[best - 1] for loss in losses[best:])
    assert run.stopped_early and run.state is RunState.DONE
    assert run.ending == f"stopped at epoch {best + 2} of 30, best epoch {best}"
    # Training is deterministic: the same run cut at the best epoch has exactly these weights.
    cut = train(config.with_changes(epochs=best, early_stopping=0), real_data)
    for kept, at_best in zip(run.model.get_weights(), cut.model.get_weights(), strict=True):
        assert np.array_equal(kept, at_best)
    assert run.test_accuracy == cut.test_accuracy


def test_all_zero_starting_weights_keep_every_hidden_neuron_identical(real_data):
    run = train(ExperimentConfig(initializer="zeros", train_size=2000, epochs=2), real_data)
    kernel, bias = run.model.get_layer("hidden_1").get_weights()
    assert np.all(kernel == kernel[:, :1]) and np.all(bias == bias[0])  # one neuron, 128 times
    glorot = train(ExperimentConfig(train_size=2000, epochs=2), real_data)
    assert glorot.test_accuracy > run.test_accuracy + 0.2
    assert all_alike(first_layer_weight_images(run.model))  # what Inside the network checks
    assert not all_alike(first_layer_weight_images(glorot.model))


def test_weight_decay_keeps_the_weights_smaller(real_data):
    def size(run):
        return sum(float(np.sum(kernel ** 2)) for kernel in run.model.get_weights()[::2])

    plain = train(ExperimentConfig(train_size=3000, epochs=3), real_data)
    decayed = train(ExperimentConfig(train_size=3000, epochs=3, l2=0.001), real_data)
    assert size(decayed) < 0.7 * size(plain)


@pytest.mark.parametrize(("schedule", "last_rate"), [("constant", 0.001), ("step", 0.00001),
                                                     ("cosine", 0.0)])
def test_a_learning_rate_schedule_runs_its_course_over_the_run(real_data, schedule, last_rate):
    config = ExperimentConfig(train_size=1000, epochs=4, lr_schedule=schedule)
    run = train(config, real_data)
    optimizer = run.model.optimizer
    assert int(optimizer.iterations) == 4 * config.steps_per_epoch
    assert float(optimizer.learning_rate) == pytest.approx(last_rate, abs=1e-7)


def test_batch_normalisation_learns_its_running_statistics(real_data):
    config = ExperimentConfig(architecture="cnn", batch_norm=True, train_size=2000, epochs=1,
                              batch_size=128)
    run = train(config, real_data)
    layer = run.model.get_layer("batchnorm_1")
    assert not np.allclose(layer.moving_variance, 1.0) and not np.allclose(layer.moving_mean, 0.0)
    assert run.test_accuracy > 0.5


def test_augmented_training_is_repeatable_learns_and_differs_from_plain(real_data):
    config = SHORT.with_changes(flip=True, shift=2, rotation=10, zoom=0.1)
    trainers = TrainerPool()
    first, again = (train(config, real_data, trainers=trainers) for _ in range(2))
    for ours, theirs in zip(first.model.get_weights(), again.model.get_weights(), strict=True):
        assert np.array_equal(ours, theirs)  # the same seed moves the same batches the same way
    plain = train(SHORT, real_data, trainers=trainers)
    assert first.history[0].loss != plain.history[0].loss  # the batches were moved
    assert first.test_accuracy > 0.7  # the labels still fit their moved images
    assert set(trainers.idle()) == {trainer_key(config), trainer_key(SHORT)}


def test_the_same_weights_are_always_the_same_bytes_and_read_back(monkeypatch):
    import time

    config = ExperimentConfig(hidden_layers=(16,), seed=3)
    first = weights_bytes(build_model(config))
    later = time.time() + 3600  # an hour on: np.savez would have written another time in its zip
    monkeypatch.setattr(time, "time", lambda: later)
    assert weights_bytes(build_model(config)) == first
    copy = model_with_weights(config, first)
    assert weights_bytes(copy) == first
    assert weights_bytes(build_model(config.with_changes(seed=4))) != first

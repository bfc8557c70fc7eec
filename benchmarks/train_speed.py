"""Training speed and memory: the tutorial's plain `model.fit` against `fmnist_core.train`.

    python -m benchmarks.train_speed [--epochs 10] [--repeats 2] [--cnn-epochs 0]
    python -m benchmarks.train_speed --ladder

Each training runs in its own child process (so memory is measured alone), tutorial, ours and
ours with every augmentation on (`AUGMENTED`) alternating, on the real data; then, with
--cnn-epochs, the lesson's convnet ("A convnet") with ours and with Keras's `model.fit` of the very
same network and batch. Prints one JSON line; seconds per epoch are medians over every epoch but
the first (which pays for compilation); `cnn_seconds_to_090` counts ours's epochs, each with its
test-set scoring, until the test accuracy first reaches 0.90 (null if it never does).

--ladder trains every rung of Learn's ladder (`fmnist_core.lesson.ladder`) one after another in one
process, as a learner's clicks would, and prints `{"ladder": {rung: {"test_accuracy": …,
"seconds": …}}}` (seconds of training, its compilation included).
"""

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


class PeakRss:
    """Samples this process's RSS every 20 ms while it is open."""

    def __enter__(self):
        self.peak, self._done = rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def tutorial(data, epochs: int) -> tuple[list[float], float]:
    """The lesson's code as written (batch 32 by default), with per-epoch timings."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.started)

    seconds = []
    model = keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(data.train_images / 255.0, data.train_labels, epochs=epochs, verbose=0,
              callbacks=[EpochTimer()])
    _, accuracy = model.evaluate(data.test_images / 255.0, data.test_labels, verbose=0)
    return seconds, accuracy


def convnet(epochs: int):
    """The lesson's convnet: its "A convnet" change, as one click on the Learn page gives it."""
    from fmnist_core.config import ExperimentConfig
    from fmnist_core.lesson import exercise_config

    return exercise_config("A convnet", ExperimentConfig(epochs=epochs))


def ours(data, config) -> tuple[list[float], float, list[float]]:
    """`fmnist_core.train`: seconds and test accuracy of each epoch, as `on_epoch` reports them."""
    from fmnist_core.training import train

    records = []
    run = train(config, data, on_epoch=records.append)
    return [r.seconds for r in records], run.test_accuracy, [r.val_accuracy for r in records]


def keras_fit(data, config) -> tuple[list[float], float]:
    """Keras's own `model.fit` of the same network (`build_model`), batch and epochs."""
    import keras

    from fmnist_core.training.model import build_model

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.started)

    seconds, model = [], build_model(config)
    model.fit(data.train_images, data.train_labels, batch_size=config.batch_size,
              epochs=config.epochs, verbose=0, callbacks=[EpochTimer()])
    _, accuracy = model.evaluate(data.test_images, data.test_labels, verbose=0)
    return seconds, accuracy


AUGMENTED = {"flip": True, "shift": 2, "rotation": 10, "zoom": 0.1}


def ladder(data) -> dict:
    """Every rung's measured test accuracy and training seconds, in the ladder's order."""
    from fmnist_core.lesson import ladder as rungs
    from fmnist_core.training import train

    climbed = {}
    for change in rungs.ORDER:
        run = train(rungs.rung_config(change, seed=42), data)
        climbed[change] = {"test_accuracy": round(run.test_accuracy, 4), "seconds": round(run.seconds, 1)}
        print(f"{change}: {climbed[change]}", file=sys.stderr, flush=True)
    return {"ladder": climbed}


def child(variant: str, epochs: int) -> None:
    """Runs one training and prints its figures as JSON."""
    # TensorFlow through fmnist_core, as in the app (which sets its options before it loads),
    # and before the baseline.
    from fmnist_core.config import ExperimentConfig
    from fmnist_core.data import load_fashion_mnist
    from fmnist_core.training import model  # noqa: F401

    data = load_fashion_mnist(download=False)
    if variant == "ladder":
        print(json.dumps(ladder(data)))
        return
    baseline, accuracies = rss_mb(), []
    with PeakRss() as peak:
        if variant == "tutorial":
            seconds, accuracy = tutorial(data, epochs)
        elif variant == "keras_cnn":
            seconds, accuracy = keras_fit(data, convnet(epochs))
        else:
            config = (convnet(epochs) if variant == "cnn" else
                      ExperimentConfig(epochs=epochs, **AUGMENTED) if variant == "augment" else
                      ExperimentConfig(epochs=epochs))
            seconds, accuracy, accuracies = ours(data, config)
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "epoch_accuracies": accuracies,
                      "baseline_rss_mb": baseline, "peak_rss_mb": peak.peak}))


def run_child(variant: str, epochs: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.train_speed", "--child", variant, "--epochs",
         str(epochs)], stdout=subprocess.PIPE, text=True, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if variant == "ladder":
        return figures
    print(f"{variant}: {[round(s, 2) for s in figures['seconds']]} s/epoch, "
          f"test accuracy {figures['accuracy']:.4f}", file=sys.stderr)
    return figures


def median_after_first(runs: list[dict]) -> float:
    return statistics.median(s for run in runs for s in run["seconds"][1:])


def seconds_to(accuracy: float, run: dict) -> float | None:
    """Training seconds, summed over epochs, until the test accuracy first reaches `accuracy`."""
    elapsed = 0.0
    for seconds, reached in zip(run["seconds"], run["epoch_accuracies"]):
        elapsed += seconds
        if reached >= accuracy:
            return elapsed
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cnn-epochs", type=int, default=0,
                        help="also time the CNN for this many epochs (0: skip)")
    parser.add_argument("--ladder", action="store_true", help="train every rung of the ladder")
    parser.add_argument("--child", choices=["tutorial", "ours", "augment", "cnn", "keras_cnn", "ladder"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.epochs)
        return
    if args.ladder:
        print(json.dumps(run_child("ladder", args.epochs)))
        return
    runs = {"tutorial": [], "ours": [], "augment": []}
    for _ in range(args.repeats):
        for variant in runs:
            runs[variant].append(run_child(variant, args.epochs))
    tutorial_s, ours_s = median_after_first(runs["tutorial"]), median_after_first(runs["ours"])
    report = {
        "epochs": args.epochs,
        "repeats": args.repeats,
        "tutorial_s_per_epoch": round(tutorial_s, 3),
        "ours_s_per_epoch": round(ours_s, 3),
        "speedup": round(tutorial_s / ours_s, 2),
        "augment_s_per_epoch": round(median_after_first(runs["augment"]), 3),
        "augment_ratio": round(median_after_first(runs["augment"]) / ours_s, 2),
        "augment_test_accuracy": round(statistics.median(r["accuracy"] for r in runs["augment"]), 4),
        "tutorial_test_accuracy": round(statistics.median(r["accuracy"] for r in runs["tutorial"]), 4),
        "ours_test_accuracy": round(statistics.median(r["accuracy"] for r in runs["ours"]), 4),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["ours"]), 1),
        "ours_extra_rss_mb": round(max(r["peak_rss_mb"] - r["baseline_rss_mb"]
                                       for r in runs["ours"]), 1),
        "tutorial_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["tutorial"]), 1),
        "tutorial_extra_rss_mb": round(max(r["peak_rss_mb"] - r["baseline_rss_mb"]
                                           for r in runs["tutorial"]), 1),
    }
    if args.cnn_epochs:
        cnn, keras_cnn = run_child("cnn", args.cnn_epochs), run_child("keras_cnn", args.cnn_epochs)
        to_090 = seconds_to(0.90, cnn)
        report.update({
            "cnn_batch_size": convnet(args.cnn_epochs).batch_size,
            "cnn_s_per_epoch": round(median_after_first([cnn]), 3),
            "cnn_seconds_to_090": to_090 and round(to_090, 1),
            "cnn_test_accuracy": round(cnn["accuracy"], 4),
            "keras_cnn_s_per_epoch": round(median_after_first([keras_cnn]), 3),
            "keras_cnn_test_accuracy": round(keras_cnn["accuracy"], 4),
        })
    print(json.dumps(report))


if __name__ == "__main__":
    main()

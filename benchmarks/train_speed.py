"""Training speed and memory: the tutorial's plain `model.fit` against `fmnist_core.train`.

    python -m benchmarks.train_speed [--epochs 10] [--repeats 2] [--cnn-epochs 0]

Each training runs in its own child process (so memory is measured alone), tutorial and ours
alternating, on the real data. Prints one JSON line; seconds per epoch are medians over every
epoch but the first (which pays for compilation).
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


def ours(data, epochs: int, architecture: str = "mlp") -> tuple[list[float], float]:
    from fmnist_core.config import ExperimentConfig
    from fmnist_core.training import train

    run = train(ExperimentConfig(epochs=epochs, architecture=architecture), data)
    return [record.seconds for record in run.history], run.test_accuracy


def child(variant: str, epochs: int) -> None:
    """Runs one training and prints its figures as JSON."""
    import tensorflow  # noqa: F401  (imported before the baseline, as in the app)

    from fmnist_core.data import load_fashion_mnist

    data = load_fashion_mnist(download=False)
    baseline = rss_mb()
    with PeakRss() as peak:
        if variant == "tutorial":
            seconds, accuracy = tutorial(data, epochs)
        else:
            seconds, accuracy = ours(data, epochs, "cnn" if variant == "cnn" else "mlp")
    print(json.dumps({"seconds": seconds, "accuracy": accuracy, "baseline_rss_mb": baseline,
                      "peak_rss_mb": peak.peak}))


def run_child(variant: str, epochs: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.train_speed", "--child", variant, "--epochs",
         str(epochs)], capture_output=True, text=True, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"{variant}: {[round(s, 2) for s in figures['seconds']]} s/epoch, "
          f"test accuracy {figures['accuracy']:.4f}", file=sys.stderr)
    return figures


def median_after_first(runs: list[dict]) -> float:
    return statistics.median(s for run in runs for s in run["seconds"][1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cnn-epochs", type=int, default=0,
                        help="also time the CNN for this many epochs (0: skip)")
    parser.add_argument("--child", choices=["tutorial", "ours", "cnn"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.epochs)
        return
    runs = {"tutorial": [], "ours": []}
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
        cnn = run_child("cnn", args.cnn_epochs)
        report["cnn_s_per_epoch"] = round(median_after_first([cnn]), 3)
        report["cnn_test_accuracy"] = round(cnn["accuracy"], 4)
    print(json.dumps(report))


if __name__ == "__main__":
    main()

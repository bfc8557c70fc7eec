"""TensorFlow's memory pool against the system's: speed of a training step, and memory given back.

    python -m benchmarks.allocator [--repeats 4]

Runs each way in a child process of its own, alternating: `pool` (TF_ONEDNN_USE_SYSTEM_ALLOCATOR=0,
oneDNN's own pool for tensors over 256 kB) and `system` (=1, what `fmnist_core` sets). Each child
trains the lesson's network 6 epochs on all 60,000 images and two hidden layers of 1,024 neurons 4
epochs on 20,000 (seconds per epoch: the median of all but the first), then trains 10 such
two-layer runs on 2,000 images, keeps them, lets them go and asks for the memory back (what a
server does when its learners leave). Prints one JSON line: the medians of each way, their ratios
(system ÷ pool) and the RSS held and after letting go.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys

WAYS = {"pool": "0", "system": "1"}


def child() -> dict:
    from fmnist_core.config import ExperimentConfig
    from fmnist_core.data import load_fashion_mnist
    from fmnist_core.host.container import give_back_freed_memory
    from fmnist_core.host.environment import process_rss
    from fmnist_core.training import train
    from fmnist_core.training.trainer_pool import TrainerPool

    data, trainers = load_fashion_mnist(download=False), TrainerPool()

    def seconds_per_epoch(config: ExperimentConfig) -> float:
        history = train(config, data, trainers=trainers).history
        return statistics.median(record.seconds for record in history[1:])

    lesson = seconds_per_epoch(ExperimentConfig(epochs=6))
    big = seconds_per_epoch(ExperimentConfig(hidden_layers=(1024, 1024), epochs=4, train_size=20_000))
    runs = [train(ExperimentConfig(hidden_layers=(1024, 1024), epochs=2, train_size=2_000, seed=seed), data,
                  trainers=trainers) for seed in range(10)]
    held = process_rss()
    runs.clear()
    gc.collect()
    give_back_freed_memory()
    return {"lesson_s_per_epoch": lesson, "big_s_per_epoch": big, "held_mb": held / 2**20,
            "let_go_mb": process_rss() / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child()))
        return
    found: dict[str, list[dict]] = {way: [] for way in WAYS}
    for _ in range(args.repeats):
        for way, value in WAYS.items():
            env = {**os.environ, "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": value, "TF_CPP_MIN_LOG_LEVEL": "2"}
            out = subprocess.run([sys.executable, "-m", "benchmarks.allocator", "--child"], env=env,
                                 capture_output=True, text=True, check=True).stdout
            found[way].append(json.loads(out.strip().splitlines()[-1]))
    report = {f"{way}_{key}": round(statistics.median(result[key] for result in results), 3)
              for way, results in found.items() for key in results[0]}
    for key in ("lesson_s_per_epoch", "big_s_per_epoch", "let_go_mb"):
        report[f"ratio_{key}"] = round(report[f"system_{key}"] / report[f"pool_{key}"], 3)
    report["repeats"] = args.repeats
    print(json.dumps(report))


if __name__ == "__main__":
    main()

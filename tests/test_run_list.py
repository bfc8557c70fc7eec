"""A learner's run list: unique names, and models kept only for the newest runs."""

import numpy as np

from fmnist_core.config import ExperimentConfig
from fmnist_core.run import TrainingRun
from fmnist_core.run_list import MODELS_KEPT, RunList


def a_run(accuracy: float = 0.8, name: str = "") -> TrainingRun:
    return TrainingRun(ExperimentConfig(), [], model=object(), test_loss=0.5,
                       test_accuracy=accuracy, seconds=1.0, name=name)


def test_runs_are_named_in_order_and_names_stay_unique():
    runs = RunList()
    names = [runs.add(a_run()).name, runs.add(a_run(), "64 neurons").name,
             runs.add(a_run(), "64 neurons").name, runs.add(a_run(), "64 neurons").name,
             runs.add(a_run()).name]
    assert names == ["Run 1", "64 neurons", "64 neurons (2)", "64 neurons (3)", "Run 5"]
    assert [run.name for run in runs] == names and len(runs) == 5 and runs[-1].name == "Run 5"


def test_only_the_newest_runs_keep_their_models():
    runs = RunList(a_run() for _ in range(MODELS_KEPT + 2))
    assert [run.model is not None for run in runs] == [False, False] + [True] * MODELS_KEPT


def test_runs_interrupted_while_training_have_no_predictions():
    runs = RunList([a_run(), a_run()])
    runs[0].test_logits = np.zeros((10, 10), np.float32)
    assert runs.with_predictions() == [runs[0]]


def test_the_best_run_has_the_highest_test_accuracy():
    runs = RunList([a_run(0.85), a_run(0.88), a_run(0.86)])
    assert runs.best() is runs[1] and RunList().best() is None


def test_a_training_under_way_reserves_its_name():
    runs = RunList([a_run()])
    assert runs.new_name("", coming=("Run 2",)) == "Run 3"
    assert runs.new_name("Run 1") == "Run 1 (2)"
    assert runs.new_name("64 neurons", coming=("64 neurons",)) == "64 neurons (2)"

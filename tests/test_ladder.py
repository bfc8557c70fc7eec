"""Section 6's ladder: what a rung trains, and the gains found among a learner's runs."""

from dataclasses import dataclass

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson import BASELINE, CHANGES, QUICK, ladder


@dataclass
class Run:  # what the ladder reads of a TrainingRun
    name: str
    config: ExperimentConfig
    test_accuracy: float
    seconds: float = 1.0


def test_every_rung_is_a_valid_change_and_the_list_covers_the_lessons_answers():
    for change in ladder.ORDER:
        assert change in CHANGES
        ladder.rung_config(change, seed=1)  # valid settings
    changed = {name for rung in ladder.RUNGS for name in CHANGES[rung.change]}
    for answer in ("epochs", "hidden_layers", "dropout", "flip", "lr_schedule", "optimizer",
                   "early_stopping", "initializer", "l2", "batch_norm", "architecture"):
        assert answer in changed, answer


def test_a_rung_trains_beside_the_baseline_with_one_seed_unless_it_is_there():
    wanted = ladder.to_train("Dropout", 7, [])
    assert wanted == {"Ladder: Baseline: the lesson": QUICK.with_changes(seed=7),
                      "Ladder: Dropout": QUICK.with_changes(seed=7, dropout=0.2)}
    baseline = Run("anything", QUICK.with_changes(seed=7), 0.84)
    assert list(ladder.to_train("Dropout", 7, [baseline])) == ["Ladder: Dropout"]
    assert len(ladder.to_train("Dropout", 8, [baseline])) == 2  # another seed: another baseline
    top = ladder.to_train(ladder.TOP, 7, [])
    [config] = top.values()
    assert config.train_size == 60_000 and config.architecture == "cnn" and config.augments


def test_gains_are_over_the_baseline_of_the_same_seed_and_small_ones_are_no_change():
    runs = [Run("Ladder: Dropout", QUICK.with_changes(seed=1, dropout=0.2), 0.851),
            Run("mine", QUICK.with_changes(seed=1), 0.845),
            Run("Ladder: A convnet", ladder.rung_config("A convnet", 1), 0.872),
            Run("Ladder: RMSprop", ladder.rung_config("RMSprop", 1), 0.835),
            Run("Ladder: 256 neurons", ladder.rung_config("256 neurons", 2), 0.86),
            Run("Run 9", ExperimentConfig(), 0.88)]  # not a rung
    found = ladder.standings(runs)
    assert [standing.rung for standing in found] == [BASELINE, "256 neurons", "Dropout", "RMSprop",
                                                     "A convnet"]  # in the ladder's order
    by_rung = {standing.rung: standing for standing in found}
    assert by_rung["Dropout"].gain_points == pytest.approx(0.6)
    assert by_rung["Dropout"].verdict == "helps"
    assert by_rung["A convnet"].row()["gain (points)"] == "+2.7"
    assert by_rung["RMSprop"].verdict == "hurts here"
    assert by_rung["256 neurons"].gain_points is None  # no baseline with seed 2
    assert by_rung[BASELINE].row()["verdict"] == ""
    close = ladder.standings([runs[1], Run("x", QUICK.with_changes(seed=1, l2=0.0001), 0.847)])
    assert close[1].verdict == "no clear change"


def test_the_latest_run_of_a_rung_counts():
    older = Run("Ladder: Dropout", QUICK.with_changes(seed=1, dropout=0.2), 0.80)
    newer = Run("Ladder: Dropout (2)", QUICK.with_changes(seed=1, dropout=0.2), 0.85)
    [standing] = ladder.standings([older, newer])
    assert standing.run is newer

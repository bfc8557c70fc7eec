"""The runs a server finished lately: kept by count and by age, for identical requests."""

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.run import TrainingRun
from fmnist_core.training.recent_runs import RecentRuns


def run_of(config: ExperimentConfig) -> TrainingRun:
    return TrainingRun(config, [], None, 0.4, 0.88, 1.0)


def test_a_finished_run_answers_for_its_settings_until_it_is_too_old():
    now = [0.0]
    recent = RecentRuns(most=8, seconds=120, clock=lambda: now[0])
    config = ExperimentConfig(seed=1)
    recent.add(config, run := run_of(config))
    assert recent.get(config) is run and recent.get(ExperimentConfig(seed=2)) is None
    now[0] = 119.9
    assert recent.get(config) is run
    now[0] = 120.0
    assert recent.get(config) is None and len(recent) == 0


def test_only_the_newest_are_kept():
    recent = RecentRuns(most=2, seconds=120, clock=lambda: 0.0)
    configs = [ExperimentConfig(seed=seed) for seed in range(3)]
    for config in configs:
        recent.add(config, run_of(config))
    assert [recent.get(config) is not None for config in configs] == [False, True, True]


def test_forgetting_the_old_ones_needs_no_request():
    now = [0.0]
    recent = RecentRuns(clock=lambda: now[0])
    recent.add(ExperimentConfig(), run_of(ExperimentConfig()))
    now[0] = 1000.0
    assert recent.forget_old() == 1 and len(recent) == 0


@pytest.mark.parametrize("most, seconds", [(-1, 120), (8, 0)])
def test_the_bounds_are_checked(most, seconds):
    with pytest.raises(ValueError):
        RecentRuns(most=most, seconds=seconds)

"""The queue's pace: estimates scaled by the trainings finished here, and when a waiting one starts."""

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.training.estimate import Calibration, estimated_seconds
from fmnist_core.training.pace import PACE_WEIGHT, Pace

LESSON, SMALL = ExperimentConfig(epochs=2), ExperimentConfig(train_size=1000, epochs=1)


def test_the_pace_follows_finished_trainings_a_little_at_a_time():
    pace = Pace()
    assert pace.factor == 1.0 and pace.seconds_for(LESSON) == estimated_seconds(LESSON)
    pace.measured(LESSON, 3 * estimated_seconds(LESSON))
    assert pace.factor == pytest.approx(1 + PACE_WEIGHT * (3 - 1))
    assert pace.seconds_for(LESSON) == pytest.approx(pace.factor * estimated_seconds(LESSON))
    for _ in range(50):
        pace.measured(LESSON, 1000 * estimated_seconds(LESSON))  # one odd run counts as 10× at most
    assert pace.factor == pytest.approx(10.0)


def test_the_estimates_use_the_servers_calibration():
    slow = Calibration().scaled(dense=2.0, conv=2.0)
    assert Pace(slow).seconds_for(LESSON) == pytest.approx(estimated_seconds(LESSON, slow))


def test_a_running_trainings_time_left_from_its_estimate_then_its_progress():
    now = [100.0]
    pace = Pace(clock=lambda: now[0])
    estimate = estimated_seconds(LESSON)
    assert pace.seconds_left(LESSON, None, (0, 0, 0)) == pytest.approx(estimate)
    now[0] += estimate / 4  # under 5 % done: the estimate less the time run
    assert pace.seconds_left(LESSON, 100.0, (1, 1, 1875)) == pytest.approx(estimate * 3 / 4)
    now[0] = 110.0  # 10 s for a quarter of the work: 30 s left
    assert pace.seconds_left(LESSON, 100.0, (1, 937.5, 1875)) == pytest.approx(30)
    assert pace.seconds_left(LESSON, 100.0, (1, 1, 1875)) == 0.0  # slower than foretold


def test_a_waiting_training_starts_when_a_slot_is_free_for_it():
    pace = Pace(clock=lambda: 0.0)
    long, short = estimated_seconds(LESSON), estimated_seconds(SMALL)
    running = [(LESSON, 0.0, (0, 0, 0)), (SMALL, 0.0, (0, 0, 0))]
    assert pace.expected_start([], running, slots=3) == 0.0  # a free slot
    assert pace.expected_start([], running, slots=2) == pytest.approx(short)
    # Behind the long one: it takes the slot the short one frees; the next, the long one's.
    assert pace.expected_start([LESSON], running, slots=2) == pytest.approx(long)
    assert pace.expected_start([LESSON, SMALL], running, slots=2) == pytest.approx(short + long)

"""What a queue's workers do before their first training, and what a page says meanwhile."""

from fmnist_core.training.estimate import DEFAULT_CALIBRATION, Calibration
from fmnist_core.training.pace import Pace
from fmnist_core.training.trainer_pool import TrainerPool
from fmnist_core.training.warm_up import COMPILING, LOADING, MEASURING, WarmUp

MEASURED = Calibration(seconds_per_flop=1e-9)


def test_each_worker_loads_and_compiles_and_the_first_ready_measures_once():
    seen, trainers, pace = [], TrainerPool(), Pace()
    warm_up = WarmUp(2, trainers, pace, load=lambda: seen.append(("load", warm_up.step)),
                     prepare=lambda pool: seen.append(("compile", warm_up.step, pool)),
                     calibrate=lambda pool: seen.append(("measure", warm_up.step, pool)) or MEASURED)
    assert warm_up.step == LOADING
    warm_up.run(0)
    assert seen == [("load", LOADING), ("compile", COMPILING, trainers),
                    ("measure", MEASURING, trainers)]
    assert pace.calibration is MEASURED and warm_up.step is None  # worker 0 takes trainings
    warm_up.run(1)
    assert [event[0] for event in seen[3:]] == ["load", "compile"]  # measured once


def test_the_step_shown_is_the_furthest_along_until_one_worker_is_ready():
    pace = Pace()
    warm_up = WarmUp(2, TrainerPool(), pace, prepare=lambda pool: None,
                     calibrate=lambda pool: steps.append(warm_up.step) or MEASURED)
    steps = []
    assert warm_up.step == COMPILING
    warm_up.run(0)
    assert steps == [MEASURING]  # worker 1 still compiles; worker 0 is further along


def test_a_failed_step_costs_only_time():
    def fail(pool):
        raise OSError("no disk")

    pace = Pace()
    warm_up = WarmUp(1, TrainerPool(), pace, prepare=fail, calibrate=fail)
    warm_up.run(0)
    assert warm_up.step is None and pace.calibration is DEFAULT_CALIBRATION


def test_nothing_to_do_is_ready_at_once():
    assert WarmUp(3, TrainerPool(), Pace()).step is None

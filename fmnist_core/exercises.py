"""The lesson's exercises, as changes to its settings: each is compared with the baseline."""

from fmnist_core.config import ExperimentConfig

BASELINE = "Baseline: the lesson"
EXERCISES = {
    BASELINE: {},
    "64 neurons": {"hidden_layers": (64,)},
    "256 neurons": {"hidden_layers": (256,)},
    "50 epochs": {"epochs": 50},
    "A second hidden layer": {"hidden_layers": (128, 128)},
}


def exercise_config(name: str, base: ExperimentConfig | None = None) -> ExperimentConfig:
    """The lesson's settings (or `base`'s data settings) with the exercise's change."""
    if name not in EXERCISES:
        raise ValueError(f"exercise must be one of {', '.join(EXERCISES)}; got {name!r}.")
    return (base or ExperimentConfig()).with_changes(**EXERCISES[name])

"""The class experiments: one setting, its values, and each student's part of it.

A plan is the lesson's exercise asked of the whole class at once: each student trains one value
(assigned round-robin by the store, so the values stay balanced) with a seed of their own, and the
board draws test accuracy against the values.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from fmnist_core.config import SETTINGS_BY_NAME, ExperimentConfig
from fmnist_core.store.class_rules import plan_texts, with_plan_value


@dataclass(frozen=True)
class Plan:
    name: str
    setting: str  # a row of config.SETTINGS
    values: tuple[str, ...]  # as the setting is written in a link (ExperimentConfig.to_query())
    question: str

    def __post_init__(self):
        kept = plan_texts(self.setting, self.values)  # the store's rule for a plan
        if kept != self.values:
            raise ValueError(f"The plan {self.name!r} must write its values as the store keeps them: "
                             f"{', '.join(kept)}.")

    def value_label(self, slot: int) -> str:
        """The part a student trains, in words: "256 neurons", "20 epochs", "raw pixels"."""
        return describe(self.setting, self.values[slot])


def describe(setting: str, text: str) -> str:
    """A setting's value (as a link writes it) in a learner's words."""
    match setting:
        case "hidden_layers":
            layers = text.split(",")
            return (f"{layers[0]} neurons" if len(layers) == 1 else
                    f"{len(layers)} hidden layers ({' × '.join(layers)})")
        case "epochs":
            return f"{text} epochs"
        case "normalize":
            return "normalised pixels (0–1)" if text == "1" else "raw pixels (0–255)"
    return f"{SETTINGS_BY_NAME[setting].label.lower()} {text}"


PLANS = {plan.name: plan for plan in (
    Plan("Neurons", "hidden_layers", ("32", "64", "128", "256", "512"),
         "What do more neurons in the hidden layer buy?"),
    Plan("Epochs", "epochs", ("5", "10", "20", "50"), "What do more epochs buy?"),
    Plan("Hidden layers", "hidden_layers", ("128", "128,128", "128,128,128"),
         "Does a second or third hidden layer help?"),
    Plan("Normalised or raw", "normalize", ("1", "0"), "Why normalise the pixels to 0–1?"),
)}


def plan_of(setting: str | None, values: tuple[str, ...]) -> Plan | None:
    """The ready-made plan with this setting and these values (a class stores only those two)."""
    return next((plan for plan in PLANS.values()
                 if (plan.setting, plan.values) == (setting, tuple(values))), None)


def part_config(base: ExperimentConfig, setting: str, value: str, seed: int) -> ExperimentConfig:
    """`base` with the student's part of the experiment: the plan's value and their own seed."""
    return with_plan_value(base, setting, value).with_changes(seed=seed)


def member_config(own: ExperimentConfig, locked: Iterable[str],
                  part: tuple[str, str, int] | None = None) -> ExperimentConfig:
    """What a class member trains: their own settings, except that each setting the class locks
    has the lesson's value (whatever their link said), and with an experiment their `part`
    (setting, value, seed) of it."""
    lesson = ExperimentConfig()
    config = own.with_changes(**{name: getattr(lesson, name) for name in locked})
    return part_config(config, *part) if part else config

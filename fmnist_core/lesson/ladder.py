"""Section 6's ladder: every answer the lesson gives to "how can accuracy be improved?", measured.

Each rung is one change (named in `lesson.CHANGES`) trained beside the baseline with the same
seed, on the quick experiments' 10,000 images; its gain is what this learner measured, so a change
that does not help on this data is seen not helping. At the top: the best network the app trains
within 3 minutes on a 2-core machine, on all 60,000 images.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson.exercises import BASELINE, QUICK, exercise_config
from fmnist_core.lesson.exercises import BEST_IN_3_MINUTES as TOP

TITLE = "Ladder"
NOISE_POINTS = 0.5  # two seeds of one quick run differ by about this much test accuracy


@dataclass(frozen=True)
class Rung:
    change: str  # its name in lesson.CHANGES
    idea: str  # why it might help, in one sentence


RUNGS = (
    Rung("15 epochs", "More passes over the images, until over-fitting starts."),
    Rung("256 neurons", "More neurons: more patterns the layer can learn."),
    Rung("A second hidden layer", "A layer that combines the first one's patterns."),
    Rung("Dropout", "Switching off 20 % of the neurons at random while training, against "
                    "over-fitting."),
    Rung("Data augmentation", "Images flipped and shifted by up to 2 pixels at random: new "
                              "versions of the same clothes in every epoch."),
    Rung("A cosine learning-rate schedule", "Big steps first, ever smaller ones at the end."),
    Rung("RMSprop", "Another optimizer instead of Adam."),
    Rung("Early stopping", "Up to 15 epochs, stopped when the validation loss stops improving, "
                           "keeping the best epoch."),
    Rung("He initialisation", "Starting weights spread for ReLU neurons."),
    Rung("L2 weight decay", "A penalty on large weights, against over-fitting."),
    Rung("Batch normalisation", "Each hidden layer's outputs normalised over the batch."),
    Rung("A convnet", "Convolutions, which look at small patches wherever they are."),
)
TOP_RUNG = Rung(TOP, "The convnet with 256 neurons, dropout, batch normalisation, flipped "
                     "images and a cosine schedule, 12 epochs on all 60,000 images.")


ORDER = (BASELINE, *(rung.change for rung in RUNGS), TOP)


def rung_config(change: str, seed: int) -> ExperimentConfig:
    """A rung's settings: the quick experiments' with its change (the top rung's are its own)."""
    return exercise_config(change, QUICK).with_changes(seed=seed)


def to_train(change: str, seed: int, runs: Sequence) -> dict[str, ExperimentConfig]:
    """What a click on a rung trains, by run name: the rung, and the baseline beside it with the
    same seed (the top rung stands alone), less what `runs` already hold."""
    wanted = (change,) if change in (TOP, BASELINE) else (BASELINE, change)
    have = {run.config for run in runs}
    return {f"{TITLE}: {name}": config for name in wanted
            if (config := rung_config(name, seed)) not in have}


@dataclass(frozen=True)
class Standing:
    """One rung as this learner measured it: its run, and its gain over the baseline in points of
    test accuracy (None for the baseline, the top rung, or without a baseline of the same seed)."""

    rung: str
    run: object  # a TrainingRun
    gain_points: float | None

    @property
    def verdict(self) -> str:
        if self.gain_points is None:
            return ""
        if abs(self.gain_points) < NOISE_POINTS:
            return "no clear change"
        return "helps" if self.gain_points > 0 else "hurts here"

    def row(self) -> dict:
        """One row of the ladder's table."""
        gain = "" if self.gain_points is None else f"{self.gain_points:+.1f}"
        return {"rung": self.rung, "test accuracy": f"{self.run.test_accuracy:.2%}",
                "gain (points)": gain, "verdict": self.verdict,
                "seconds": f"{self.run.seconds:.0f}"}


def standings(runs: Sequence) -> list[Standing]:
    """The ladder's rungs found among `runs` (by their settings, whatever their names), the latest
    of each, in the ladder's order; a gain is over the baseline run with the same seed."""
    latest = {rung: run for run in runs for rung in ORDER
              if run.config == rung_config(rung, run.config.seed)}
    baselines = {run.config.seed: run for run in runs
                 if run.config == rung_config(BASELINE, run.config.seed)}

    def gain(rung: str, run) -> float | None:
        baseline = baselines.get(run.config.seed)
        if rung in (BASELINE, TOP) or baseline is None:
            return None
        return (run.test_accuracy - baseline.test_accuracy) * 100

    return [Standing(rung, latest[rung], gain(rung, latest[rung])) for rung in ORDER if rung in latest]

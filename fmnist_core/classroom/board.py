"""The class board's figures, from every run of the class: one experiment with a point per run.

Plain Python over the store's `ClassRun`s: the points against a knob the teacher picks, the mean
and spread for each value, the best run, what the class's models confuse, a leaderboard and the
CSV for a spreadsheet. Nicknames pass through unchanged; `anonymous` puts "Student N" instead.
"""

import csv
import io
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_core.architecture import parameter_count
from fmnist_core.config import SETTINGS, ExperimentConfig
from fmnist_core.data import CLASSES
from fmnist_core.lesson.words import count
from fmnist_core.run import RunState
from fmnist_core.store import ClassRun


@dataclass(frozen=True)
class Knob:
    label: str
    value: Callable[[ExperimentConfig], object]


KNOBS = {
    "neurons": Knob("Neurons in the first hidden layer", lambda config: config.hidden_layers[0]),
    "hidden_layers": Knob("Hidden layers", lambda config: len(config.hidden_layers)),
    "epochs": Knob("Epochs", lambda config: config.epochs),
    "parameters": Knob("Parameters", parameter_count),
    "batch_size": Knob("Batch size", lambda config: config.batch_size),
    "learning_rate": Knob("Learning rate", lambda config: config.learning_rate),
    "normalize": Knob("Pixels", lambda config: "normalised" if config.normalize else "raw"),
}
# The knob that shows a plan's setting best.
PLAN_KNOBS = {"epochs": "epochs", "normalize": "normalize"}


def knob_for_plan(setting: str | None, values: Sequence[str]) -> str:
    """The x axis a plan asks for: neurons or layers for `hidden_layers`, else its setting."""
    if setting == "hidden_layers":
        return "hidden_layers" if any("," in value for value in values) else "neurons"
    return PLAN_KNOBS.get(setting, "neurons")


@dataclass(frozen=True)
class Point:
    member: int
    who: str  # the nickname, or "Student N" on an anonymous board
    x: object
    accuracy: float


@dataclass(frozen=True)
class ValueSummary:
    x: object
    runs: int
    mean: float
    spread: float  # the standard deviation of the runs' accuracies (0 for one run)
    low: float
    high: float


class ClassBoard:
    """The figures of one class's runs, as the board shows them."""

    def __init__(self, runs: Sequence[ClassRun], *, anonymous: bool = False):
        self.runs, self.anonymous = list(runs), anonymous
        self.finished = [run for run in self.runs if run.state in (RunState.DONE, RunState.STOPPED)
                         and not math.isnan(run.test_accuracy)]

    def who(self, run: ClassRun) -> str:
        return f"Student {run.member}" if self.anonymous else run.nickname

    def points(self, knob: str) -> list[Point]:
        value = KNOBS[knob].value
        return [Point(run.member, self.who(run), value(run.config), run.test_accuracy)
                for run in self.finished]

    def by_value(self, knob: str) -> list[ValueSummary]:
        """Per value of the knob: how many runs, their mean accuracy and its spread, in order."""
        groups: dict[object, list[float]] = {}
        for point in self.points(knob):
            groups.setdefault(point.x, []).append(point.accuracy)
        return [ValueSummary(x, len(values), statistics.fmean(values),
                             statistics.pstdev(values), min(values), max(values))
                for x, values in sorted(groups.items(), key=lambda item: _order(item[0]))]

    def best(self) -> ClassRun | None:
        return max(self.finished, key=lambda run: run.test_accuracy, default=None)

    def latest_of_each(self) -> list[ClassRun]:
        """Each member's newest finished run."""
        latest: dict[int, ClassRun] = {}
        for run in self.finished:  # oldest first, so the last one kept is the newest
            latest[run.member] = run
        return list(latest.values())

    def confused(self, top: int = 5) -> list[tuple[int, int, int]]:
        """(true, predicted, count): the mix-ups summed over each member's latest run."""
        counts = np.zeros((CLASSES, CLASSES), np.int64)
        for run in self.latest_of_each():
            if run.confusion is not None:
                counts += run.confusion
        np.fill_diagonal(counts, 0)
        pairs = [(int(t), int(p), int(counts[t, p])) for t, p in zip(*np.nonzero(counts))]
        return sorted(pairs, key=lambda pair: (-pair[2], pair[0], pair[1]))[:top]

    def leaderboard(self) -> list[dict]:
        """Each member's best run, best first: who, settings, accuracy, training time."""
        best: dict[int, ClassRun] = {}
        for run in self.finished:
            if run.member not in best or run.test_accuracy > best[run.member].test_accuracy:
                best[run.member] = run
        ranked = sorted(best.values(), key=lambda run: (-run.test_accuracy, run.member))
        return [{"rank": rank, "student": self.who(run), "settings": settings_text(run.config),
                 "test accuracy": run.test_accuracy, "seconds": round(run.seconds, 1)}
                for rank, run in enumerate(ranked, start=1)]

    def csv(self) -> str:
        """One row per run of the class, for a spreadsheet or a school's learning platform."""
        out = io.StringIO()
        names = [setting.name for setting in SETTINGS]
        writer = csv.writer(out)
        writer.writerow(["student", "member", "run", "state", *names, "parameters", "test_accuracy",
                         "seconds", "started", "finished"])
        for run in self.runs:
            query = run.config.to_query()
            writer.writerow([spreadsheet_text(self.who(run)), run.member, spreadsheet_text(run.name),
                             run.state.value,
                             *(query[name] for name in names), parameter_count(run.config),
                             "" if math.isnan(run.test_accuracy) else round(run.test_accuracy, 4),
                             round(run.seconds, 1), run.created_at.isoformat(),
                             run.finished_at.isoformat() if run.finished_at else ""])
        return out.getvalue()


# A spreadsheet reads a cell that begins with one of these as a formula (OWASP's CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """`text` as a spreadsheet shows it, never run as a formula: a leading ' where it could be one."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def settings_text(config: ExperimentConfig) -> str:
    """What a run changed from the lesson, in a few words; "the lesson" when nothing."""
    changed = config.differences()
    changed.pop("seed", None)
    return ", ".join(f"{name} {value}" for name, value in changed.items()) or "the lesson"


def standing(mine: float, class_accuracies: Sequence[float]) -> str:
    """Where a student's run stands: "Your run 88.1 % — class median 87.6 % (12 runs)"."""
    if not class_accuracies:
        return f"Your run {mine:.1%} — the first of the class."
    runs = len(class_accuracies)
    return (f"Your run {mine:.1%} — class median {statistics.median(class_accuracies):.1%} "
            f"({count(runs, 'run')}).")


def _order(x: object) -> tuple:
    """Numbers in numeric order, words after them in their own order."""
    return (0, float(x), "") if isinstance(x, int | float) and not isinstance(x, bool) else (1, 0.0, str(x))

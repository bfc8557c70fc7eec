"""What the write-up checker compares a write-up with: the student's runs (`Evidence`, from
`evidence_from_runs`: the models trained, the accuracies measured), or the lesson's model and its
exercises (`LESSON_EVIDENCE`), whose accuracies are not checked."""

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson.exercises import EXERCISES, exercise_config

if TYPE_CHECKING:
    from fmnist_core.run import TrainingRun


@dataclass(frozen=True)
class Model:
    """One network a student trained, as the layer rules see it."""

    hidden_layers: tuple[int, ...]
    activation: str = "relu"
    architecture: str = "mlp"
    dropout: bool = False
    batch_norm: bool = False

    @classmethod
    def of(cls, config: ExperimentConfig) -> "Model":
        return cls(config.hidden_layers, config.activation, config.architecture,
                   config.dropout > 0, config.batch_norm)

    @property
    def layer_kinds(self) -> set[str]:
        """Its layers beyond Flatten and Dense, named as in `_LAYER_KINDS`."""
        kinds = {"convolution", "pooling"} if self.architecture == "cnn" else set()
        if self.dropout:
            kinds.add("dropout")
        if self.batch_norm:
            kinds.add("batch normalisation")
        return kinds


@dataclass(frozen=True)
class Evidence:
    """What the rules compare a write-up with: the models trained and the accuracies measured.

    `accuracies` are the runs' test accuracies, None for a write-up checked without runs: then no
    accuracy is checked. `epochs` are the runs' epochs (what question 4's evidence shows);
    `epoch_accuracies` each epoch's training and held-out accuracy (a write-up may quote its
    training log). `whose` names the models in the warnings.
    """

    models: tuple[Model, ...]
    accuracies: tuple[float, ...] | None = None
    epochs: tuple[int, ...] = ()
    epoch_accuracies: tuple[float, ...] = ()
    whose: str = "your runs"

    @property
    def checks_accuracy(self) -> bool:
        return self.accuracies is not None

    def to_json(self) -> str:
        """What a hand-in keeps, so the teacher's board gives the hints the student saw."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Evidence":
        """The evidence `to_json` kept; ValueError when the text is not that."""
        try:
            kept = json.loads(text)
            models = tuple(Model(tuple(model.pop("hidden_layers")), **model) for model in kept.pop("models"))
            accuracies = kept.pop("accuracies")
            return cls(models, accuracies if accuracies is None else tuple(accuracies),
                       **{name: tuple(values) if isinstance(values, list) else values
                          for name, values in kept.items()})
        except (TypeError, KeyError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"Not a write-up's evidence: {error}") from None


def _models(configs: Iterable[ExperimentConfig]) -> tuple[Model, ...]:
    return tuple(dict.fromkeys(Model.of(config) for config in configs))


_LESSON_CONFIGS = [exercise_config(name) for name in EXERCISES]
# The lesson's model (one hidden layer of 128, relu) and its exercises (64 or 256 neurons, 50
# epochs, a second hidden layer of 128): what a write-up without runs is compared with.
LESSON_EVIDENCE = Evidence(_models(_LESSON_CONFIGS), None,
                           tuple(sorted({config.epochs for config in _LESSON_CONFIGS})),
                           whose="the lesson's model and its exercises")


def evidence_from_runs(runs: Iterable["TrainingRun"]) -> Evidence:
    """The models of `runs`, their test accuracies, the epochs each really did (a stopped run did
    fewer than its setting) and their training logs' accuracies. No runs: the lesson's evidence."""
    runs = list(runs)
    if not runs:
        return LESSON_EVIDENCE
    logged = {accuracy for run in runs for record in run.history
              for accuracy in (record.accuracy, record.val_accuracy) if math.isfinite(accuracy)}
    return Evidence(_models(run.config for run in runs),
                    tuple(sorted({run.test_accuracy for run in runs})),
                    tuple(sorted({run.epochs_done for run in runs})), tuple(sorted(logged)))

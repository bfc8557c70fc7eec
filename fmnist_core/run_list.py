"""One learner's runs, in the order they were trained: each with a name of its own, and the models
kept only for the newest few (older runs keep their history and predictions)."""

from collections.abc import Iterable, Iterator

from fmnist_core.run import TrainingRun

MODELS_KEPT = 3


class RunList:
    """A learner's runs; reads like a list (`runs[-1]`, `len(runs)`), grows by `add`."""

    def __init__(self, runs: Iterable[TrainingRun] = ()):
        self._runs: list[TrainingRun] = []
        for run in runs:
            self.add(run)

    def add(self, run: TrainingRun, name: str = "") -> TrainingRun:
        """Appends `run` under `name` (or its own, or "Run N"), made unique with " (2)", " (3)"…"""
        wanted = name or run.name or f"Run {len(self._runs) + 1}"
        taken = {other.name for other in self._runs}
        run.name = next(candidate for candidate in
                        (wanted, *(f"{wanted} ({n})" for n in range(2, len(self._runs) + 3)))
                        if candidate not in taken)
        self._runs.append(run)
        for old in self._runs[:-MODELS_KEPT]:
            old.model = None
        return run

    def latest_with_model(self) -> TrainingRun | None:
        """The newest run that still holds its model."""
        return next((run for run in reversed(self._runs) if run.model is not None), None)

    def best(self) -> TrainingRun | None:
        return max(self._runs, key=lambda run: run.test_accuracy, default=None)

    def __iter__(self) -> Iterator[TrainingRun]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def __getitem__(self, index):
        return self._runs[index]

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

    def new_name(self, wanted: str = "", coming: tuple[str, ...] = ()) -> str:
        """`wanted` (or "Run N"), made unique with " (2)", " (3)"… among the runs and the names of
        the trainings still `coming`."""
        taken = {*(run.name for run in self._runs), *coming}
        wanted = wanted or f"Run {len(self._runs) + len(coming) + 1}"
        return next(candidate for candidate in
                    (wanted, *(f"{wanted} ({n})" for n in range(2, len(taken) + 3)))
                    if candidate not in taken)

    def add(self, run: TrainingRun, name: str = "") -> TrainingRun:
        """Appends `run` under `name` (or its own), made unique; older runs give up their models."""
        run.name = self.new_name(name or run.name)
        self._runs.append(run)
        for old in self._runs[:-MODELS_KEPT]:
            old.model = None
        return run

    def with_predictions(self) -> list[TrainingRun]:
        """The runs whose test predictions are known (not those interrupted while training)."""
        return [run for run in self._runs if run.test_logits is not None]

    def best(self) -> TrainingRun | None:
        return max(self._runs, key=lambda run: run.test_accuracy, default=None)

    def __iter__(self) -> Iterator[TrainingRun]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def __getitem__(self, index):
        return self._runs[index]

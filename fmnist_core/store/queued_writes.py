"""`QueuedWrites`: the run store's writes that `StoreWriter` queues, a method each, named as the
`RunStore` method that does it and taking its arguments; each returns at once. `WRITES` names them:
what a write kept on disk (`Spool`) may call when it is replayed, and nothing else.
"""

from collections.abc import Iterable

import numpy as np

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState
from fmnist_core.store.seats import Seat
from fmnist_core.store.tables import utc_now
from fmnist_core.store.writeup_rules import check_answer_text, check_question, checked_evidence


class QueuedWrites:
    """The writes a `StoreWriter` queues; `_enqueue(what, method, *args, **kwargs)` is its own."""

    def _enqueue(self, what: str, method: str, *args, **kwargs) -> None:
        raise NotImplementedError

    def create_seat(self, seat: Seat) -> None:
        self._enqueue("create_seat", "create_seat", seat)

    def touch_seat(self, seat: Seat) -> None:
        self._enqueue("touch_seat", "touch_seat", seat)

    def queue_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        self._enqueue(f"queue_run {run_id}", "queue_run", seat, run_id, name, config, server)

    def start_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        self._enqueue(f"start_run {run_id}", "start_run", seat, run_id, name, config, server)

    def save_epoch(self, seat: Seat, run_id: str, record: EpochRecord) -> None:
        """Saves an epoch that ended now (the time it waits here is measured: `epoch_save_seconds`)."""
        self._enqueue(f"save_epoch {record.epoch} of run {run_id}", "save_epoch", seat, run_id, record,
                      utc_now())

    def finish_run(self, seat: Seat, run_id: str, *, state: RunState, test_loss: float,
                   test_accuracy: float, seconds: float, test_logits: np.ndarray | None,
                   weights: bytes | None, confusion: np.ndarray | None = None) -> None:
        self._enqueue(f"finish_run {run_id}", "finish_run", seat, run_id, state=state, test_loss=test_loss,
                      test_accuracy=test_accuracy, seconds=seconds, test_logits=test_logits, weights=weights,
                      confusion=confusion)

    def abandon_run(self, seat: Seat, run_id: str) -> None:
        self._enqueue(f"abandon_run {run_id}", "abandon_run", seat, run_id)

    def delete_runs_of_seat(self, seat: Seat) -> None:
        self._enqueue("delete_runs_of_seat", "delete_runs_of_seat", seat)

    def interrupt_running_runs(self, server: str) -> None:
        """Queued first at a server's start (after the writes its spool kept from the last stop), it
        is done before any run that server starts."""
        self._enqueue(f"interrupt_running_runs of {server!r}", "interrupt_running_runs", server)

    def delete_expired(self, days: float) -> None:
        self._enqueue(f"delete_expired after {days} days", "delete_expired", days)

    def save_answer(self, seat: Seat, question: int, text: str) -> None:
        """Checked here (ValueError at once, as `RunStore.save_answer` would), then queued."""
        question, text = check_question(question), check_answer_text(text)
        self._enqueue(f"save_answer {question}", "save_answer", seat, question, text)

    def set_evidence(self, seat: Seat, keys: Iterable[str]) -> None:
        """Checked here too (`checked_evidence`: ValueError at once), then queued."""
        self._enqueue("set_evidence", "set_evidence", seat, tuple(sorted(checked_evidence(keys))))


WRITES = frozenset(name for name in vars(QueuedWrites) if not name.startswith("_"))

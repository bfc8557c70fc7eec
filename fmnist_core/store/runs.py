"""`RunStore`: everything a learner does, kept in SQLite or PostgreSQL (SQLAlchemy Core).

Like MLflow's SqlAlchemyStore, one class with a method for each thing the lesson does. Every run
method takes the learner's `Seat` and finds rows through its token's hash only, so a seat never
reaches another's runs and a guessed token finds nothing. Here: a seat's runs (queued, started,
each epoch, finished, read back), the runs lost with a silent server, and what is deleted when. The
seat methods come from `seat_store.SeatStore`, the class methods (a teacher's class, its members and
board) from `classes.ClassStore`, the write-up methods from `writeups.WriteupStore`, and the
connection (engine, migration, transactions) from `database.Database`, which all build on. All SQL
is parameterised.
"""

import json
import math
import re
from dataclasses import asdict, replace
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASSES
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.run_list import MODELS_KEPT  # a seat's newest finished runs keep their weights
from fmnist_core.store.class_rules import confusion_bytes
from fmnist_core.store.classes import ClassStore, current_class_id
from fmnist_core.store.database import seat_is
from fmnist_core.store.errors import UnknownRun
from fmnist_core.store.seat_store import SeatStore, check_seat
from fmnist_core.store.seats import Seat
from fmnist_core.store.tables import (
    classes,
    client_events,
    epochs,
    members,
    models,
    run_models,
    runs,
    seats,
    servers,
    utc_now,
    writeups,
)
from fmnist_core.store.weights import drop_unused_weights, keep_weights
from fmnist_core.store.writeups import WriteupStore

LOGITS_DTYPE = np.dtype("<f2")  # float16: 200 kB for the 10,000 test images, plenty for the figures
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNFINISHED = (RunState.WAITING.value, RunState.RUNNING.value)
UNUSED_AFTER_DAYS = 1.0  # a seat that never trained, or a run that never trained an epoch, goes then
_WITH_WEIGHTS = runs.join(run_models).join(models)  # the runs that have weights, and the weights


class RunStore(SeatStore, ClassStore, WriteupStore):
    """Seats, their runs, classes and write-ups in the database at `url` (see `Database`): the seat
    methods come from `SeatStore`, the class methods from `ClassStore`, the write-ups' from
    `WriteupStore`."""

    # Runs

    def queue_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        """Records a training asked for, waiting in the queue for a free trainer; it counts for the
        seat's current class, if any. Queuing a run the seat already has changes nothing."""
        _check_new_run(seat, run_id, name, config, server)
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            if self._run_state(connection, seat_id, run_id) is None:
                connection.execute(insert(runs).values(
                    seat_id=seat_id, run_id=run_id, name=name, config=json.dumps(config.to_query()),
                    server=server, state=RunState.WAITING.value, created_at=utc_now(),
                    class_id=current_class_id(connection, seat_id)))

    def start_run(self, seat: Seat, run_id: str, name: str, config: ExperimentConfig,
                  server: str = "") -> None:
        """Records a run that starts training now: a queued one turns running (on `server`, for the
        seat's class now), as does one marked lost while it waited on a server that was only slow;
        another is added; a run already running or ended stays as it is."""
        _check_new_run(seat, run_id, name, config, server)
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            state = self._run_state(connection, seat_id, run_id)
            class_id = current_class_id(connection, seat_id)
            if state is None:
                connection.execute(insert(runs).values(
                    seat_id=seat_id, run_id=run_id, name=name, config=json.dumps(config.to_query()),
                    server=server, state=RunState.RUNNING.value, created_at=utc_now(), class_id=class_id))
            elif state is RunState.WAITING or self._marked_lost(connection, seat_id, run_id):
                connection.execute(update(runs).where(runs.c.seat_id == seat_id, runs.c.run_id == run_id)
                                   .values(state=RunState.RUNNING.value, server=server, class_id=class_id))

    def abandon_run(self, seat: Seat, run_id: str) -> None:
        """A waiting or running run that ended without a result (cancelled while waiting, its tab
        closed before it started, or its training failed): deleted if it has no epoch, else marked
        interrupted with the epochs it finished. A run that ended, or is not there, stays as it is.
        Only the server training a run abandons it; one marked lost by another is still its own."""
        check_seat(seat)
        _check_run_id(run_id)
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            run = connection.execute(select(runs.c.id, runs.c.state).where(
                runs.c.seat_id == seat_id, runs.c.run_id == run_id)).first()
            unfinished = run is not None and (run.state in _UNFINISHED
                                               or self._marked_lost(connection, seat_id, run_id))
            if not unfinished:
                return
            if connection.scalar(select(exists().where(epochs.c.run == run.id))):
                connection.execute(update(runs).where(runs.c.id == run.id)
                                   .values(state=RunState.INTERRUPTED.value))
            else:
                connection.execute(delete(runs).where(runs.c.id == run.id))

    def save_epoch(self, seat: Seat, run_id: str, record: EpochRecord,
                   ended_at: datetime | None = None) -> None:
        """Keeps one finished epoch, so a training cut off later keeps it; saving it again replaces it.
        A run marked lost while its server was silent is running again: the epoch proves it.

        `ended_at`: when the training finished it (default: now).
        """
        if not isinstance(record, EpochRecord):
            raise TypeError(f"record must be an EpochRecord; got {type(record).__name__}.")
        with self._transaction(write=True) as connection:
            run = self._run_of_seat(connection, seat, run_id)
            if self._marked_lost(connection, run.seat_id, run_id):  # its server was only slow
                connection.execute(update(runs).where(runs.c.id == run.id)
                                   .values(state=RunState.RUNNING.value))
            saved_at = utc_now()
            self._upsert(connection, epochs, {"run": run.id, **asdict(record),
                                              "ended_at": ended_at or saved_at, "saved_at": saved_at},
                         key=("run", "epoch"))

    def epoch_save_seconds(self) -> list[float]:
        """For every saved epoch of every seat: seconds from its end in the training to the
        database (the benchmarks' measure of how saving keeps up with a class)."""
        with self._transaction() as connection:
            return [(saved - ended).total_seconds() for ended, saved in connection.execute(
                select(epochs.c.ended_at, epochs.c.saved_at).where(epochs.c.saved_at.is_not(None)))]

    def finish_run(self, seat: Seat, run_id: str, *, state: RunState, test_loss: float,
                   test_accuracy: float, seconds: float, test_logits: np.ndarray | None,
                   weights: bytes | None, confusion: np.ndarray | None = None) -> None:
        """Records how a run ended; its weights are kept while it is among the seat's newest runs.

        `confusion`: the test set's (10, 10) counts[true, predicted], kept as int32 for the board.
        """
        if not isinstance(state, RunState) or state.value in _UNFINISHED:
            raise ValueError(f"A run finishes done, stopped or interrupted; got {state!r}.")
        if weights is not None and not isinstance(weights, bytes):
            raise TypeError(f"weights must be bytes or None; got {type(weights).__name__}.")
        logits = None if test_logits is None else _logits_bytes(test_logits)
        counts = None if confusion is None else confusion_bytes(confusion)
        with self._transaction(write=True) as connection:
            run = self._run_of_seat(connection, seat, run_id)
            connection.execute(update(runs).where(runs.c.id == run.id).values(
                state=state.value, finished_at=utc_now(), test_loss=float(test_loss),
                test_accuracy=float(test_accuracy), seconds=float(seconds), test_logits=logits,
                confusion=counts))
            if weights is not None:
                keep_weights(connection, run.id, weights)
            self._forget_old_weights(connection, run.seat_id)

    def runs_of_seat(self, seat: Seat) -> list[TrainingRun]:
        """The seat's runs, oldest first (waiting ones too), with their epochs so far; `model` is None
        (see weights_of_run)."""
        check_seat(seat)
        of_seat = runs.join(seats, runs.c.seat_id == seats.c.id)
        with self._transaction() as connection:
            rows = connection.execute(
                select(runs).select_from(of_seat).where(seat_is(seat))
                .order_by(runs.c.created_at, runs.c.id)).all()
            history: dict[int, list[EpochRecord]] = {row.id: [] for row in rows}
            for epoch in connection.execute(
                    select(epochs).select_from(epochs.join(of_seat, epochs.c.run == runs.c.id))
                    .where(seat_is(seat)).order_by(epochs.c.run, epochs.c.epoch)):
                history[epoch.run].append(EpochRecord(epoch.epoch, epoch.loss, epoch.accuracy,
                                                      epoch.val_loss, epoch.val_accuracy, epoch.seconds))
        return [_training_run(row, history[row.id]) for row in rows]

    def weights_of_run(self, seat: Seat, run_id: str) -> bytes | None:
        """The run's saved weights; None when it has none (too old, still training, or not the seat's)."""
        check_seat(seat)
        with self._transaction() as connection:
            return connection.scalar(
                select(models.c.data).select_from(_WITH_WEIGHTS.join(seats))
                .where(seat_is(seat), runs.c.run_id == run_id))

    def finished_like(self, config: ExperimentConfig) -> tuple[TrainingRun, bytes] | None:
        """The newest finished run, of any seat, trained with exactly `config` (settings and seed),
        with its weights; None if there is none. Training is deterministic, so it is the run a new
        request for `config` would train (its name and seat are not part of it)."""
        with self._transaction() as connection:
            row = connection.execute(
                select(runs, models.c.data.label("weights"))
                .select_from(_WITH_WEIGHTS)
                .where(runs.c.config == json.dumps(config.to_query()),
                       runs.c.state == RunState.DONE.value)
                .order_by(runs.c.finished_at.desc(), runs.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            history = [EpochRecord(epoch.epoch, epoch.loss, epoch.accuracy, epoch.val_loss,
                                   epoch.val_accuracy, epoch.seconds)
                       for epoch in connection.execute(
                           select(epochs).where(epochs.c.run == row.id).order_by(epochs.c.epoch))]
        return replace(_training_run(row, history), name=""), row.weights

    def run_ids_with_weights(self, seat: Seat) -> set[str]:
        """The seat's runs whose model can be loaded."""
        check_seat(seat)
        with self._transaction() as connection:
            return set(connection.scalars(
                select(runs.c.run_id).select_from(run_models.join(runs).join(seats))
                .where(seat_is(seat))))

    def runs_under_way_elsewhere(self, seat: Seat, server: str) -> int:
        """How many of the seat's runs wait or train on other servers than `server` (its link
        opened on another device the balancer sent elsewhere)."""
        check_seat(seat)
        with self._transaction() as connection:
            return connection.scalar(
                select(func.count()).select_from(runs.join(seats)).where(
                    seat_is(seat), runs.c.server != server,
                    runs.c.state.in_([RunState.WAITING.value, RunState.RUNNING.value])))

    def interrupt_running_runs(self, server: str) -> int:
        """At a server's start: the runs it still had waiting or running when it last stopped were
        lost (see `_lose_runs`). Returns how many."""
        if not isinstance(server, str):
            raise TypeError(f"server must be a str; got {server!r}.")
        with self._transaction(write=True) as connection:
            return self._lose_runs(connection, runs.c.server == server)

    def heartbeat(self, server: str, silent_after: float) -> int:
        """Notes that `server` is alive now. The servers not heard from for `silent_after` seconds
        are gone: their unfinished runs were lost with them (see `_lose_runs`), and they are
        forgotten. Returns how many runs were lost.

        On PostgreSQL "now" is the database's clock, so servers on machines whose clocks differ
        agree on who is silent; a SQLite file is on the one machine of all its servers.
        """
        if not isinstance(server, str) or not server:
            raise ValueError(f"A server's name is a non-empty str; got {server!r}.")
        if isinstance(silent_after, bool) or not isinstance(silent_after, int | float) \
                or not 0 < silent_after < math.inf:
            raise ValueError(f"silent_after must be a positive number of seconds; got {silent_after!r}.")
        with self._transaction(write=True) as connection:
            now = utc_now() if self._sqlite else connection.scalar(select(func.now()))
            self._upsert(connection, servers, {"name": server, "heard_at": now}, key=("name",))
            cutoff = now - timedelta(seconds=silent_after)
            heard = select(servers.c.name).where(servers.c.heard_at >= cutoff)
            lost = self._lose_runs(connection, runs.c.server.not_in(heard))
            connection.execute(delete(servers).where(servers.c.heard_at < cutoff))
            return lost

    @staticmethod
    def _lose_runs(connection: Connection, condition) -> int:
        """The runs waiting or running that match `condition` were lost with their server: they
        become interrupted, with their epochs. None is deleted: a server that was only slow (a long
        pause, a swap storm) comes back, and its epochs and result then attach to the same run.
        Returns how many runs were lost."""
        return connection.execute(update(runs).where(runs.c.state.in_(_UNFINISHED) & condition)
                                  .values(state=RunState.INTERRUPTED.value)).rowcount

    @staticmethod
    def _marked_lost(connection: Connection, seat_id: int, run_id: str) -> bool:
        """Whether the run was marked interrupted without ever ending (`_lose_runs`)."""
        return connection.scalar(select(exists().where(
            runs.c.seat_id == seat_id, runs.c.run_id == run_id,
            runs.c.state == RunState.INTERRUPTED.value, runs.c.finished_at.is_(None))))

    # Deleting

    def delete_runs_of_seat(self, seat: Seat) -> int:
        """Deletes all of the seat's runs with their epochs and weights; returns how many runs went."""
        check_seat(seat)
        seat_ids = select(seats.c.id).where(seat_is(seat))
        with self._transaction(write=True) as connection:
            deleted = connection.execute(delete(runs).where(runs.c.seat_id.in_(seat_ids))).rowcount
            drop_unused_weights(connection)
        return deleted

    def delete_expired(self, days: float, now: datetime | None = None) -> int:
        """Deletes runs started more than `days` ago, then seats unseen as long that have no runs
        left (with their write-ups), then classes started as long ago that have no members left.
        Sooner, after UNUSED_AFTER_DAYS: seats that were never used (no run, no class, no write-up) and
        runs that never trained an epoch and whose server was lost. Returns how many runs went.
        """
        if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days < math.inf:
            raise ValueError(f"days must be a positive number; got {days!r}.")
        if now is not None and now.tzinfo is None:
            raise ValueError(f"now must be timezone-aware; got {now!r}.")
        now = now or utc_now()
        cutoff, unused = now - timedelta(days=days), now - timedelta(days=min(days, UNUSED_AFTER_DAYS))
        has_runs = exists().where(runs.c.seat_id == seats.c.id)
        never_trained = (runs.c.state == RunState.INTERRUPTED.value) & ~exists().where(
            epochs.c.run == runs.c.id)
        with self._transaction(write=True) as connection:
            deleted = connection.execute(delete(runs).where(
                (runs.c.created_at < cutoff) | (never_trained & (runs.c.created_at < unused)))).rowcount
            drop_unused_weights(connection)
            connection.execute(delete(seats).where(seats.c.last_seen_at < cutoff, ~has_runs))
            connection.execute(delete(seats).where(seats.c.last_seen_at < unused, ~has_runs,
                                                   ~exists().where(members.c.seat_id == seats.c.id),
                                                   ~exists().where(writeups.c.seat_id == seats.c.id)))
            connection.execute(delete(classes).where(
                classes.c.created_at < cutoff, ~exists().where(members.c.class_id == classes.c.id)))
            connection.execute(delete(client_events).where(client_events.c.at < unused))
        return deleted

    # Helpers

    @staticmethod
    def _run_state(connection: Connection, seat_id: int, run_id: str) -> RunState | None:
        state = connection.scalar(select(runs.c.state).where(runs.c.seat_id == seat_id,
                                                             runs.c.run_id == run_id))
        return None if state is None else RunState(state)

    @staticmethod
    def _run_of_seat(connection: Connection, seat: Seat, run_id: str) -> Row:
        """The run's row id and seat id."""
        check_seat(seat)
        _check_run_id(run_id)
        run = connection.execute(
            select(runs.c.id, runs.c.seat_id).select_from(runs.join(seats))
            .where(seat_is(seat), runs.c.run_id == run_id)).first()
        if run is None:
            raise UnknownRun(f"This seat has no run {run_id!r}.")
        return run

    @staticmethod
    def _forget_old_weights(connection: Connection, seat_id: int) -> None:
        finished = connection.scalars(
            select(runs.c.id).where(runs.c.seat_id == seat_id, runs.c.finished_at.is_not(None))
            .order_by(runs.c.finished_at.desc(), runs.c.id.desc())).all()
        if len(finished) > MODELS_KEPT:
            connection.execute(delete(run_models).where(run_models.c.run.in_(finished[MODELS_KEPT:])))
            drop_unused_weights(connection)



def _check_new_run(seat: Seat, run_id: str, name: str, config: ExperimentConfig, server: str) -> None:
    check_seat(seat)
    _check_run_id(run_id)
    for label, value in (("name", name), ("server", server)):
        if not isinstance(value, str):
            raise TypeError(f"{label} must be a str; got {value!r}.")
    if not isinstance(config, ExperimentConfig):
        raise TypeError(f"config must be an ExperimentConfig; got {type(config).__name__}.")


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"A run id is 1 to 64 characters of A-Z, a-z, 0-9, - and _; got {run_id!r}.")


def _logits_bytes(logits: np.ndarray) -> bytes:
    array = np.asarray(logits)
    if array.ndim != 2 or array.shape[1] != CLASSES:
        raise ValueError(f"test_logits must have shape (images, {CLASSES}); got {array.shape}.")
    return np.ascontiguousarray(array, dtype=LOGITS_DTYPE).tobytes()


def _logits_array(data: bytes | None) -> np.ndarray | None:
    if data is None:
        return None
    return np.frombuffer(data, dtype=LOGITS_DTYPE).reshape(-1, CLASSES).astype(np.float32)


def _training_run(row, history: list[EpochRecord]) -> TrainingRun:
    # A setting a later version no longer accepts takes its default: the run still shows.
    config, _notes = ExperimentConfig.from_query(json.loads(row.config))
    return TrainingRun(
        config, history, model=None,
        test_loss=math.nan if row.test_loss is None else row.test_loss,
        test_accuracy=math.nan if row.test_accuracy is None else row.test_accuracy,
        seconds=sum(record.seconds for record in history) if row.seconds is None else row.seconds,
        state=RunState(row.state), name=row.name, test_logits=_logits_array(row.test_logits),
        run_id=row.run_id)

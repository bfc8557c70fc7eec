"""The run store on SQLite and on a real PostgreSQL: seats, runs, migrations, and writes that survive
a database that is locked, down or not there yet."""

import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, bindparam, create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState
from fmnist_core.store import (
    MODELS_KEPT,
    Heartbeat,
    RunStore,
    Seat,
    StoreUnavailable,
    StoreWriter,
    UnknownRun,
    UnknownSeat,
    default_database_url,
    normalise_code,
)
from fmnist_core.store.migrate import alembic_config, upgrade
from fmnist_core.store.seats import CODE_ALPHABET
from fmnist_core.store.tables import client_events, metadata, runs, seats, servers, utc_now

CONFIG = ExperimentConfig(hidden_layers=(64, 32), epochs=4, batch_size=128, dropout=0.2)
RUN = "run-1"


def record(epoch: int, loss: float = 0.5) -> EpochRecord:
    return EpochRecord(epoch, loss, 0.8 + epoch / 100, loss + 0.1, 0.79 + epoch / 100, 1.5)


def logits(images: int = 10_000) -> np.ndarray:
    return np.random.default_rng(0).normal(0, 4, (images, 10)).astype(np.float32)


def finish(store, seat: Seat, run_id: str, weights: bytes | None = b"weights", **changes) -> None:
    results = dict(state=RunState.DONE, test_loss=0.35, test_accuracy=0.875, seconds=12.5,
                   test_logits=logits(20), weights=weights)
    store.finish_run(seat, run_id, **{**results, **changes})


def described(training_runs) -> list[tuple]:
    """What the store keeps of each run, comparable with ==."""
    return [(run.run_id, run.name, run.state, run.config, run.history, run.test_loss, run.test_accuracy,
             run.seconds, None if run.test_logits is None else run.test_logits.tobytes())
            for run in training_runs]


def row_counts(store: RunStore) -> dict[str, int]:
    """The rows of every table of the learners' data (not the servers' heartbeats, nor the browsers'
    recent events)."""
    with store.engine.connect() as connection:
        return {table.name: connection.scalar(select(func.count()).select_from(table))
                for table in metadata.sorted_tables if table not in (servers, client_events)}


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


@pytest.fixture
def seat(store) -> Seat:
    return store.create_seat(Seat.new())


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Seats


def test_a_new_seat_has_a_long_token_and_a_short_code_without_look_alike_characters():
    seat = Seat.new()
    assert len(seat.token) == 22 and len(seat.code) == 8
    assert set(seat.code) <= set(CODE_ALPHABET) and not set("01OIL") & set(CODE_ALPHABET)
    assert seat.shown_code == f"{seat.code[:4]}-{seat.code[4:]}"
    assert seat.token not in repr(seat) and seat.code not in repr(seat)
    assert Seat.new().token != seat.token


@pytest.mark.parametrize("typed", ["K7P-2QX", "k7p2qx", " k7p 2qx ", "K7P_2QX", "k7p–2qx"])
def test_a_code_is_read_however_it_is_typed(typed):
    assert normalise_code(typed) == "K7P2QX"


@pytest.mark.parametrize("typed", ["K7P-2Q", "K7P-2QXX", "K0P-2QX", "KIP-2QX", "", None])
def test_a_code_of_the_wrong_length_or_letters_is_none(typed):
    assert normalise_code(typed) is None


def test_a_malformed_seat_says_what_is_wrong_without_showing_the_token():
    with pytest.raises(ValueError, match="22 characters.*got 6 characters"):
        Seat("secret")
    with pytest.raises(ValueError, match="'K0P-2QX'"):
        Seat(Seat.new().token, "K0P-2QX")


def test_a_seat_is_found_by_its_token_and_by_its_code_typed_loosely(store, seat):
    assert store.seat_of_token(seat.token) == seat
    for typed in (seat.shown_code, seat.code.lower(), f" {seat.code[:4].lower()} {seat.code[4:]} "):
        assert store.seat_of_code(typed) == seat  # with its token: the same link on another device


def test_an_unknown_or_malformed_token_or_code_finds_no_seat(store, seat):
    stranger = Seat.new()
    assert store.seat_of_token(stranger.token) is None
    assert store.seat_of_token("not a token") is None
    assert store.seat_of_code(stranger.code if stranger.code != seat.code else "22222222") is None
    assert store.seat_of_code("K0P-2QX") is None


def test_seats_that_share_a_prefix_are_told_apart_by_their_own_salts(store):
    first = store.create_seat(Seat(Seat.new().token, "K7PQ2QX9"))
    second = store.create_seat(Seat(Seat.new().token, "K7PR2QX9"))
    with store._transaction() as connection:
        rows = connection.execute(select(seats.c.code_prefix, seats.c.code_salt)).all()
    assert {prefix for prefix, _ in rows} == {"K7P"} and len({salt for _, salt in rows}) == 2
    assert store.seat_of_code("k7pq-2qx9") == first and store.seat_of_code("K7PR 2QX9") == second


def test_the_database_holds_neither_token_nor_code_in_the_clear(store, seat):
    with store.engine.connect() as connection:
        row = connection.execute(select(seats)).one()
    stored = repr(tuple(row)).encode() + b"".join(value for value in row if isinstance(value, bytes))
    for secret in (seat.token, seat.code):
        assert secret.encode() not in stored and secret.lower().encode() not in stored.lower()


def test_creating_a_seat_again_gives_the_stored_one(store, seat):
    assert store.create_seat(seat) == seat
    assert store.create_seat(Seat(seat.token, Seat.new().code)) == seat  # the first code stays
    assert row_counts(store)["seats"] == 1


def test_a_new_seat_whose_code_is_taken_gets_another(store, seat):
    newcomer = store.create_seat(Seat(Seat.new().token, seat.code))
    assert newcomer.code != seat.code
    assert store.seat_of_code(seat.code) == seat and store.seat_of_code(newcomer.code) == newcomer
    assert store.seat_of_token(newcomer.token) == newcomer


def test_touching_a_seat_moves_its_last_seen_time(store, seat):
    def last_seen():
        with store.engine.connect() as connection:
            return connection.scalar(select(seats.c.last_seen_at))

    before = last_seen()
    assert before.tzinfo is not None
    time.sleep(0.01)
    store.touch_seat(seat)
    assert last_seen() > before


# Runs


def test_a_run_comes_back_as_it_was_saved(store, seat):
    test_logits = logits()
    store.start_run(seat, RUN, "Run 1", CONFIG, server="here")
    for epoch in range(1, 4):
        store.save_epoch(seat, RUN, record(epoch))
    store.finish_run(seat, RUN, state=RunState.STOPPED, test_loss=0.41, test_accuracy=0.86, seconds=9.5,
                     test_logits=test_logits, weights=b"\x00weights\xff" * 1000)

    [run] = store.runs_of_seat(seat)
    assert (run.run_id, run.name, run.state, run.model) == (RUN, "Run 1", RunState.STOPPED, None)
    assert run.config == CONFIG
    assert run.history == [record(epoch) for epoch in range(1, 4)]
    assert (run.test_loss, run.test_accuracy, run.seconds) == (0.41, 0.86, 9.5)
    assert run.test_logits.dtype == np.float32 and run.test_logits.shape == (10_000, 10)
    np.testing.assert_allclose(run.test_logits, test_logits, rtol=1e-3, atol=1e-3)  # float16 precision
    assert store.weights_of_run(seat, RUN) == b"\x00weights\xff" * 1000
    assert store.run_ids_with_weights(seat) == {RUN}


def test_saving_an_epoch_again_keeps_one_row_with_the_last_figures(store, seat):
    store.start_run(seat, RUN, "Run 1", CONFIG)
    store.save_epoch(seat, RUN, record(1, loss=0.9))
    store.save_epoch(seat, RUN, record(1, loss=0.4))
    assert store.runs_of_seat(seat)[0].history == [record(1, loss=0.4)]
    assert row_counts(store)["epochs"] == 1


def test_a_run_cut_off_keeps_its_epochs_and_is_marked_interrupted_at_the_next_start(store, seat):
    store.start_run(seat, RUN, "Run 1", CONFIG, server="server-a")
    store.save_epoch(seat, RUN, record(1))
    store.save_epoch(seat, RUN, record(2))
    [running] = store.runs_of_seat(seat)
    assert running.state is RunState.RUNNING and running.epochs_done == 2

    assert store.interrupt_running_runs(server="server-b") == 0
    assert store.interrupt_running_runs(server="server-a") == 1
    [run] = store.runs_of_seat(seat)
    assert run.state is RunState.INTERRUPTED and run.stopped
    assert run.history == [record(1), record(2)]
    assert np.isnan(run.test_accuracy) and run.test_logits is None and run.seconds == 3.0
    assert store.weights_of_run(seat, RUN) is None
    assert store.interrupt_running_runs("server-a") == 0


def test_a_queued_run_waits_then_trains_then_finishes(store, seat):
    store.queue_run(seat, RUN, "Run 1", CONFIG, server="server-a")
    store.queue_run(seat, RUN, "Run 1", CONFIG, server="server-a")  # again: nothing changes
    [waiting] = store.runs_of_seat(seat)
    assert (waiting.run_id, waiting.state, waiting.history, waiting.seconds) == (RUN, RunState.WAITING, [], 0)

    store.start_run(seat, RUN, "Run 1", CONFIG, server="server-b")  # a free trainer took it
    store.start_run(seat, RUN, "Run 1", CONFIG, server="server-b")  # again: nothing changes
    assert [run.state for run in store.runs_of_seat(seat)] == [RunState.RUNNING]
    assert store.interrupt_running_runs("server-a") == 0  # it trains on server-b now
    store.save_epoch(seat, RUN, record(1))
    finish(store, seat, RUN)
    store.start_run(seat, RUN, "Run 1", CONFIG)  # an ended run is not started again
    [run] = store.runs_of_seat(seat)
    assert (run.state, run.history, run.test_accuracy) == (RunState.DONE, [record(1)], 0.875)
    assert row_counts(store)["runs"] == 1


def test_an_abandoned_run_is_deleted_unless_it_has_an_epoch(store, seat):
    store.queue_run(seat, "cancelled", "Cancelled while waiting", CONFIG)
    store.start_run(seat, "failed-at-once", "Failed before an epoch", CONFIG)
    store.start_run(seat, "failed-later", "Failed after an epoch", CONFIG)
    store.save_epoch(seat, "failed-later", record(1))
    store.start_run(seat, "done", "Done", CONFIG)
    finish(store, seat, "done")
    for run_id in ("cancelled", "failed-at-once", "failed-later", "done", "never-there"):
        store.abandon_run(seat, run_id)
    store.abandon_run(seat, "cancelled")  # again: nothing to do

    assert [(run.run_id, run.state, run.epochs_done) for run in store.runs_of_seat(seat)] == [
        ("failed-later", RunState.INTERRUPTED, 1), ("done", RunState.DONE, 0)]
    assert row_counts(store)["epochs"] == 1
    with pytest.raises(UnknownSeat):
        store.abandon_run(Seat.new(), "done")


def test_a_server_start_marks_its_lost_runs_interrupted_and_deletes_none(store, seat):
    store.queue_run(seat, "waiting", "Waiting", CONFIG, server="server-a")
    store.queue_run(seat, "waiting-with-an-epoch", "Odd", CONFIG, server="server-a")
    store.save_epoch(seat, "waiting-with-an-epoch", record(1))
    store.queue_run(seat, "waiting-elsewhere", "Elsewhere", CONFIG, server="server-b")
    store.start_run(seat, "running", "Running", CONFIG, server="server-a")
    store.save_epoch(seat, "running", record(1))
    store.start_run(seat, "before-its-first-epoch", "Just started", CONFIG, server="server-a")

    assert store.interrupt_running_runs("server-a") == 4
    assert [(run.run_id, run.state) for run in store.runs_of_seat(seat)] == [
        ("waiting", RunState.INTERRUPTED), ("waiting-with-an-epoch", RunState.INTERRUPTED),
        ("waiting-elsewhere", RunState.WAITING), ("running", RunState.INTERRUPTED),
        ("before-its-first-epoch", RunState.INTERRUPTED)]
    assert store.interrupt_running_runs("server-b") == 1
    assert len(store.runs_of_seat(seat)) == 5


def heard_at(store: RunStore) -> dict[str, object]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(servers.c.name, servers.c.heard_at)).all())


def fall_silent(store: RunStore, server: str, seconds: float) -> None:
    """Makes `server`'s last heartbeat `seconds` older, as if it had stopped beating then."""
    with store.engine.begin() as connection:
        connection.execute(update(servers).where(servers.c.name == server)
                           .values(heard_at=heard_at(store)[server] - timedelta(seconds=seconds)))


def test_a_heartbeat_leaves_living_servers_runs_and_marks_those_of_silent_ones_lost(store, seat):
    for server in ("server-a", "server-b"):
        assert store.heartbeat(server, silent_after=30) == 0
        store.start_run(seat, f"{server}-running", "Running", CONFIG, server=server)
        store.save_epoch(seat, f"{server}-running", record(1))
        store.queue_run(seat, f"{server}-waiting", "Waiting", CONFIG, server=server)
    store.start_run(seat, "before-any-heartbeat", "Old", CONFIG, server="an-older-version")
    store.save_epoch(seat, "before-any-heartbeat", record(1))

    # A server that never beat (a run saved before the heartbeats) is gone; both others are alive.
    assert store.heartbeat("server-a", silent_after=30) == 1
    assert {run.run_id: run.state for run in store.runs_of_seat(seat)} == {
        "server-a-running": RunState.RUNNING, "server-a-waiting": RunState.WAITING,
        "server-b-running": RunState.RUNNING, "server-b-waiting": RunState.WAITING,
        "before-any-heartbeat": RunState.INTERRUPTED}

    fall_silent(store, "server-b", seconds=31)  # killed 31 s ago
    assert store.heartbeat("server-a", silent_after=30) == 2
    lost = {run.run_id: run for run in store.runs_of_seat(seat) if run.run_id.startswith("server-b")}
    assert [(run.state, run.history) for run in lost.values()] == [
        (RunState.INTERRUPTED, [record(1)]), (RunState.INTERRUPTED, [])]  # kept, though it never trained
    assert set(heard_at(store)) == {"server-a"}  # the silent one is forgotten
    assert store.heartbeat("server-a", silent_after=30) == 0
    assert [run.state for run in store.runs_of_seat(seat) if run.run_id.startswith("server-a")] == [
        RunState.RUNNING, RunState.WAITING]


def test_a_run_marked_lost_under_a_server_that_was_only_slow_is_done_when_it_finishes(store, seat):
    store.heartbeat("server-a", silent_after=30)
    store.start_run(seat, RUN, "Run 1", CONFIG, server="server-a")
    fall_silent(store, "server-a", seconds=60)  # paused for a minute before its first epoch
    assert store.heartbeat("server-b", silent_after=30) == 1
    assert [run.state for run in store.runs_of_seat(seat)] == [RunState.INTERRUPTED]
    store.save_epoch(seat, RUN, record(1))  # server-a's writes arrive: it is running again
    assert [run.state for run in store.runs_of_seat(seat)] == [RunState.RUNNING]
    assert store.heartbeat("server-b", silent_after=30) == 1  # silent again, so marked again
    store.save_epoch(seat, RUN, record(2))
    finish(store, seat, RUN)
    [run] = store.runs_of_seat(seat)
    assert (run.state, run.epochs_done, run.test_accuracy) == (RunState.DONE, 2, 0.875)
    assert store.weights_of_run(seat, RUN) == b"weights"


def test_a_run_marked_lost_while_it_waited_on_a_slow_server_starts_and_finishes(store, seat):
    store.heartbeat("server-a", silent_after=30)
    store.queue_run(seat, RUN, "Run 1", CONFIG, server="server-a")
    fall_silent(store, "server-a", seconds=45)
    assert store.heartbeat("server-b", silent_after=30) == 1
    store.start_run(seat, RUN, "Run 1", CONFIG, server="server-a")  # server-a goes on, and starts it
    assert [run.state for run in store.runs_of_seat(seat)] == [RunState.RUNNING]
    store.save_epoch(seat, RUN, record(1))
    finish(store, seat, RUN)
    assert [run.state for run in store.runs_of_seat(seat)] == [RunState.DONE]


def test_a_run_marked_lost_can_still_be_abandoned_by_its_own_server(store, seat):
    store.heartbeat("server-a", silent_after=30)
    store.queue_run(seat, RUN, "Run 1", CONFIG, server="server-a")
    fall_silent(store, "server-a", seconds=45)
    store.heartbeat("server-b", silent_after=30)
    store.abandon_run(seat, RUN)  # its tab was closed while server-a was paused
    assert store.runs_of_seat(seat) == []


@pytest.mark.parametrize("server, silent_after", [("", 30), (None, 30), ("a", 0), ("a", True),
                                                  ("a", float("inf"))])
def test_a_heartbeat_needs_a_name_and_a_positive_silence(sqlite_url, server, silent_after):
    store = RunStore(sqlite_url)
    with pytest.raises(ValueError):
        store.heartbeat(server, silent_after)
    store.close()


def test_a_server_whose_heartbeat_stops_has_its_runs_marked_by_another(postgresql_url):
    # Two servers as two processes would be: each its own store and writer, on one PostgreSQL.
    writers = [StoreWriter(lambda: RunStore(postgresql_url)) for _ in range(2)]
    seat = writers[0].write_now(lambda store: store.create_seat(Seat.new()))
    hearts = [Heartbeat(writer, name, every=0.1, silent_after=1.0).start()
              for writer, name in zip(writers, ("server-a", "server-b"), strict=True)]
    wait_until(lambda: set(writers[0].read(heard_at)) == {"server-a", "server-b"})
    for writer, name in zip(writers, ("server-a", "server-b"), strict=True):
        writer.start_run(seat, f"on-{name}", name, CONFIG, server=name)
        writer.save_epoch(seat, f"on-{name}", record(1))
        assert writer.flush(10)

    hearts[0].stop()  # server-a dies
    wait_until(lambda: writers[1].read(lambda store: [run.state for run in store.runs_of_seat(seat)])
               == [RunState.INTERRUPTED, RunState.RUNNING])
    time.sleep(0.5)  # server-b, still beating, keeps its own run
    assert [run.state for run in writers[1].read(lambda store: store.runs_of_seat(seat))] == [
        RunState.INTERRUPTED, RunState.RUNNING]
    hearts[1].stop()
    for writer in writers:
        writer.close()


def test_a_heartbeat_ends_with_its_writer(sqlite_url):
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    Heartbeat(writer, "server-a", every=0.05, silent_after=1.0).start()
    wait_until(lambda: "server-a" in writer.read(heard_at))
    writer.close()
    store = RunStore(sqlite_url)
    last = heard_at(store)["server-a"]
    time.sleep(0.3)
    assert heard_at(store) == {"server-a": last}
    store.close()


def test_a_heartbeat_on_an_unreachable_database_is_none(closed_port):
    writer = StoreWriter(lambda: RunStore(f"postgresql://learner@127.0.0.1:{closed_port}/runs",
                                          busy_timeout=1))
    assert Heartbeat(writer, "server-a").beat() is None
    assert writer.problem is not None
    writer.close(timeout=0.1)


def test_only_the_newest_runs_keep_their_weights(store, seat):
    names = [f"run-{number}" for number in range(MODELS_KEPT + 2)]
    for name in names:
        store.start_run(seat, name, name, CONFIG)
        store.save_epoch(seat, name, record(1))
        finish(store, seat, name, weights=name.encode())

    assert store.run_ids_with_weights(seat) == set(names[-MODELS_KEPT:])
    assert store.weights_of_run(seat, names[0]) is None
    assert store.weights_of_run(seat, names[-1]) == names[-1].encode()
    listed = store.runs_of_seat(seat)
    assert [run.run_id for run in listed] == names  # oldest first, the old ones whole but for weights
    assert all(run.history == [record(1)] and run.test_logits is not None for run in listed)
    assert row_counts(store)["run_models"] == row_counts(store)["models"] == MODELS_KEPT


def test_finishing_a_run_checks_what_it_is_given(store, seat):
    store.start_run(seat, RUN, "Run 1", CONFIG)
    for unfinished in (RunState.RUNNING, RunState.WAITING):
        with pytest.raises(ValueError, match=unfinished.value):
            finish(store, seat, RUN, state=unfinished)
    with pytest.raises(ValueError, match=r"shape \(images, 10\); got \(20, 3\)"):
        finish(store, seat, RUN, test_logits=np.zeros((20, 3)))
    with pytest.raises(ValueError, match=r"shape \(10, 10\); got \(10, 9\)"):
        finish(store, seat, RUN, confusion=np.zeros((10, 9), dtype=int))
    for not_counts in (np.full((10, 10), 0.5), np.full((10, 10), -1)):
        with pytest.raises(ValueError, match="counts"):
            finish(store, seat, RUN, confusion=not_counts)
    with pytest.raises(ValueError, match="'bad id!'"):
        store.save_epoch(seat, "bad id!", record(1))


# Seats apart


def test_a_seat_never_reaches_another_seats_runs(store, seat):
    other = store.create_seat(Seat.new())
    store.start_run(seat, RUN, "Mine", CONFIG)
    store.save_epoch(seat, RUN, record(1))
    finish(store, seat, RUN)
    mine = described(store.runs_of_seat(seat))

    assert store.runs_of_seat(other) == []
    assert store.weights_of_run(other, RUN) is None and store.run_ids_with_weights(other) == set()
    with pytest.raises(UnknownRun):
        store.save_epoch(other, RUN, record(2))
    with pytest.raises(UnknownRun):
        finish(store, other, RUN, test_accuracy=0.1)
    assert store.delete_runs_of_seat(other) == 0
    assert described(store.runs_of_seat(seat)) == mine

    store.start_run(other, RUN, "Theirs", CONFIG)  # the same run id is the other seat's own run
    assert [run.name for run in store.runs_of_seat(other)] == ["Theirs"]
    assert [run.name for run in store.runs_of_seat(seat)] == ["Mine"]


def test_a_guessed_token_finds_nothing_and_writes_nothing(store, seat):
    store.start_run(seat, RUN, "Mine", CONFIG)
    finish(store, seat, RUN)
    guessed = Seat.new()
    assert store.runs_of_seat(guessed) == [] and store.run_ids_with_weights(guessed) == set()
    assert store.weights_of_run(guessed, RUN) is None
    with pytest.raises(UnknownSeat):
        store.start_run(guessed, "run-2", "Guessed", CONFIG)
    with pytest.raises(UnknownRun):
        store.save_epoch(guessed, RUN, record(1))
    assert store.delete_runs_of_seat(guessed) == 0
    assert row_counts(store)["runs"] == 1


# Deleting


def test_deleting_a_seats_runs_leaves_no_row_of_them(store, seat):
    other = store.create_seat(Seat.new())
    for owner, run_ids in ((seat, ["run-1", "run-2"]), (other, ["run-3"])):
        for run_id in run_ids:
            store.start_run(owner, run_id, run_id, CONFIG)
            store.save_epoch(owner, run_id, record(1))
            store.save_epoch(owner, run_id, record(2))
            finish(store, owner, run_id)

    assert store.delete_runs_of_seat(seat) == 2
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 2, "runs": 1, "epochs": 2,
                                 "run_models": 1, "models": 1, "writeups": 0}
    assert store.delete_runs_of_seat(other) == 1
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 2, "runs": 0, "epochs": 0,
                                 "run_models": 0, "models": 0, "writeups": 0}
    assert store.seat_of_token(seat.token) == seat  # the seat stays, to start again


def test_old_runs_and_seats_unseen_as_long_expire(store):
    now = utc_now()
    long_ago, lately = now - timedelta(days=40), now - timedelta(days=10)
    gone, kept_by_a_run, seen_lately = (store.create_seat(Seat.new()) for _ in range(3))
    for owner, run_id in ((gone, "old"), (kept_by_a_run, "old"), (kept_by_a_run, "recent"),
                          (seen_lately, "old")):
        store.start_run(owner, run_id, run_id, CONFIG)
        store.save_epoch(owner, run_id, record(1))
        finish(store, owner, run_id)
    with store.engine.begin() as connection:  # age the rows: the store itself always writes "now"
        connection.execute(update(runs).values(created_at=long_ago))
        connection.execute(update(runs).where(runs.c.run_id == "recent").values(created_at=lately))
        connection.execute(update(seats).values(last_seen_at=long_ago))
    store.touch_seat(seen_lately)

    assert store.delete_expired(30, now=now) == 3
    assert store.seat_of_token(gone.token) is None
    assert [run.run_id for run in store.runs_of_seat(kept_by_a_run)] == ["recent"]
    assert store.seat_of_token(seen_lately.token) == seen_lately
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 2, "runs": 1, "epochs": 1,
                                 "run_models": 1, "models": 1, "writeups": 0}
    assert store.delete_expired(30, now=now + timedelta(days=31)) == 1
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 0, "runs": 0, "epochs": 0,
                                 "run_models": 0, "models": 0, "writeups": 0}


@pytest.mark.parametrize("days", [0, -1, float("nan"), "30", True])
def test_expiry_needs_a_positive_number_of_days(sqlite_url, days):
    store = RunStore(sqlite_url)
    with pytest.raises(ValueError, match="days must be a positive number"):
        store.delete_expired(days)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.delete_expired(30, now=utc_now().replace(tzinfo=None))
    store.close()


# Opening a store


def test_a_plain_postgresql_url_gets_the_psycopg_driver_and_no_password_is_shown(closed_port):
    store = RunStore(f"postgresql://learner:s3cret@127.0.0.1:{closed_port}/runs", migrate=False)
    assert store.engine.dialect.driver == "psycopg"
    assert store.safe_url == f"postgresql+psycopg://learner:***@127.0.0.1:{closed_port}/runs"
    store.close()


def test_a_database_that_cannot_be_reached_is_unavailable_and_says_where(closed_port):
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{closed_port}/runs cannot be reached") as caught:
        RunStore(f"postgresql://learner:s3cret@127.0.0.1:{closed_port}/runs")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url, message", [
    ("mysql://127.0.0.1/runs", "sqlite:///path or postgresql"),
    ("sqlite://", "needs a SQLite file"),
    ("not a url", "Not a database URL"),
])
def test_a_url_the_store_cannot_use_is_refused_by_name(url, message):
    with pytest.raises(ValueError, match=message):
        RunStore(url)


def test_the_sqlite_files_folder_is_made(tmp_path):
    path = tmp_path / "deep" / "er" / "runs.sqlite3"
    RunStore(f"sqlite:///{path}").close()
    assert path.is_file()


def test_the_default_database_is_a_file_in_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path}/fmnist-classroom/runs.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_database_url() == f"sqlite:///{tmp_path}/home/.local/share/fmnist-classroom/runs.sqlite3"


# Migrations


def test_the_migrations_build_exactly_the_tables_the_code_uses(store):
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


# A seat and a run as the first revision stored them, frozen here: SQL for that schema, and the
# hashes and locked secrets of this token and code as the first version of `seats.py` made them.
FIRST_REVISION = "0001"
FROZEN_TOKEN, FROZEN_CODE = "Frozen_Seat_Token_0001", "K7P2QX"
FROZEN_SEAT = {
    "token_hash": "803c28280a6294b0cddeea88a865a7fb5e196d61bb62d4ab557ab8dd0facf74e",
    "code_hash": "0e1320b3da39e3126cfd46a41d0cf488592faf76f54171527a7c98bdff739178",
    "token_locked": bytes.fromhex("600122900bc7c3d640aa8a0590176b08b4076f3e0fbf"),
    "code_locked": bytes.fromhex("2cb1481cae98"),
}
FIRST_REVISION_ROWS = [
    """INSERT INTO seats (token_hash, code_hash, token_locked, code_locked, created_at, last_seen_at)
       VALUES (:token_hash, :code_hash, :token_locked, :code_locked, :now, :now)""",
    """INSERT INTO runs (seat_id, run_id, name, config, server, state, created_at, finished_at,
                         test_loss, test_accuracy, seconds, test_logits)
       VALUES ((SELECT id FROM seats WHERE token_hash = :token_hash), 'frozen-run', 'Run 1',
               '{"architecture": "cnn", "epochs": "3", "seed": "7"}', 'server-a', 'done', :now, :now,
               0.3, 0.9, 42.0, :test_logits)""",
    """INSERT INTO epochs (run, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
       VALUES ((SELECT id FROM runs WHERE run_id = 'frozen-run'), 1, 0.5, 0.8, 0.45, 0.82, 14.0)""",
    """INSERT INTO weights (run, data)
       VALUES ((SELECT id FROM runs WHERE run_id = 'frozen-run'), :weights)""",
]


def store_as_the_first_revision(connection) -> dict:
    """Brings an empty database to the first revision and stores FIRST_REVISION_ROWS in it, as that
    revision did; returns the values they were stored with (the seat's hashes, now, ...)."""
    upgrade(connection, FIRST_REVISION)
    values = {**FROZEN_SEAT, "now": utc_now(), "weights": b"frozen weights",
              "test_logits": np.arange(20, dtype="<f2").tobytes()}
    for statement in FIRST_REVISION_ROWS:
        clause = text(statement)
        if ":now" in statement:
            clause = clause.bindparams(bindparam("now", type_=DateTime(timezone=True)))
        connection.execute(clause, values)
    return values


def test_a_database_of_the_first_revision_is_brought_to_head_with_its_runs(database_url):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        store_as_the_first_revision(connection)
    engine.dispose()

    store = RunStore(database_url)
    with store.engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(connection)).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
    seat = store.seat_of_code("k7p 2qx")
    assert seat == Seat(FROZEN_TOKEN, FROZEN_CODE) and store.seat_of_token(FROZEN_TOKEN) == seat
    [run] = store.runs_of_seat(seat)
    assert (run.run_id, run.name, run.state, run.test_accuracy) == ("frozen-run", "Run 1", RunState.DONE, 0.9)
    assert (run.config.architecture, run.config.epochs, run.config.seed) == ("cnn", 3, 7)
    assert run.history == [EpochRecord(1, 0.5, 0.8, 0.45, 0.82, 14.0)]
    np.testing.assert_array_equal(run.test_logits, np.arange(20, dtype=np.float32).reshape(2, 10))
    assert store.weights_of_run(seat, "frozen-run") == b"frozen weights"
    assert store.epoch_save_seconds() == []  # an epoch saved before 0002 has no times
    with store.engine.connect() as connection:  # a run stored before 0003 has no class, no confusion
        assert connection.execute(select(runs.c.class_id, runs.c.confusion)).all() == [(None, None)]
        if store.engine.dialect.name == "sqlite":  # turned off for the migration only
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 1, "runs": 1, "epochs": 1,
                                 "run_models": 1, "models": 1, "writeups": 0}

    store.start_run(seat, "after-upgrade", "Run 2", CONFIG)  # and it takes new runs
    store.save_epoch(seat, "after-upgrade", record(1))
    assert len(store.runs_of_seat(seat)) == 2 and len(store.epoch_save_seconds()) == 1
    info, key = store.start_class()  # and the seat can join a class, whose runs the board shows
    store.join_class(seat, info.code, "Frozen")
    store.start_run(seat, "in-class", "Run 3", CONFIG)
    assert [(run.nickname, run.name) for run in store.class_runs(info.code, key)] == [("Frozen", "Run 3")]
    assert store.end_class(info.code, key) == 1  # the class's run goes with it; the seat and the rest stay
    assert [run.run_id for run in store.runs_of_seat(seat)] == ["frozen-run", "after-upgrade"]
    assert row_counts(store) == {"classes": 0, "members": 0, "seats": 1, "runs": 2, "epochs": 2,
                                 "run_models": 1, "models": 1, "writeups": 0}
    store.close()


def test_a_run_left_running_before_the_heartbeats_is_lost_at_the_first_heartbeat(database_url):
    # A single server of revision 0003 was killed while it trained: its run is still "running",
    # and no server has a heartbeat yet.
    engine = create_engine(database_url)
    with engine.begin() as connection:
        values = store_as_the_first_revision(connection)
        upgrade(connection, "0003")
        connection.execute(text(
            """INSERT INTO runs (seat_id, run_id, name, config, server, state, created_at)
               VALUES ((SELECT id FROM seats WHERE token_hash = :token_hash), 'cut-off', 'Run 2',
                       '{"epochs": "5"}', 'old-host:4242', 'running', :now)""").bindparams(
            bindparam("now", type_=DateTime(timezone=True))), values)
        connection.execute(text(
            """INSERT INTO epochs (run, epoch, loss, accuracy, val_loss, val_accuracy, seconds)
               VALUES ((SELECT id FROM runs WHERE run_id = 'cut-off'), 1, 0.6, 0.78, 0.55, 0.8, 2.0)"""))
    engine.dispose()

    store = RunStore(database_url)  # brought to head: the servers table is there, empty
    assert heard_at(store) == {}
    seat = Seat(FROZEN_TOKEN, FROZEN_CODE)
    assert store.heartbeat("new-host:8501", silent_after=30) == 1
    assert [(run.run_id, run.state, run.epochs_done) for run in store.runs_of_seat(seat)] == [
        ("frozen-run", RunState.DONE, 1), ("cut-off", RunState.INTERRUPTED, 1)]
    assert set(heard_at(store)) == {"new-host:8501"}
    store.close()


def test_how_long_an_epoch_took_to_reach_the_database_is_kept(store):
    seat = store.create_seat(Seat.new())
    store.start_run(seat, RUN, "Run 1", CONFIG)
    store.save_epoch(seat, RUN, record(1), ended_at=utc_now() - timedelta(seconds=2))
    [seconds] = store.epoch_save_seconds()
    assert 2 <= seconds < 3


# The writer: the app keeps working when the database does not


def test_writes_wait_while_sqlite_is_locked_then_go_in_order(sqlite_url, caplog):
    writer = StoreWriter(lambda: RunStore(sqlite_url, busy_timeout=0.05), retry_seconds=0.05,
                         max_retry_seconds=0.2)
    seat = Seat.new()
    writer.create_seat(seat)
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    assert writer.flush(10)

    locker = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    for epoch in (1, 2, 3):
        writer.save_epoch(seat, RUN, record(epoch))
    writer.save_epoch(seat, RUN, record(3, loss=0.1))  # in order, so this one wins
    finish(writer, seat, RUN)
    wait_until(lambda: not writer.healthy)
    assert writer.pending == 5
    assert writer.problem == f"the database at {sqlite_url} is locked"
    assert writer.read(lambda store: store.runs_of_seat(seat)[0].history) == []  # reading still works
    assert writer.write_now(lambda store: store.touch_seat(seat), default="locked") == "locked"
    assert "Cannot write to the run store: the database at" in caplog.text

    locker.execute("ROLLBACK")
    assert writer.flush(10)
    assert writer.healthy and writer.problem is None and writer.pending == 0
    [run] = writer.read(lambda store: store.runs_of_seat(seat))
    assert run.history == [record(1), record(2), record(3, loss=0.1)] and run.state is RunState.DONE
    assert writer.close()
    locker.close()
    assert seat.token not in caplog.text


def test_writes_wait_while_postgresql_is_down_then_all_arrive(postgresql_url, stoppable_postgres, caplog):
    writer = StoreWriter(lambda: RunStore(postgresql_url, busy_timeout=2), retry_seconds=0.05,
                         max_retry_seconds=0.5)
    seat = Seat.new()
    writer.create_seat(seat)
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    assert writer.flush(10)

    stoppable_postgres.stop()
    for epoch in (2, 3, 4):
        writer.save_epoch(seat, RUN, record(epoch))
    finish(writer, seat, RUN)
    wait_until(lambda: not writer.healthy)
    assert writer.pending == 4
    assert "cannot be reached" in writer.problem and "Connection refused" in writer.problem
    assert writer.read(lambda store: store.runs_of_seat(seat), default="no runs") == "no runs"

    stoppable_postgres.start()
    assert writer.flush(30)
    [run] = writer.read(lambda store: store.runs_of_seat(seat))
    assert run.history == [record(epoch) for epoch in (1, 2, 3, 4)] and run.state is RunState.DONE
    assert writer.read(lambda store: store.run_ids_with_weights(seat)) == {RUN}
    assert writer.healthy
    assert writer.close()
    assert seat.token not in caplog.text


def test_writes_wait_until_the_store_can_be_opened(tmp_path):
    in_the_way = tmp_path / "data"
    in_the_way.write_text("a file where the database's folder should be")
    url = f"sqlite:///{in_the_way / 'runs.sqlite3'}"
    attempts = []

    def open_store():
        attempts.append(time.monotonic())
        return RunStore(url)

    writer = StoreWriter(open_store, retry_seconds=0.02, max_retry_seconds=0.05)
    seat = Seat.new()
    writer.create_seat(seat)
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    wait_until(lambda: len(attempts) >= 3)
    assert writer.pending == 3 and not writer.healthy
    assert writer.problem.startswith(f"the database at {url} cannot be reached")
    assert writer.read(lambda store: store.runs_of_seat(seat), default=[]) == []

    in_the_way.unlink()
    assert writer.flush(10) and writer.healthy
    assert writer.read(lambda store: store.runs_of_seat(seat))[0].history == [record(1)]
    writer.close()


def test_a_write_that_fails_for_a_bug_is_dropped_and_the_rest_go_on(sqlite_url, caplog):
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    seat = Seat.new()
    writer.create_seat(seat)
    writer.save_epoch(seat, "no-such-run", record(1))
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    assert writer.flush(10) and writer.healthy
    assert writer.read(lambda store: store.runs_of_seat(seat))[0].history == [record(1)]
    assert "Dropped save_epoch 1 of run no-such-run" in caplog.text
    assert seat.token not in caplog.text
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.touch_seat(seat)


def test_a_server_start_marks_its_lost_runs_interrupted_before_its_new_runs(sqlite_url):
    store = RunStore(sqlite_url)
    seat = store.create_seat(Seat.new())
    store.start_run(seat, RUN, "Lost in a restart", CONFIG, server="server-a")
    store.save_epoch(seat, RUN, record(1))
    store.close()
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    writer.interrupt_running_runs("server-a")
    writer.start_run(seat, "run-2", "After the restart", CONFIG, server="server-a")
    assert writer.flush(10)
    states = [run.state for run in writer.read(lambda store: store.runs_of_seat(seat))]
    assert states == [RunState.INTERRUPTED, RunState.RUNNING]
    writer.close()


def test_the_writer_queues_abandons_and_finishes_with_a_confusion_matrix(sqlite_url):
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    seat = Seat.new()
    confusion = np.arange(100, dtype=np.int64).reshape(10, 10) * 7
    writer.create_seat(seat)
    writer.queue_run(seat, "cancelled", "Cancelled", CONFIG)
    writer.abandon_run(seat, "cancelled")
    writer.queue_run(seat, RUN, "Run 1", CONFIG)
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    finish(writer, seat, RUN, confusion=confusion)
    assert writer.flush(10) and writer.healthy
    assert [(run.run_id, run.state) for run in writer.read(lambda store: store.runs_of_seat(seat))] == [
        (RUN, RunState.DONE)]
    with writer.read(lambda store: store.engine).connect() as connection:
        stored = connection.scalar(select(runs.c.confusion))
    assert stored == confusion.astype("<i4").tobytes()
    writer.close()


# Many learners at once


def test_thirty_learners_writing_through_one_writer_lose_nothing(sqlite_url):
    writer = StoreWriter(lambda: RunStore(sqlite_url))

    def learner(number: int) -> Seat:
        seat = Seat.new()
        writer.create_seat(seat)
        writer.start_run(seat, RUN, f"Learner {number}", CONFIG)
        for epoch in range(1, 11):
            writer.save_epoch(seat, RUN, record(epoch))
        finish(writer, seat, RUN)
        return seat

    with ThreadPoolExecutor(30) as pool:
        learners = list(pool.map(learner, range(30)))
    assert writer.flush(60) and writer.healthy
    counts = writer.read(row_counts)
    assert counts == {"classes": 0, "members": 0, "seats": 30, "runs": 30, "epochs": 300, "run_models": 30,
                      "models": 1, "writeups": 0}  # the same weights, stored once
    assert all(run.state is RunState.DONE and run.epochs_done == 10
               for seat in learners for run in writer.read(lambda store, seat=seat: store.runs_of_seat(seat)))
    writer.close()


def test_thirty_threads_saving_epochs_at_once_wait_for_sqlites_lock(sqlite_url):
    store = RunStore(sqlite_url)
    seat = store.create_seat(Seat.new())
    for number in range(30):
        store.start_run(seat, f"run-{number}", f"Run {number}", CONFIG)
    all_at_once = threading.Barrier(30)

    def train(number: int) -> None:
        all_at_once.wait()
        for epoch in range(1, 11):
            store.save_epoch(seat, f"run-{number}", record(epoch))

    with ThreadPoolExecutor(30) as pool:
        list(pool.map(train, range(30)))  # re-raises any "database is locked"
    assert row_counts(store)["epochs"] == 300
    store.close()



def test_the_newest_finished_run_of_exactly_a_config_is_found_whoever_trained_it(store, seat):
    other = store.create_seat(Seat.new())
    for owner, run_id, accuracy in ((seat, "older", 0.86), (other, "newer", 0.875)):
        store.start_run(owner, run_id, "Run 1", CONFIG)
        for epoch in range(1, 5):
            store.save_epoch(owner, run_id, record(epoch))
        finish(store, owner, run_id, weights=run_id.encode(), test_accuracy=accuracy)
    store.start_run(seat, "stopped", "Run 2", CONFIG)
    finish(store, seat, "stopped", state=RunState.STOPPED)
    store.start_run(seat, "other-seed", "Run 3", CONFIG.with_changes(seed=7))
    finish(store, seat, "other-seed")

    run, weights = store.finished_like(CONFIG)
    assert (run.run_id, run.name, run.state, weights) == ("newer", "", RunState.DONE, b"newer")
    assert run.config == CONFIG and run.test_accuracy == 0.875
    assert [r.epoch for r in run.history] == [1, 2, 3, 4] and run.test_logits.shape == (20, 10)
    assert store.finished_like(CONFIG.with_changes(seed=8)) is None
    store.start_run(seat, "no-weights", "Run 4", CONFIG.with_changes(epochs=5))
    finish(store, seat, "no-weights", weights=None)
    assert store.finished_like(CONFIG.with_changes(epochs=5)) is None  # its model cannot be loaded


def test_servers_starting_together_on_a_new_database_migrate_it_once(postgresql_url):
    # Several app servers behind a balancer open the same empty PostgreSQL at the same moment
    # (SQLite is the one-server store: opening one new file from 4 threads at once can be locked).
    database_url = postgresql_url
    barrier = threading.Barrier(4)

    def open_store():
        barrier.wait()
        RunStore(database_url).close()

    with ThreadPoolExecutor(4) as pool:
        for opened in [pool.submit(open_store) for _ in range(4)]:
            opened.result()  # none failed
    store = RunStore(database_url, migrate=False)
    with store.engine.connect() as connection:
        [version] = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    store.close()
    assert version == ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def test_identical_weights_are_stored_once_and_deleted_with_their_last_run(store):
    first, second = store.create_seat(Seat.new()), store.create_seat(Seat.new())
    for seat in (first, second):  # the same settings and seed: the same weights
        store.start_run(seat, RUN, "Run 1", CONFIG)
        finish(store, seat, RUN, weights=b"the same model" * 1000)
    assert row_counts(store)["run_models"] == 2 and row_counts(store)["models"] == 1
    assert store.weights_of_run(second, RUN) == b"the same model" * 1000

    store.delete_runs_of_seat(first)
    assert store.weights_of_run(second, RUN) == b"the same model" * 1000  # still the other's
    store.delete_runs_of_seat(second)
    assert row_counts(store)["models"] == 0  # gone with the last run that had them


def test_seats_that_never_trained_and_runs_that_never_started_go_after_a_day(store):
    now = utc_now()
    idle, in_a_class, trained = (store.create_seat(Seat.new()) for _ in range(3))
    info, _key = store.start_class()
    store.join_class(in_a_class, info.code, "Member")
    store.queue_run(trained, "lost", "Run 1", CONFIG, server="gone")
    store.interrupt_running_runs("gone")  # it never trained an epoch
    store.start_run(trained, "kept", "Run 2", CONFIG)
    store.save_epoch(trained, "kept", record(1))
    finish(store, trained, "kept")

    assert store.delete_expired(30, now=now + timedelta(hours=23)) == 0
    assert store.delete_expired(30, now=now + timedelta(hours=25)) == 1
    assert store.seat_of_token(idle.token) is None
    assert store.seat_of_token(in_a_class.token) == in_a_class  # a member keeps their seat
    assert [run.run_id for run in store.runs_of_seat(trained)] == ["kept"]


def test_one_browser_may_start_only_so_many_seats_in_an_hour(store):
    from fmnist_core.store import TooManySeats
    from fmnist_core.store.seat_store import SEATS_PER_CLIENT

    for _ in range(SEATS_PER_CLIENT):
        store.create_seat(Seat.new(), client="browser:one")
    with pytest.raises(TooManySeats, match=f"started {SEATS_PER_CLIENT} new seats in the last hour"):
        store.create_seat(Seat.new(), client="browser:one")
    store.create_seat(Seat.new(), client="browser:two")  # another browser is not held back
    store.create_seat(Seat.new())  # nor a seat whose browser is not known
    assert row_counts(store)["seats"] == SEATS_PER_CLIENT + 2
    with store.engine.begin() as connection:  # an hour later
        connection.execute(update(client_events).values(at=utc_now() - timedelta(hours=1, seconds=1)))
    store.create_seat(Seat.new(), client="browser:one")
    assert store.delete_expired(30, now=utc_now() + timedelta(days=1)) == 0
    with store.engine.connect() as connection:  # what a browser did is forgotten after a day
        assert connection.scalar(select(func.count()).select_from(client_events)) == 0


def test_a_seat_made_before_codes_had_8_characters_is_found_by_its_6(store):
    from fmnist_core.store.seats import code_hash_and_key, locked, token_hash, token_key

    old = Seat(Seat.new().token, "K7P2QX")
    code_hash, code_key = code_hash_and_key(old.code)  # the one salt of the 6-character codes
    with store._transaction(write=True) as connection:
        connection.execute(seats.insert().values(
            token_hash=token_hash(old.token), code_hash=code_hash, token_locked=locked(old.token, code_key),
            code_locked=locked(old.code, token_key(old.token)), created_at=utc_now(), last_seen_at=utc_now()))
    assert store.seat_of_code("k7p-2qx") == old and store.seat_of_token(old.token) == old
    assert old.shown_code == "K7P-2QX"


def test_a_seats_runs_under_way_on_other_servers_are_counted_for_its_limit(store, seat):
    store.queue_run(seat, "waits-there", "Run 1", CONFIG, server="server-b")
    store.start_run(seat, "trains-there", "Run 2", CONFIG, server="server-b")
    store.start_run(seat, "trains-here", "Run 3", CONFIG, server="server-a")
    store.start_run(seat, "done-there", "Run 4", CONFIG, server="server-b")
    finish(store, seat, "done-there")
    assert store.runs_under_way_elsewhere(seat, "server-a") == 2
    assert store.runs_under_way_elsewhere(seat, "server-b") == 1
    assert store.runs_under_way_elsewhere(Seat.new(), "server-a") == 0

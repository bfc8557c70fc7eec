"""Writes survive a stop: the writer's queue is bounded in bytes while the database is down, a stop
flushes it for a bounded time and keeps the rest on disk (`Spool`), and the next start replays it
first. Through a real `streamlit run` server stopped with SIGTERM while its PostgreSQL is down:
tests/browser/test_a_stopped_server.py."""

import os
import pickle
import re
import stat
import time

import numpy as np
import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.host.environment import pending_writes_bytes, spool_dir, startup_notes
from fmnist_core.run import RunState
from fmnist_core.store import RunStore, Seat, StoreWriter
from fmnist_core.store.spool import Spool, spool_path
from tests.test_store import wait_until

CONFIG = ExperimentConfig(hidden_layers=(64,), epochs=3, batch_size=128)
RUN = "run-1"
MB = 2**20


def record(epoch: int) -> EpochRecord:
    return EpochRecord(epoch, 0.5, 0.8 + epoch / 100, 0.6, 0.79 + epoch / 100, 1.5)


def finish(writer: StoreWriter, seat: Seat, run_id: str = RUN, weights: bytes = b"weights",
           logits: np.ndarray | None = None) -> None:
    writer.finish_run(seat, run_id, state=RunState.DONE, test_loss=0.35, test_accuracy=0.875, seconds=12.5,
                      test_logits=np.zeros((20, 10), np.float32) if logits is None else logits,
                      weights=weights)


@pytest.fixture
def unreachable(tmp_path):
    """A writer's store on a PostgreSQL port where nothing listens: every write waits."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return lambda: RunStore(f"postgresql://learner@127.0.0.1:{port}/runs", busy_timeout=1)


def runs_in(url: str, seat: Seat):
    store = RunStore(url)
    try:
        return store.runs_of_seat(seat)
    finally:
        store.close()


# The bound, in bytes


def test_the_writes_waiting_are_counted_in_bytes_and_fill_the_writer_only_while_the_database_is_down(
        unreachable, sqlite_url):
    writer = StoreWriter(unreachable, retry_seconds=0.05, max_retry_seconds=0.1, max_pending_bytes=2 * MB)
    seat = Seat.new()
    writer.create_seat(seat)
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    wait_until(lambda: not writer.healthy)
    small = writer.pending_bytes
    assert 3 * 512 <= small < 3 * 512 + 200 and not writer.full  # a seat, a start, an epoch: small

    finish(writer, seat, weights=bytes(MB), logits=np.zeros((10_000, 10), np.float32))  # 1 MB + 400 KB
    assert writer.pending_bytes - small == 512 + MB + 400_000 + len(RUN) + len("done") and not writer.full
    finish(writer, seat, run_id="run-2", weights=bytes(MB))
    assert writer.pending_bytes > 2 * MB and writer.full and writer.pending == 5
    assert writer.max_pending_bytes == 2 * MB
    writer.close(0.1)

    # Over the bound with the database answering: not full, the writes simply go in.
    healthy = StoreWriter(lambda: RunStore(sqlite_url), max_pending_bytes=1)
    healthy.create_seat(seat)
    assert not healthy.full
    assert healthy.flush(10) and healthy.pending_bytes == 0 and not healthy.full
    healthy.close()


@pytest.mark.parametrize("bound", [0, -1, 1.5, None])
def test_the_bound_is_a_positive_whole_number_of_bytes(unreachable, bound):
    with pytest.raises(ValueError, match=f"max_pending_bytes must be a positive whole number; got {bound}"):
        StoreWriter(unreachable, max_pending_bytes=bound)


def test_the_bound_and_the_spool_folder_from_the_environment(tmp_path, monkeypatch):
    assert pending_writes_bytes({}) == (256 * MB, [])
    assert pending_writes_bytes({"FMNIST_PENDING_WRITES_MB": "64"}) == (64 * MB, [])
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "fmnist-classroom" / "pending-writes"
    assert spool_dir({}) == (default, [])
    assert spool_dir({"FMNIST_SPOOL_DIR": str(tmp_path / "spool")}) == (tmp_path / "spool", [])
    (tmp_path / "a-file").write_text("")
    notes = startup_notes({"FMNIST_SPOOL_DIR": "spool", "FMNIST_PENDING_WRITES_MB": "0"})
    assert notes == [f"FMNIST_SPOOL_DIR must be an absolute path; got 'spool'. Using {default}.",
                     "FMNIST_PENDING_WRITES_MB must be a whole number from 1 to 65536; got '0'. Using 256."]
    assert spool_dir({"FMNIST_SPOOL_DIR": str(tmp_path / "a-file")})[1] == [
        f"FMNIST_SPOOL_DIR must be a folder, and is a file; got '{tmp_path / 'a-file'}'. Using {default}."]


# The spool


def test_a_spool_keeps_its_writes_readable_by_its_owner_only_and_replaces_them_whole(tmp_path):
    spool = Spool(tmp_path / "new-folder" / "pending.pickle")
    assert spool.load() == [] and spool.size == 0
    seat, logits = Seat.new(), np.arange(5, dtype=np.float32)
    writes = [("create_seat", (seat,), {}, "create_seat"),
              ("finish_run", (seat, RUN), {"state": RunState.DONE, "test_logits": logits},
               "finish_run run-1")]
    spool.save(writes)
    [method, args, kwargs, what] = spool.load()[1]
    assert (method, args, what) == ("finish_run", (seat, RUN), "finish_run run-1")
    assert kwargs["state"] is RunState.DONE and np.array_equal(kwargs["test_logits"], logits)
    assert spool.load()[0] == writes[0]
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.path.parent.stat().st_mode) == 0o700
    spool.save(writes[:1])
    assert spool.load() == writes[:1]
    assert os.listdir(spool.path.parent) == ["pending.pickle"]  # no temporary file left behind
    spool.save([])
    assert not spool.path.exists()


def test_a_spool_others_could_write_is_not_replayed_and_a_damaged_one_is_moved_aside(tmp_path, caplog):
    spool = Spool(tmp_path / "pending.pickle")
    spool.save([("touch_seat", (Seat.new(),), {}, "touch_seat")])
    spool.path.chmod(0o666)
    assert spool.load() == [] and spool.path.exists()
    assert "writable by nobody else" in caplog.text
    spool.path.chmod(0o600)
    spool.path.write_bytes(b"not a pickle")
    assert spool.load() == [] and not spool.path.exists()
    assert (tmp_path / "pending.pickle.unreadable").read_bytes() == b"not a pickle"
    spool.path.write_bytes(pickle.dumps({"format": 99}))
    assert spool.load() == []


def test_a_spool_is_named_after_its_server_and_its_database_without_the_password(tmp_path):
    path = spool_path(tmp_path, "host:8501", "postgresql://learner:s3cret@db/runs")
    assert re.fullmatch(r"pending-writes-host_8501-[0-9a-f]{12}\.pickle", path.name)
    assert path == spool_path(tmp_path, "host:8501", "postgresql://learner:other@db/runs")
    assert path != spool_path(tmp_path, "host:8502", "postgresql://learner:s3cret@db/runs")
    assert path != spool_path(tmp_path, "host:8501", "postgresql://learner:s3cret@db/other")


# A stop, and the next start


def test_a_stop_keeps_what_it_could_not_write_and_the_next_start_writes_it_first(
        unreachable, sqlite_url, tmp_path):
    spool = Spool(tmp_path / "spool" / "pending.pickle")
    seat = Seat.new()
    down = StoreWriter(unreachable, retry_seconds=0.05, max_retry_seconds=0.1, spool=spool)
    down.create_seat(seat)
    down.start_run(seat, RUN, "Run 1", CONFIG, server="here:8501")
    down.start_run(seat, "run-2", "Run 2", CONFIG, server="here:8501")
    for epoch in (1, 2, 3):
        down.save_epoch(seat, RUN, record(epoch))
    down.save_epoch(seat, "run-2", record(1))
    finish(down, seat)
    started = time.monotonic()
    assert not down.close(0.5)
    assert time.monotonic() - started < 3  # half a second of trying, a second for the thread, some slack
    down.save_epoch(seat, "run-2", record(2))  # a training still finishing after the stop
    assert [what for *_, what in spool.load()] == [
        "create_seat", "start_run run-1", "start_run run-2", "save_epoch 1 of run run-1",
        "save_epoch 2 of run run-1", "save_epoch 3 of run run-1", "save_epoch 1 of run run-2",
        "finish_run run-1", "save_epoch 2 of run run-2"]
    assert down.close() is False  # closed already: nothing more happens

    up = StoreWriter(lambda: RunStore(sqlite_url), spool=spool)
    assert up.pending == 9
    up.interrupt_running_runs("here:8501")  # as a server's start queues it, after the replay
    assert up.flush(10)
    assert [(run.run_id, run.state, len(run.history)) for run in up.read(lambda s: s.runs_of_seat(seat))] == [
        (RUN, RunState.DONE, 3), ("run-2", RunState.INTERRUPTED, 2)]
    wait_until(lambda: not spool.path.exists())  # all written: the spool is gone
    assert up.close()
    assert not spool.path.exists()


def test_a_stop_tries_a_database_that_came_back_at_once_instead_of_waiting_out_its_pause(
        postgresql_url, stoppable_postgres, tmp_path):
    spool = Spool(tmp_path / "pending.pickle")
    writer = StoreWriter(lambda: RunStore(postgresql_url, busy_timeout=2), retry_seconds=5,
                         max_retry_seconds=60, spool=spool)
    seat = Seat.new()
    writer.create_seat(seat)
    assert writer.flush(10)
    stoppable_postgres.stop()
    writer.start_run(seat, RUN, "Run 1", CONFIG)
    writer.save_epoch(seat, RUN, record(1))
    wait_until(lambda: not writer.healthy)  # failed once; its next try is 5 s away
    stoppable_postgres.start()
    started = time.monotonic()
    assert writer.close(4)
    assert time.monotonic() - started < 3  # its own next try was due 5 s after the failure
    assert not spool.path.exists()
    assert [len(run.history) for run in runs_in(postgresql_url, seat)] == [1]

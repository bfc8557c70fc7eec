"""A server's desks: one per seat whose learner is here, dropped from memory when they have left,
and brought up to date with the store when a new tab opens."""

import time

import pytest

from fmnist_core.classroom import Desks
from fmnist_core.classroom.desks import LOOK_AGAIN_SECONDS
from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.run import RunState, TrainingRun
from fmnist_core.store import Seat
from fmnist_core.training.jobs import TrainingJob

IDLE = 120.0


def stored_run(run_id: str, state: RunState, epochs: int) -> TrainingRun:
    history = [EpochRecord(epoch, 0.5, 0.8, 0.5, 0.8, 1.0) for epoch in range(1, epochs + 1)]
    return TrainingRun(ExperimentConfig(), history, model=None, test_loss=0.3, test_accuracy=0.88,
                       seconds=float(epochs), state=state, name=f"Run {run_id}", run_id=run_id)


class Store:
    """What `Desks` reads: each seat's runs, as a real store would give them."""

    def __init__(self):
        self.runs: dict[str, list[TrainingRun]] = {}
        self.loads = 0
        self.down = False  # then it cannot be read

    def load(self, seat: Seat):
        if self.down:
            return None
        self.loads += 1
        return [stored_run(run.run_id, run.state, run.epochs_done)
                for run in self.runs.get(seat.token, [])], set()


@pytest.fixture
def store() -> Store:
    return Store()


def test_a_desk_whose_tabs_closed_is_dropped_after_the_idle_time_and_comes_back_from_the_store(store):
    desks, seat = Desks(store.load, idle_seconds=IDLE), Seat.new()
    store.runs[seat.token] = [stored_run("a", RunState.DONE, 2)]
    desk = desks.desk(seat)
    desk.attach("tab-1", now=1000.0)
    open_tabs = {"tab-1"}

    def connected(session_id):
        return session_id in open_tabs

    assert desks.drop_absent(connected, now=5000.0) == []  # a tab is open, however long ago it ran
    open_tabs.clear()  # closed; it was last connected at 5000
    assert desks.drop_absent(connected, now=5000 + IDLE - 1) == []
    assert desks.drop_absent(connected, now=5000 + IDLE) == ["tab-1"]  # for the server to close
    assert len(desks) == 0
    again = desks.desk(seat)
    assert again is not desk and [run.run_id for run in again.runs] == ["a"]
    assert store.loads == 2


def test_a_desk_with_a_training_under_way_stays(store):
    class Job:
        active = True

    desks, seat = Desks(store.load, idle_seconds=IDLE), Seat.new()
    desk = desks.desk(seat)
    desk.attach("tab-1", now=0.0)
    desk.jobs.append(Job())
    assert desks.drop_absent(lambda _: False, now=10 * IDLE) == []
    Job.active = False
    assert desks.drop_absent(lambda _: False, now=10 * IDLE) == ["tab-1"]


def test_many_learners_who_left_leave_nothing_behind(store):
    desks = Desks(store.load, idle_seconds=IDLE)
    for number in range(200):
        desks.desk(Seat.new()).attach(f"tab-{number}", now=float(number))
    assert len(desks) == 200
    assert len(desks.drop_absent(lambda _: False, now=199 + IDLE)) == 200
    assert len(desks) == 0


def test_a_run_that_never_started_is_named_once_and_not_shown(store):
    seat = Seat.new()
    store.runs[seat.token] = [stored_run("done", RunState.DONE, 2),
                              stored_run("lost-waiting", RunState.INTERRUPTED, 0),
                              stored_run("waiting", RunState.WAITING, 0),
                              stored_run("cut-off", RunState.RUNNING, 1)]
    desk = Desks(store.load).desk(seat)
    assert [(run.run_id, run.state) for run in desk.runs] == [
        ("done", RunState.DONE), ("cut-off", RunState.INTERRUPTED)]
    assert desk.never_started == ["Run lost-waiting", "Run waiting"]


def test_a_new_tab_sees_a_run_that_another_server_finished(store):
    desks, seat = Desks(store.load), Seat.new()
    store.runs[seat.token] = [stored_run("kept", RunState.DONE, 2),
                              stored_run("slow", RunState.RUNNING, 1)]
    desk = desks.desk(seat)
    kept = desk.runs[0]
    assert [run.state for run in desk.runs] == [RunState.DONE, RunState.INTERRUPTED]

    store.runs[seat.token][1] = stored_run("slow", RunState.DONE, 3)  # its slow server finished it
    assert desks.desk(seat) is desk and desk.runs[1].state is RunState.INTERRUPTED  # same tab: as it was
    desks.desk(seat, fresh=True)  # a new tab
    assert [(run.state, run.epochs_done) for run in desk.runs] == [(RunState.DONE, 2), (RunState.DONE, 3)]
    assert desk.runs[0] is kept  # an unchanged run keeps its object (and any model in memory)


def test_a_run_not_yet_in_the_store_stays_when_a_new_tab_opens(store):
    desks, seat = Desks(store.load), Seat.new()
    desk = desks.desk(seat)
    desk.runs.add(stored_run("pending", RunState.DONE, 2))  # finished here, its write still pending
    desks.desk(seat, fresh=True)
    assert [run.run_id for run in desk.runs] == ["pending"]


def test_when_its_class_has_ended_a_desk_keeps_only_what_the_store_still_has(store):
    desks, seat = Desks(store.load), Seat.new()
    store.runs[seat.token] = [stored_run("before", RunState.DONE, 2),
                              stored_run("in-class", RunState.DONE, 2),
                              stored_run("running-in-class", RunState.RUNNING, 1),
                              stored_run("queued-in-class", RunState.WAITING, 0)]
    desk = desks.desk(seat)
    before = desk.runs[0]
    running, waiting, ended = (TrainingJob(ExperimentConfig(), run_id=run_id)
                               for run_id in ("running-in-class", "queued-in-class", "ended-in-class"))
    running.start(time.monotonic())
    ended.start(time.monotonic())
    ended.finish(stored_run("ended-in-class", RunState.DONE, 1))  # its result not yet on the desk
    desk.jobs.extend([running, waiting, ended])

    store.runs[seat.token] = [stored_run("before", RunState.DONE, 2)]  # the class went, with its runs
    assert desks.drop_gone(seat)
    assert list(desk.runs) == [before]  # the same object: its model, if in memory, stays
    assert desk.jobs == [waiting]  # it will train outside the class
    assert running.cancelled and not waiting.cancelled
    assert desk.collect_ended() == [] and list(desk.runs) == [before]
    assert desks.drop_gone(Seat.new())  # a seat with no desk here has nothing to drop


def test_a_desk_drops_nothing_while_the_store_cannot_be_read(store):
    desks, seat = Desks(store.load), Seat.new()
    store.runs[seat.token] = [stored_run("kept", RunState.DONE, 2)]
    desk = desks.desk(seat)
    store.down = True
    assert not desks.drop_gone(seat) and [run.run_id for run in desk.runs] == ["kept"]


def test_the_idle_time_is_positive():
    with pytest.raises(ValueError, match="idle_seconds"):
        Desks(lambda seat: None, idle_seconds=0)


def test_a_desk_showing_an_interrupted_run_looks_at_the_store_again_now_and_then(store, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    desks, seat = Desks(store.load), Seat.new()
    store.runs[seat.token] = [stored_run("slow", RunState.RUNNING, 1)]
    desk = desks.desk(seat)
    store.runs[seat.token][0] = stored_run("slow", RunState.DONE, 2)  # its slow server finished it
    clock[0] += LOOK_AGAIN_SECONDS - 1
    desks.desk(seat)
    assert [(run.state, run.epochs_done) for run in desk.runs] == [(RunState.INTERRUPTED, 1)]
    clock[0] += 1
    desks.desk(seat)
    assert [(run.state, run.epochs_done) for run in desk.runs] == [(RunState.DONE, 2)]
    loads = store.loads
    clock[0] += 10 * LOOK_AGAIN_SECONDS
    desks.desk(seat)
    assert store.loads == loads  # nothing interrupted is shown: no need to look


def test_a_learner_who_left_is_let_go_before_streamlit_forgets_their_tabs_sessions():
    # Streamlit drops an expired closed tab's session without shutting it down: the server must
    # close it itself first, at most one sweep after the longest idle time it may be given.
    from streamlit import config

    from fmnist_core.host.environment import seat_idle_seconds
    from ui.resources import DESK_SWEEP_SECONDS

    longest, _ = seat_idle_seconds({"FMNIST_SEAT_IDLE_SECONDS": "100000"})  # refused: the default
    assert seat_idle_seconds({"FMNIST_SEAT_IDLE_SECONDS": "80"})[0] == 80
    for idle in (longest, 80):
        assert idle + DESK_SWEEP_SECONDS < config.get_option("server.disconnectedSessionTTL")

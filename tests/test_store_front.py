"""The store front the pages use: reads and the writes a page waits for done at once, the others
queued; StoreUnavailable while the database does not answer, the store's refusals as they are."""

from urllib.parse import urlsplit

import pytest

from fmnist_core.store import (
    ClassNotFound,
    NotTheTeacher,
    RunStore,
    Seat,
    StoreFront,
    StoreUnavailable,
    StoreWriter,
)

WIDTHS = ("32", "64", "128")


@pytest.fixture
def writer(sqlite_url):
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    yield writer
    writer.close()


@pytest.fixture
def front(writer):
    return StoreFront(writer)


@pytest.fixture
def unanswered(closed_url):
    """A front on a PostgreSQL port where nothing listens, and its writer."""
    port = urlsplit(closed_url).port
    writer = StoreWriter(lambda: RunStore(f"postgresql://learner@127.0.0.1:{port}/runs", busy_timeout=1),
                         retry_seconds=0.05, max_retry_seconds=0.1)
    yield StoreFront(writer), writer
    writer.close(timeout=0.1)


def test_a_learners_seat_through_the_front(front, writer):
    seat = front.create_seat(Seat.new(), client="browser:1")
    assert front.seat_of_token(seat.token) == seat and front.seat_of_code(seat.code) == seat
    assert front.seat_of_token("no-such-token") is None and front.weights_of_run(seat, "run-1") is None
    later = Seat.new()
    front.create_seat_later(later)
    front.touch_seat(later)
    front.delete_runs_of_seat(later)
    assert writer.flush(10) and front.seat_of_token(later.token) == later


def test_a_class_through_the_front_from_start_to_end(front, writer):
    info, key = front.start_class()
    queued = Seat.new()
    front.create_seat_later(queued)  # its creation may still wait: joining stores it first
    joined = front.join_class(queued, info.shown_code, "Ada")
    assert (joined.nickname, joined.seed) == ("Ada", 101)
    assert front.membership_and_class(queued) == (joined, info)
    assert front.class_of_code(info.code) == info == front.teachers_class(info.code, key)

    planned = front.set_plan(info.code, key, "hidden_layers", WIDTHS)
    assert planned.plan_values == WIDTHS and front.membership_and_class(queued)[0].slot == 0
    shown = front.set_class_options(info.code, key, controls={"epochs": "lock"}, show_standing=True,
                                    anonymous=False)
    assert dict(shown.controls) == {"epochs": "lock"} and shown.show_standing
    assert front.class_counts(info.code).joined == 1
    assert front.class_runs(info.code, key) == [] and front.class_accuracies(info.code) == []

    with pytest.raises(NotTheTeacher):  # a refusal, not a database that does not answer
        front.teachers_class(info.code, "not-the-key")
    assert writer.problem is None

    front.leave_class(queued)
    assert front.membership_and_class(queued) == (None, None)
    assert front.end_class(info.code, key) == 0  # runs deleted: none was trained in it
    assert front.class_of_code(info.code) is None
    with pytest.raises(ClassNotFound):
        front.join_class(Seat.new(), info.code, "Bo")


def test_without_the_database_the_front_raises_store_unavailable_and_queues_its_writes(unanswered):
    front, writer = unanswered
    seat = Seat.new()
    for asks in (lambda: front.seat_of_token(seat.token), lambda: front.create_seat(seat),
                 lambda: front.join_class(seat, "K7P2QX", "Ada"), lambda: front.start_class(),
                 lambda: front.class_runs("K7P2QX", "key"), lambda: front.end_class("K7P2QX", "key")):
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            asks()
    assert "cannot be reached" in writer.problem
    front.create_seat_later(seat)
    front.touch_seat(seat)
    assert writer.pending == 2

"""The students' write-ups in the run store, on SQLite and on a real PostgreSQL: answers and evidence
saved and read back, what is refused, the hand-in and its class, the teacher's list, what deletes
them, the writer's queued saves through an outage and a stop, a class's "write first" option, and a
database of revision 0008 brought up to date."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import DateTime, bindparam, create_engine, inspect, select, text, update

from fmnist_core.store import ClassNotFound, ClassWriteup, NotTheTeacher, RunStore, Seat, Writeup
from fmnist_core.store import front as store_front
from fmnist_core.store.class_rules import teacher_key_hash
from fmnist_core.store.errors import StoreUnavailable
from fmnist_core.store.front import StoreFront
from fmnist_core.store.migrate import alembic_config, upgrade
from fmnist_core.store.seats import token_hash
from fmnist_core.store.spool import Spool
from fmnist_core.store.tables import classes, seats, utc_now
from fmnist_core.store.writer import StoreWriter
from tests.test_store import row_counts, wait_until
from tests.test_store_classes import students
from tools.server import free_port

EPOCH = "An **epoch** is one pass over all 60,000 training images."
CHECKED_AGAINST = '{"models": [], "accuracies": [0.88], "whose": "your runs"}'  # opaque to the store
HOSTILE = "'; DROP TABLE writeups; --\n<script>alert(1)</script> $x$ 山田 🦊 a\u200db \x00 \\u0000 {{x}}"


pytestmark = pytest.mark.usefixtures("cheap_seat_codes")


def handed_in(store: RunStore, seat: Seat, answer: str = EPOCH) -> None:
    store.save_answer(seat, 4, answer)
    store.hand_in(seat)


# A student's write-up


def test_answers_and_evidence_come_back_as_they_were_saved(store):
    [seat] = students(store, 1)
    assert store.writeup_of(seat) is None
    before = utc_now()
    store.save_answer(seat, 1, "A first draft")
    store.save_answer(seat, 4, EPOCH)
    store.save_answer(seat, 1, HOSTILE)  # in place of the first draft
    store.save_answer(seat, 6, "x" * 20_000)  # as long as an answer may be
    store.set_evidence(seat, ["4:curve", "1:data", "1:data"])
    writeup = store.writeup_of(seat)
    assert isinstance(writeup, Writeup)
    assert writeup.answers == {1: HOSTILE, 2: "", 3: "", 4: EPOCH, 5: "", 6: "x" * 20_000}
    assert writeup.evidence == frozenset({"1:data", "4:curve"}) and writeup.handed_in_at is None
    assert before <= writeup.updated_at <= utc_now() and writeup.updated_at.tzinfo is not None
    assert (writeup.words(4), writeup.words(2), writeup.written) == (10, 0, True)
    assert "DROP" not in repr(writeup) and "epoch" not in repr(writeup) and "4:curve" in repr(writeup)

    store.save_answer(seat, 4, "")  # an answer emptied, the evidence untouched
    store.set_evidence(seat, [])
    assert store.writeup_of(seat).answers[4] == "" and store.writeup_of(seat).evidence == frozenset()
    [other] = students(store, 1)  # one seat never reaches another's write-up
    assert store.writeup_of(other) is None


@pytest.mark.parametrize(("answer", "words"), [
    ("", 0), ("  **  ", 0), ("# Epochs\n- one pass\n- *don't* stop", 5),
    ("Fashion-MNIST has 60,000 images; 0.88 accuracy.", 6), ("山田 🦊 word", 2)])
def test_an_answers_words_are_its_runs_of_letters_and_digits(answer, words):
    writeup = Writeup({**dict.fromkeys(range(1, 7), ""), 2: answer}, frozenset(), utc_now(), None)
    assert writeup.words(2) == words and writeup.written == (words > 0)
    with pytest.raises(ValueError, match="question must be a whole number between 1 and 6, got 7"):
        writeup.words(7)


THIRTY_ONE_KEYS = [f"{1 + number % 6}:{chr(ord('a') + number // 6)}" for number in range(31)]


@pytest.mark.parametrize(("write", "message"), [
    (lambda store, seat: store.save_answer(seat, 0, "x"),
     "question must be a whole number between 1 and 6, got 0"),
    (lambda store, seat: store.save_answer(seat, 7, "x"), "between 1 and 6, got 7"),
    (lambda store, seat: store.save_answer(seat, True, "x"), "between 1 and 6, got True"),
    (lambda store, seat: store.save_answer(seat, "1", "x"), "between 1 and 6, got '1'"),
    (lambda store, seat: store.save_answer(seat, 1, "x" * 20_001),
     "An answer has at most 20,000 characters, got 20,001"),
    (lambda store, seat: store.save_answer(seat, 1, None), "An answer is text, got NoneType"),
    (lambda store, seat: store.set_evidence(seat, "1:data"), "a collection of keys like '4:curve', got str"),
    (lambda store, seat: store.set_evidence(seat, ["7:data"]), "got '7:data'"),
    (lambda store, seat: store.set_evidence(seat, ["1:Data"]), "a colon and 1 to 20 of a-z and _"),
    (lambda store, seat: store.set_evidence(seat, ["1:" + "a" * 21]), "1 to 20 of a-z"),
    (lambda store, seat: store.set_evidence(seat, ["1:data\n"]), "got '1:data\\\\n'"),
    (lambda store, seat: store.set_evidence(seat, [1]), "got 1"),
    (lambda store, seat: store.set_evidence(seat, THIRTY_ONE_KEYS), "at most 30 keys, got 31"),
    (lambda store, seat: store.hand_in(seat, checked_against=b"{}"),
     "checked_against is text or None, got bytes"),
    (lambda store, seat: store.hand_in(seat, checked_against="x" * 1_000_001),
     "checked_against has at most 1,000,000 characters, got 1,000,001"),
])
def test_a_question_an_answer_or_evidence_the_store_refuses_writes_nothing(sqlite_url, write, message):
    store = RunStore(sqlite_url)
    [seat] = students(store, 1)
    with pytest.raises(ValueError, match=message):
        write(store, seat)
    assert store.writeup_of(seat) is None
    store.set_evidence(seat, THIRTY_ONE_KEYS[:30])  # thirty are allowed
    assert len(store.writeup_of(seat).evidence) == 30
    store.close()


def test_two_saves_at_once_on_two_servers_each_keep_their_answer(database_url):
    servers = [RunStore(database_url), RunStore(database_url)]
    [seat] = students(servers[0], 1)
    ready = threading.Barrier(6)

    def save(question: int) -> None:
        ready.wait()
        servers[question % 2].save_answer(seat, question, f"answer {question}")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(save, range(1, 7)))
    assert servers[1].writeup_of(seat).answers == {question: f"answer {question}" for question in range(1, 7)}
    for server in servers:
        server.close()


# Handing in, and the teacher's list


def test_a_hand_in_keeps_its_time_and_the_class_it_was_handed_in_under(store):
    [seat] = students(store, 1)
    first, first_key = store.start_class()
    second, second_key = store.start_class()
    with pytest.raises(ValueError, match="Write at least one answer before handing in the write-up."):
        store.hand_in(seat)
    store.save_answer(seat, 2, "  **  ")  # no word yet
    with pytest.raises(ValueError, match="Write at least one answer"):
        store.hand_in(seat)
    assert store.writeup_of(seat).handed_in_at is None

    store.join_class(seat, first.code, "Ada")
    store.save_answer(seat, 4, EPOCH)
    before = utc_now()
    handed = store.hand_in(seat, checked_against=CHECKED_AGAINST)
    assert before <= handed <= utc_now() and store.writeup_of(seat).handed_in_at == handed
    [listed] = store.class_writeups(first.code, first_key)
    assert (listed.handed_in_at, listed.checked_against) == (handed, CHECKED_AGAINST)
    assert "whose" not in repr(listed)
    store.save_answer(seat, 5, "Edited after the hand-in")  # still handed in, under the same class
    writeup = store.writeup_of(seat)
    assert writeup.handed_in_at == handed < writeup.updated_at
    assert store.hand_in(seat) > handed  # handed in again: a new time

    store.join_class(seat, second.code, "Ada")  # joining another class moves nothing yet
    assert len(store.class_writeups(first.code, first_key)) == 1
    store.set_evidence(seat, ["4:curve"])  # saved under the second class: no longer handed in
    assert store.writeup_of(seat).handed_in_at is None
    assert store.class_writeups(first.code, first_key) == store.class_writeups(second.code, second_key) == []
    store.hand_in(seat)
    [listed] = store.class_writeups(second.code, second_key)
    assert (listed.evidence, listed.checked_against) == ({"4:curve"}, None)


def test_the_teacher_sees_the_writeups_handed_in_in_join_order_with_nicknames(store):
    info, key = store.start_class()
    other, other_key = store.start_class()
    ada, bo, cy, dee = students(store, 4)
    for seat, nickname in ((ada, "Ada"), (bo, "Bo"), (cy, "Cy"), (dee, "Dee")):
        store.join_class(seat, info.code, nickname)
    handed_in(store, dee, "Dee's epoch")  # handed in first, listed last: join order
    store.save_answer(bo, 1, "Not handed in")
    handed_in(store, cy, "Cy's epoch")
    store.leave_class(cy)  # left: still listed, under the nickname Cy had
    handed_in(store, ada)
    store.set_evidence(ada, ["4:curve", "1:data"])

    listed = store.class_writeups(info.shown_code.lower(), key)
    assert [(writeup.number, writeup.nickname, writeup.answers[4]) for writeup in listed] == [
        (1, "Ada", EPOCH), (3, "Cy", "Cy's epoch"), (4, "Dee", "Dee's epoch")]
    assert all(isinstance(writeup, ClassWriteup) for writeup in listed)
    assert listed[0].evidence == {"1:data", "4:curve"} and listed[0].updated_at > listed[0].handed_in_at
    assert listed[0].words(4) == 10 and set(listed[0].answers) == set(range(1, 7))
    assert "Ada" not in repr(listed[0]) and "epoch" not in repr(listed[0]) and "number=1" in repr(listed[0])
    assert store.class_writeups(other.code, other_key) == []
    for code, wrong in ((info.code, "not-the-key"), (info.code, other_key), (info.code, None)):
        with pytest.raises(NotTheTeacher):
            store.class_writeups(code, wrong)
    with pytest.raises(ClassNotFound):
        store.class_writeups("K0P2QX", key)


# What deletes a write-up


def test_ending_a_class_deletes_its_writeups_and_no_other(store):
    ended, ended_key = store.start_class()
    kept, _kept_key = store.start_class()
    handed, drafted, elsewhere, alone = students(store, 4)
    store.join_class(handed, ended.code, "Handed")
    store.join_class(drafted, ended.code, "Drafted")
    store.join_class(elsewhere, kept.code, "Elsewhere")
    handed_in(store, handed)
    store.save_answer(drafted, 1, "A draft, saved in the class")
    handed_in(store, elsewhere)
    store.save_answer(alone, 1, "Written outside any class")
    assert row_counts(store)["writeups"] == 4

    assert store.end_class(ended.code, ended_key) == 0
    assert store.writeup_of(handed) is None and store.writeup_of(drafted) is None
    assert store.writeup_of(elsewhere).handed_in_at is not None and store.writeup_of(alone).answers[1]
    counts = row_counts(store)
    assert (counts["writeups"], counts["seats"], counts["members"], counts["classes"]) == (2, 4, 1, 1)
    store.save_answer(handed, 1, "Starting again")  # the seat goes on, with a new write-up
    assert store.writeup_of(handed).answers[1] == "Starting again"


def test_a_writeup_keeps_its_seat_from_the_days_rule_and_goes_with_it(store):
    writer_seat, idle = students(store, 2)
    store.save_answer(writer_seat, 3, "Dense layers")
    now = utc_now()
    with store.engine.begin() as connection:  # age the seats: the store itself always writes "now"
        connection.execute(update(seats).values(last_seen_at=now - timedelta(days=2)))
    store.delete_expired(30, now=now)
    assert store.seat_of_token(idle.token) is None  # never used: gone after a day
    assert store.writeup_of(writer_seat).answers[3] == "Dense layers"  # used: kept
    store.delete_expired(30, now=now + timedelta(days=31))  # unseen for 30 days: it goes, with it
    assert store.seat_of_token(writer_seat.token) is None
    assert row_counts(store)["writeups"] == 0


# Through the writer and the front


def test_queued_saves_wait_while_postgresql_is_down_and_a_hand_in_waits_for_them(
        postgresql_url, stoppable_postgres, monkeypatch):
    monkeypatch.setattr(store_front, "HAND_IN_WAIT_SECONDS", 0.3)
    writer = StoreWriter(lambda: RunStore(postgresql_url, busy_timeout=2), retry_seconds=0.05,
                         max_retry_seconds=0.5)
    front = StoreFront(writer)
    seat = Seat.new()
    writer.create_seat(seat)
    assert writer.flush(10)

    stoppable_postgres.stop()
    front.save_answer(seat, 4, EPOCH)
    front.set_evidence(seat, ["4:curve"])
    with pytest.raises(ValueError, match="got 9"):  # refused at once, never queued
        front.save_answer(seat, 9, "x")
    wait_until(lambda: not writer.healthy)
    assert writer.pending == 2
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        front.hand_in(seat)

    stoppable_postgres.start()
    monkeypatch.setattr(store_front, "HAND_IN_WAIT_SECONDS", 30.0)
    handed = front.hand_in(seat)  # the saves go in first
    writeup = front.writeup_of(seat)
    assert (writeup.answers[4], writeup.evidence, writeup.handed_in_at) == (EPOCH, {"4:curve"}, handed)
    assert writer.close()


def test_queued_saves_a_stop_could_not_write_are_written_at_the_next_start(tmp_path, sqlite_url):
    spool = Spool(tmp_path / "spool" / "pending.pickle")
    nowhere = f"postgresql://learner@127.0.0.1:{free_port()}/runs"  # nothing listens there
    down = StoreWriter(lambda: RunStore(nowhere, busy_timeout=1), retry_seconds=0.05, max_retry_seconds=0.1,
                       spool=spool)
    seat = Seat.new()
    down.create_seat(seat)
    down.save_answer(seat, 1, HOSTILE)
    down.set_evidence(seat, {"1:data", "2:scale"})
    assert not down.close(0.3)
    assert [what for *_, what in spool.load()] == ["create_seat", "save_answer 1", "set_evidence"]

    up = StoreWriter(lambda: RunStore(sqlite_url), spool=spool)
    assert up.flush(10)
    writeup = up.read(lambda store: store.writeup_of(seat))
    assert (writeup.answers[1], writeup.evidence) == (HOSTILE, {"1:data", "2:scale"})
    assert up.close()


def test_the_front_hands_in_lists_and_passes_write_first_through(sqlite_url):
    writer = StoreWriter(lambda: RunStore(sqlite_url))
    front = StoreFront(writer)
    info, key = front.start_class()
    assert info.write_first is False
    seat = front.create_seat(Seat.new())
    front.join_class(seat, info.code, "Ada")
    front.save_answer(seat, 2, "So the gradients stay small.")
    front.set_evidence(seat, ["2:scale"])
    handed = front.hand_in(seat)  # right after the queued saves: they go in first
    [listed] = front.class_writeups(info.code, key)
    assert (listed.nickname, listed.handed_in_at, listed.evidence) == ("Ada", handed, {"2:scale"})

    options = dict(controls={"epochs": "lock"}, show_standing=True, anonymous=False)
    assert front.set_class_options(info.code, key, **options, write_first=True).write_first
    assert front.set_class_options(info.code, key, **options).write_first  # None: as it was
    assert front.class_of_code(info.code).write_first
    assert front.end_class(info.code, key) == 0 and front.writeup_of(seat) is None
    writer.close()


def test_write_first_is_a_class_option_like_the_others(store):
    info, key = store.start_class()
    shown = store.set_class_options(info.code, key, show_standing=True, controls={"epochs": "hide"})
    written = store.set_class_options(info.code, key, write_first=True)
    assert written.write_first and (written.show_standing, written.controls) == (True, (("epochs", "hide"),))
    assert store.class_of_code(info.code) == written == store.teachers_class(info.code, key)
    assert store.set_class_options(info.code, key, write_first=False) == shown
    with pytest.raises(ValueError, match="write_first must be True or False; got 1"):
        store.set_class_options(info.code, key, write_first=1)


# A database of revision 0008


KEY_OF_0008 = "frozen-teacher-key-0008"
ROWS_OF_0008 = [
    """INSERT INTO classes (code, teacher_key_hash, created_at, capacity, show_standing)
       VALUES ('K7P2QX', :key_hash, :now, 30, :yes)""",
    """INSERT INTO seats (token_hash, code_hash, token_locked, code_locked, created_at, last_seen_at)
       VALUES (:token_hash, :token_hash, :locked, :locked, :now, :now)""",
    """INSERT INTO members (class_id, seat_id, nickname, nickname_key, joined_at, seed)
       VALUES ((SELECT id FROM classes WHERE code = 'K7P2QX'),
               (SELECT id FROM seats WHERE token_hash = :token_hash), 'Ada', 'ada', :now, 101)""",
]


def test_a_database_of_revision_0008_gets_writeups_and_its_classes_do_not_ask_to_write_first(database_url):
    seat = Seat.new()
    values = {"key_hash": teacher_key_hash(KEY_OF_0008), "token_hash": token_hash(seat.token),
              "locked": b"locked", "now": utc_now(), "yes": True}
    engine = create_engine(database_url)
    with engine.begin() as connection:
        upgrade(connection, "0008")
        for statement in ROWS_OF_0008:
            connection.execute(text(statement).bindparams(bindparam("now", type_=DateTime(timezone=True))),
                               values)
    engine.dispose()

    store = RunStore(database_url)
    info = store.teachers_class("K7P2QX", KEY_OF_0008)
    assert (info.write_first, info.show_standing, info.capacity) == (False, True, 30)
    assert row_counts(store)["writeups"] == 0 and store.writeup_of(seat) is None
    handed_in(store, seat)
    listed = store.class_writeups("K7P2QX", KEY_OF_0008)
    assert [(writeup.number, writeup.nickname) for writeup in listed] == [(1, "Ada")]
    assert store.set_class_options("K7P2QX", KEY_OF_0008, write_first=True).write_first
    store.close()

    with engine.begin() as connection:  # and back: 0009 undone keeps the class
        command.downgrade(alembic_config(connection), "0008")
        assert "writeups" not in inspect(connection).get_table_names()
        assert "write_first" not in {column["name"] for column in inspect(connection).get_columns("classes")}
        assert connection.execute(select(classes.c.code)).scalars().all() == ["K7P2QX"]
    engine.dispose()

"""A teacher's class in the run store, on SQLite and on a real PostgreSQL: codes and keys, joining
(balanced slots, seeds, capacity, many at once), the plan, the board, counts, standing, ending it."""

import itertools
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import DateTime, bindparam, create_engine, select, text, update
from sqlalchemy.exc import IntegrityError

from fmnist_core.config import ExperimentConfig
from fmnist_core.run import RunState
from fmnist_core.store import (
    ClassCounts,
    ClassFull,
    ClassNotFound,
    ClassRun,
    Membership,
    NotTheTeacher,
    RunStore,
    Seat,
    UnknownSeat,
    fewest_first,
)
from fmnist_core.store.class_rules import NicknameTaken, check_nickname, free_nickname, nickname_key
from fmnist_core.store.migrate import upgrade
from fmnist_core.store.seats import CODE_ALPHABET
from fmnist_core.store.tables import classes, members, runs, utc_now
from tests.test_store import CONFIG, finish, record, row_counts

RUN_ID = "run-1"
WIDTHS = ("32", "64", "128", "256", "512")
# "<script>alert(1)</script>" itself is 25 characters, one too many (see the refused nicknames).
HOSTILE_NICKNAMES = ["**x**", "<script>alert()</script>", "[a](javascript:alert(1))", "$x$", "Zoë",
                     "山田", "مرحبا", "🦊🦊", "'; DROP TABLE seats; --", "<b>x</b>", "{{x}}", "%s%n",
                     "a\u200db"]


pytestmark = pytest.mark.usefixtures("cheap_seat_codes")


def students(store: RunStore, count: int) -> list[Seat]:
    return [store.create_seat(Seat.new()) for _ in range(count)]


def spread(slots) -> int:
    """max - min of how many members each value has."""
    counts = Counter(slots)
    return max(counts[slot] for slot in range(len(WIDTHS))) - min(counts[slot] for slot in range(len(WIDTHS)))


def current_slots(store: RunStore, code: str) -> list[int | None]:
    with store.engine.connect() as connection:
        return connection.scalars(select(members.c.slot).select_from(members.join(classes)).where(
            classes.c.code == code, members.c.left_at.is_(None)).order_by(members.c.id)).all()


def confusion(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 1000, (10, 10))


# The plan's round-robin, alone


def test_fewest_first_is_the_lowest_index_of_those_with_fewest():
    assert fewest_first([0]) == 0
    assert fewest_first([0, 0, 0]) == 0
    assert fewest_first([1, 0, 0]) == 1
    assert fewest_first([1, 1, 0]) == 2
    assert fewest_first([3, 1, 2, 1]) == 1
    with pytest.raises(ValueError):
        fewest_first([])


def test_fewest_first_keeps_a_round_robin_balanced_as_members_leave_and_join():
    counts = [0] * 5
    slots = []
    for _ in range(12):
        slot = fewest_first(counts)
        counts[slot] += 1
        slots.append(slot)
    assert slots == [number % 5 for number in range(12)] and counts == [3, 3, 2, 2, 2]
    for leaving in (2, 2, 3):  # three leave, two of them from one value
        counts[leaving] -= 1
    assert counts == [3, 3, 0, 1, 2]
    for _ in range(3):
        counts[fewest_first(counts)] += 1
    assert counts == [3, 3, 2, 2, 2]


# Starting and finding a class


def test_a_new_class_has_a_code_for_the_board_and_a_key_stored_only_as_its_hash(store):
    info, key = store.start_class()
    assert len(info.code) == 6 and set(info.code) <= set(CODE_ALPHABET)
    assert info.shown_code == f"{info.code[:3]}-{info.code[3:]}"
    assert len(key) == 22 and store.start_class()[1] != key
    assert (info.plan_setting, info.plan_values, dict(info.controls)) == (None, (), {})
    assert (info.show_standing, info.anonymous, info.capacity) == (False, False, 200)
    assert info.created_at.tzinfo is not None
    with store.engine.connect() as connection:
        row = connection.execute(select(classes).where(classes.c.code == info.code)).one()
    assert key not in repr(tuple(row)) and len(row.teacher_key_hash) == 64


def test_a_class_is_found_by_its_code_however_it_is_typed(store):
    info, _key = store.start_class(capacity=30)
    loosely = f" {info.code[:3].lower()} {info.code[3:]} "
    for typed in (info.code, info.shown_code, info.code.lower(), loosely):
        assert store.class_of_code(typed) == info
    assert store.class_of_code("K0P-2QX") is None and store.class_of_code("") is None
    assert store.class_of_code(next(code for code in ("222222", "333333") if code != info.code)) is None


@pytest.mark.parametrize("capacity", [0, 1001, -5, True, "200", 2.0])
def test_a_class_takes_one_to_a_thousand_students(sqlite_url, capacity):
    store = RunStore(sqlite_url)
    with pytest.raises(ValueError, match="1 to 1000 students"):
        store.start_class(capacity)
    store.close()


def test_only_the_teachers_key_opens_the_class(store):
    info, key = store.start_class()
    other, other_key = store.start_class()
    assert store.teachers_class(info.shown_code.lower(), key) == info
    for wrong in (Seat.new().token, other_key, key[:-1], "", None):
        with pytest.raises(NotTheTeacher, match=r"^This link's teacher key is not this class's\.$"):
            store.teachers_class(info.code, wrong)
    with pytest.raises(ClassNotFound, match=r"^No class has the code 222-222: check it on the board\.$"):
        store.teachers_class("222222" if info.code != "222222" else "333333", key)
    with pytest.raises(ClassNotFound, match="A class code is 6 letters and digits, like K7P-2QX"):
        store.teachers_class("nonsense", key)

    seat = students(store, 1)[0]
    store.join_class(seat, info.code, "Ada")
    for teachers_only in (lambda: store.set_plan(info.code, other_key, "hidden_layers", WIDTHS),
                          lambda: store.set_class_options(info.code, other_key, anonymous=True),
                          lambda: store.class_runs(info.code, other_key),
                          lambda: store.end_class(info.code, other_key)):
        with pytest.raises(NotTheTeacher):
            teachers_only()
    assert store.class_of_code(info.code) == info and store.membership_of(seat) is not None


# Joining


def test_slots_stay_balanced_as_students_join_leave_and_join(store):
    info, key = store.start_class()
    store.set_plan(info.code, key, "hidden_layers", WIDTHS)
    first = students(store, 12)
    joined = [store.join_class(seat, info.code, f"Student {number}") for number, seat in enumerate(first)]
    assert [membership.slot for membership in joined] == [number % 5 for number in range(12)]
    assert [membership.seed for membership in joined] == list(range(101, 113))

    for seat in (first[2], first[7], first[3]):  # two of slot 2, one of slot 3
        store.leave_class(seat)
    assert store.membership_of(first[2]) is None
    later = [store.join_class(seat, info.code, f"Late {n}") for n, seat in enumerate(students(store, 3))]
    assert [membership.slot for membership in later] == [2, 2, 3]
    slots = current_slots(store, info.code)
    assert len(slots) == 12 and spread(slots) <= 1
    seeds = [membership.seed for membership in joined + later]
    assert len(set(seeds)) == 15 and seeds[-3:] == [113, 114, 115]
    assert store.class_counts(info.code) == ClassCounts(joined=12, waiting=0, training=0, finished=0)


def test_joining_again_gives_the_same_membership_with_the_new_nickname(store):
    info, _key = store.start_class()
    seat = students(store, 1)[0]
    first = store.join_class(seat, info.code, "Ada")
    again = store.join_class(seat, info.shown_code.lower(), "Ada L.")
    assert (again.code, again.slot, again.seed, again.joined_at) == (first.code, first.slot, first.seed,
                                                                    first.joined_at)
    assert again.nickname == "Ada L." and store.membership_of(seat) == again
    assert row_counts(store)["members"] == 1
    assert "Ada" not in repr(again)


def test_a_student_who_left_comes_back_with_their_seed(store):
    info, _key = store.start_class()
    seat, other = students(store, 2)
    first = store.join_class(seat, info.code, "Ada")
    store.join_class(other, info.code, "Bo")
    store.leave_class(seat)
    store.leave_class(seat)  # again: nothing to leave
    back = store.join_class(seat, info.code, "Ada")
    assert back.seed == first.seed == 101 and back.joined_at > first.joined_at
    assert store.class_counts(info.code).joined == 2 and row_counts(store)["members"] == 2


def test_a_full_class_says_so_until_someone_leaves(store):
    info, _key = store.start_class(capacity=2)
    first, second, third = students(store, 3)
    store.join_class(first, info.code, "A")
    store.join_class(second, info.code, "B")
    with pytest.raises(ClassFull, match=r"^This class is full: 2 students have joined\.$"):
        store.join_class(third, info.code, "C")
    assert store.membership_of(third) is None
    store.join_class(second, info.code, "B again")  # a member is already counted
    store.leave_class(first)
    assert store.join_class(third, info.code, "C").seed == 103


def test_a_wrong_code_or_an_unknown_seat_joins_nothing(store):
    info, _key = store.start_class()
    seat = students(store, 1)[0]
    with pytest.raises(ClassNotFound, match="check it on the board"):
        store.join_class(seat, "222222" if info.code != "222222" else "333333", "Ada")
    with pytest.raises(UnknownSeat):
        store.join_class(Seat.new(), info.code, "Ada")
    with pytest.raises(ClassNotFound):
        store.class_counts("K0P-2QX")
    assert row_counts(store)["members"] == 0


def test_joining_another_class_leaves_the_first(store):
    first, _ = store.start_class()
    second, second_key = store.start_class()
    seat = students(store, 1)[0]
    store.join_class(seat, first.code, "Ada")
    store.start_run(seat, "in-first", "Run 1", CONFIG)
    moved = store.join_class(seat, second.code, "Ada")
    assert store.membership_of(seat) == moved and moved.code == second.code and moved.seed == 101
    assert store.class_counts(first.code).joined == 0 and store.class_counts(second.code).joined == 1
    store.start_run(seat, "in-second", "Run 2", CONFIG)
    assert [run.name for run in store.class_runs(second.code, second_key)] == ["Run 2"]
    assert store.class_counts(first.code).training == 1  # a run stays the class's it was trained for


def test_every_hostile_nickname_comes_back_byte_identical(store):
    info, key = store.start_class()
    seats = students(store, len(HOSTILE_NICKNAMES))
    for seat, nickname in zip(seats, HOSTILE_NICKNAMES):
        store.join_class(seat, info.code, nickname)
        store.start_run(seat, RUN_ID, "Run 1", CONFIG)
    assert [store.membership_of(seat).nickname for seat in seats] == HOSTILE_NICKNAMES
    assert [run.nickname.encode() for run in store.class_runs(info.code, key)] == [
        nickname.encode() for nickname in HOSTILE_NICKNAMES]


def test_a_nickname_is_kept_trimmed_and_composed_as_the_page_shows_it(store):
    info, _key = store.start_class()
    padded, decomposed = students(store, 2)
    assert store.join_class(padded, info.code, " padded ").nickname == "padded"
    assert store.join_class(decomposed, info.code, "Zoe\u0308").nickname == "Zoë"
    assert store.membership_of(decomposed).nickname == "Zoë"


@pytest.mark.parametrize("nickname", ["x" * 25, "<script>alert(1)</script>", "", "   ", "\t\n", None, 7,
                                      "nul\0", "a\nb", "\u202eevil"])
def test_a_nickname_empty_too_long_or_with_control_characters_is_refused(sqlite_url, nickname):
    store = RunStore(sqlite_url)
    info, _key = store.start_class()
    seat = students(store, 1)[0]
    with pytest.raises(ValueError, match="nickname") as refused:
        store.join_class(seat, info.code, nickname)
    assert not isinstance(nickname, str) or not nickname.strip() or nickname not in str(refused.value)
    assert store.join_class(seat, info.code, "y" * 24).nickname == "y" * 24
    store.close()


# One nickname per class


@pytest.mark.parametrize("one, other", [("Ada", " ada "), ("Ada", "A da"), ("Ada", "ADA"), ("Ada", "ａｄａ"),
                                        ("Zoë", "ZOE\u0308"), ("Ada Lovelace", "adalovelace")])
def test_nicknames_are_the_same_whatever_their_case_and_spaces(one, other):
    assert nickname_key(one) == nickname_key(other)


@pytest.mark.parametrize("one, other", [("Ada", "Ada 2"), ("Ada", "Adb"), ("Zoë", "Zoe"), ("山田", "田山")])
def test_nicknames_that_differ_otherwise_are_not_the_same(one, other):
    assert nickname_key(one) != nickname_key(other)


@pytest.mark.parametrize("nickname, taken, suggested", [
    ("Ada", {"ada"}, "Ada 2"),
    ("ada", {"ada", "ada2"}, "ada 3"),
    ("Ada 2", {"ada", "ada2"}, "Ada 3"),
    ("Ada 2", {"ada2"}, "Ada 3"),
    ("y" * 24, {"y" * 24}, "y" * 22 + " 2"),
    ("Brave   Otter", {"braveotter"}, "Brave   Otter 2"),
    ("7", {"7"}, "7 2"),
])
def test_a_taken_nickname_gets_the_first_free_number(nickname, taken, suggested):
    assert free_nickname(nickname, taken) == suggested
    assert check_nickname(suggested) == suggested and nickname_key(suggested) not in taken


def test_a_nickname_a_current_member_has_is_refused_with_one_nobody_has(store):
    info, key = store.start_class()
    ada, ada_two, late, again = students(store, 4)
    store.join_class(ada, info.code, "Ada")
    store.join_class(ada_two, info.code, "Ada 2")
    for typed in ("Ada", " ada ", "A da", "ADA"):
        with pytest.raises(NicknameTaken) as refused:
            store.join_class(late, info.code, typed)
        assert refused.value.suggestion == free_nickname(typed.strip(), {"ada", "ada2"})
    assert str(refused.value) == ("Someone in this class already has this nickname (capitals and spaces "
                                  "do not count): join as “ADA 3”, or choose another.")
    assert store.membership_of(late) is None and store.class_counts(info.code).joined == 2
    assert store.join_class(late, info.code, refused.value.suggestion).nickname == "ADA 3"
    assert store.join_class(ada, info.code, "ADA").nickname == "ADA"  # their own, in capitals
    with pytest.raises(NicknameTaken):
        store.join_class(ada, info.code, "ada 2")  # a classmate's, even for a member already in

    store.leave_class(ada)  # a nickname is free again once its member has left
    assert store.join_class(again, info.code, "ada").nickname == "ada"
    with pytest.raises(NicknameTaken):
        store.join_class(ada, info.code, "Ada")  # and whoever left finds it taken on coming back
    other, _ = store.start_class()
    assert store.join_class(ada, other.code, "Ada").code == other.code  # another class is another room
    assert [run.nickname for run in store.class_runs(info.code, key)] == []


def test_the_database_itself_refuses_two_current_members_with_one_nickname(store):
    info, _key = store.start_class()
    first, second = students(store, 2)
    store.join_class(first, info.code, "Ada")
    store.join_class(second, info.code, "Bo")
    # As a server would that did not check first (an older version, say):
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(update(members).where(members.c.nickname == "Bo")
                           .values(nickname="ada", nickname_key=nickname_key("ada")))
    store.leave_class(first)
    with store.engine.begin() as connection:  # a member who left holds no nickname
        connection.execute(update(members).where(members.c.nickname == "Bo")
                           .values(nickname="ada", nickname_key=nickname_key("ada")))


def test_two_students_joining_at_once_with_one_nickname_one_is_refused(database_url):
    first = RunStore(database_url)
    info, _key = first.start_class()
    seats = students(first, 2)
    stores = [first, RunStore(database_url, migrate=False)]  # as two servers
    both_at_once = threading.Barrier(2)

    def join(number: int) -> Membership | NicknameTaken:
        both_at_once.wait()
        try:
            return stores[number].join_class(seats[number], info.code, ("Ada", " ADA ")[number])
        except NicknameTaken as refused:
            return refused

    for _ in range(5):
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(join, range(2)))
        refused = [answer for answer in answers if isinstance(answer, NicknameTaken)]
        assert len(refused) == 1 and refused[0].suggestion in ("Ada 2", "ADA 2")
        assert first.class_counts(info.code).joined == 1
        for seat in seats:
            first.leave_class(seat)
    for store in stores:
        store.close()


# A class under way when the database was made by revision 0006: each class's members, in join
# order (nickname, left the class?); a seat of its own each.
CLASSES_OF_0006 = {"AAAAAA": [("Ada", False), ("ADA", False), ("A da", False), ("Ada", True), ("Bo", False)],
                   "BBBBBB": [("ada", False)]}
ROWS_OF_0006 = {
    "classes": """INSERT INTO classes (code, teacher_key_hash, created_at, capacity)
                  VALUES (:code, :code, :now, 30)""",
    "seats": """INSERT INTO seats (token_hash, code_hash, token_locked, code_locked, created_at,
                                   last_seen_at)
                VALUES (:hash, :hash, :locked, :locked, :now, :now)""",
    "members": """INSERT INTO members (class_id, seat_id, nickname, joined_at, left_at, seed)
                  VALUES ((SELECT id FROM classes WHERE code = :code),
                          (SELECT id FROM seats WHERE token_hash = :hash), :nickname, :now, :left, :seed)""",
}


def test_a_class_of_revision_0006_keeps_one_nickname_per_current_member(database_url):
    engine = create_engine(database_url)
    rows = {table: text(sql).bindparams(*(bindparam(name, type_=DateTime(timezone=True))
                                          for name in ("now", "left") if f":{name}" in sql))
            for table, sql in ROWS_OF_0006.items()}
    seat_hashes = (f"{number:064d}" for number in itertools.count())
    with engine.begin() as connection:
        upgrade(connection, "0006")
        for code, joined in CLASSES_OF_0006.items():
            connection.execute(rows["classes"], {"code": code, "now": utc_now()})
            for seed, (nickname, left) in enumerate(joined, start=101):
                seat_hash = next(seat_hashes)
                connection.execute(rows["seats"], {"hash": seat_hash, "locked": b"x", "now": utc_now()})
                connection.execute(rows["members"], {
                    "code": code, "hash": seat_hash, "nickname": nickname, "now": utc_now(),
                    "left": utc_now() if left else None, "seed": seed})
    engine.dispose()

    store = RunStore(database_url)
    with store.engine.connect() as connection:
        found = connection.execute(select(classes.c.code, members.c.nickname, members.c.nickname_key)
                                   .select_from(members.join(classes)).order_by(members.c.id)).all()
    assert found == [("AAAAAA", "Ada", "ada"), ("AAAAAA", "ADA 2", "ada2"), ("AAAAAA", "A da 3", "ada3"),
                     ("AAAAAA", "Ada", "ada"),  # had left: kept as it was
                     ("AAAAAA", "Bo", "bo"), ("BBBBBB", "ada", "ada")]  # another class, another room
    with pytest.raises(NicknameTaken, match="“ada 4”"):
        store.join_class(students(store, 1)[0], "AAAAAA", "ada")
    store.close()


# The teacher's plan and options


def test_setting_a_plan_gives_every_current_member_a_slot_in_join_order(store):
    info, key = store.start_class()
    seats = students(store, 5)
    assert [store.join_class(seat, info.code, f"S{n}").slot for n, seat in enumerate(seats)] == [None] * 5
    store.leave_class(seats[1])
    planned = store.set_plan(info.code, key, "learning_rate", ["0.0010", "0.01", "1e-4"])
    assert (planned.plan_setting, planned.plan_values) == ("learning_rate", ("0.001", "0.01", "0.0001"))
    assert store.class_of_code(info.code) == planned
    assert current_slots(store, info.code) == [0, 1, 2, 0]
    assert [store.membership_of(seat).slot for seat in seats[2:]] == [1, 2, 0]

    replanned = store.set_plan(info.code, key, "hidden_layers", WIDTHS)
    assert replanned.plan_values == WIDTHS and current_slots(store, info.code) == [0, 1, 2, 3]
    assert store.join_class(seats[1], info.code, "Back").slot == 4
    cleared = store.set_plan(info.code, key, None, ())
    assert (cleared.plan_setting, cleared.plan_values) == (None, ())
    assert current_slots(store, info.code) == [None] * 5


@pytest.mark.parametrize("setting, values, message", [
    ("no_such_setting", ["1"], "no setting"),
    ("seed", ["1", "2"], "seed of its own"),
    ("hidden_layers", [], "1 to 20 values"),
    ("hidden_layers", "64", "1 to 20 values"),
    ("hidden_layers", ["64", "abc"], "'abc' is not a value"),
    ("epochs", ["5", 10], "texts"),
    ("epochs", ["5", "500"], "between 1 and 100"),
    ("learning_rate", ["0.001", "1e-3"], "must differ"),
])
def test_a_plan_the_settings_do_not_allow_is_refused(sqlite_url, setting, values, message):
    store = RunStore(sqlite_url)
    info, key = store.start_class()
    with pytest.raises(ValueError, match=message):
        store.set_plan(info.code, key, setting, values)
    assert store.class_of_code(info.code) == info
    store.close()


def test_class_options_change_only_those_given(store):
    info, key = store.start_class()
    locked = store.set_class_options(info.code, key, controls={"optimizer": "hide", "epochs": "lock"})
    assert locked.controls == (("epochs", "lock"), ("optimizer", "hide"))
    assert dict(locked.controls) == {"epochs": "lock", "optimizer": "hide"}
    shown = store.set_class_options(info.code, key, show_standing=True)
    assert (shown.controls, shown.show_standing, shown.anonymous) == (locked.controls, True, False)
    hidden = store.set_class_options(info.code, key, anonymous=True, show_standing=False, controls={})
    assert (hidden.controls, hidden.show_standing, hidden.anonymous) == ((), False, True)
    assert store.set_class_options(info.code, key) == hidden == store.class_of_code(info.code)
    for bad in ({"controls": {"epochs": "delete"}}, {"controls": {"nope": "lock"}}, {"anonymous": 1}):
        with pytest.raises(ValueError):
            store.set_class_options(info.code, key, **bad)


# Runs of the class: the board, the counts, where you stand


def test_the_board_has_the_members_runs_with_nickname_number_and_confusion(store):
    info, key = store.start_class()
    ada, bo, outsider = students(store, 3)
    store.join_class(ada, info.code, "Ada")
    store.join_class(bo, info.code, "Bo")
    wide = CONFIG.with_changes(hidden_layers=(512,))
    for seat, run_id, config in ((bo, "bo-1", CONFIG), (ada, "ada-1", wide), (outsider, "out-1", CONFIG)):
        store.queue_run(seat, run_id, run_id, config)
        store.start_run(seat, run_id, run_id, config)
        store.save_epoch(seat, run_id, record(1))
        store.save_epoch(seat, run_id, record(2))
    finish(store, bo, "bo-1", confusion=confusion(1), test_accuracy=0.81, seconds=30.0)
    store.queue_run(ada, "ada-2", "ada-2", CONFIG)
    store.leave_class(bo)
    store.start_run(bo, "bo-after", "bo-after", CONFIG)  # trained after leaving: not the class's

    board = store.class_runs(info.code, key)
    assert [(run.member, run.nickname, run.name, run.state) for run in board] == [
        (2, "Bo", "bo-1", RunState.DONE), (1, "Ada", "ada-1", RunState.RUNNING),
        (1, "Ada", "ada-2", RunState.WAITING)]
    done, running, waiting = board
    assert isinstance(done, ClassRun) and done.config == CONFIG and running.config == wide
    assert (done.test_accuracy, done.seconds) == (0.81, 30.0) and done.finished_at >= done.created_at
    assert done.confusion.dtype == np.int32 and done.confusion.shape == (10, 10)
    np.testing.assert_array_equal(done.confusion, confusion(1))
    assert np.isnan(running.test_accuracy) and running.seconds == 3.0 and running.confusion is None
    assert (waiting.seconds, waiting.finished_at) == (0.0, None)


def test_the_counts_are_of_members_and_of_the_classs_runs_by_state(store):
    info, _key = store.start_class()
    seats = students(store, 4)
    for number, seat in enumerate(seats):
        store.join_class(seat, info.code, f"S{number}")
    store.queue_run(seats[0], "waiting-1", "w", CONFIG)
    store.queue_run(seats[1], "waiting-2", "w", CONFIG)
    store.start_run(seats[2], "running", "r", CONFIG)
    for run_id, state in (("done", RunState.DONE), ("stopped", RunState.STOPPED),
                          ("interrupted", RunState.INTERRUPTED)):
        store.start_run(seats[3], run_id, run_id, CONFIG)
        finish(store, seats[3], run_id, state=state)
    store.leave_class(seats[0])
    store.start_run(students(store, 1)[0], "outsider", "o", CONFIG)
    assert store.class_counts(info.shown_code) == ClassCounts(joined=3, waiting=2, training=1, finished=2)


def test_where_you_stand_is_each_current_members_latest_finished_accuracy(store):
    info, _key = store.start_class()
    ada, bo, cy, dee = students(store, 4)
    for seat, name in ((ada, "Ada"), (bo, "Bo"), (cy, "Cy"), (dee, "Dee")):
        store.join_class(seat, info.code, name)
    for seat, run_id, accuracy in ((ada, "a1", 0.90), (ada, "a2", 0.80), (bo, "b1", 0.85), (cy, "c1", 0.95)):
        store.start_run(seat, run_id, run_id, CONFIG)
        finish(store, seat, run_id, test_accuracy=accuracy)
    store.start_run(bo, "b2", "b2", CONFIG)  # still training: Bo stands by b1
    store.start_run(dee, "d1", "d1", CONFIG)
    store.leave_class(cy)
    assert store.class_accuracies(info.code) == [0.85, 0.80]
    assert store.class_accuracies(info.code.lower()) == [0.85, 0.80]


def test_ending_a_class_deletes_its_memberships_and_its_runs_never_a_seat_nor_another_run(store):
    ended, ended_key = store.start_class()
    kept, kept_key = store.start_class()
    current, past, leaver, stays, outsider = students(store, 5)
    trained = []  # (seat, run id, weights): who trained what, and which weights it has

    def train(seat: Seat, run_id: str, weights: bytes = b"shared weights") -> None:
        store.start_run(seat, run_id, run_id, CONFIG)
        store.save_epoch(seat, run_id, record(1))
        finish(store, seat, run_id, weights=weights, confusion=confusion(2))
        trained.append((seat, run_id, weights))

    train(current, "before-joining")
    store.join_class(current, ended.code, "Current")
    train(current, "in-ended", weights=b"only the class's run has these")
    store.queue_run(current, "queued-in-ended", "q", CONFIG)  # waiting in the class: the class's
    store.join_class(past, ended.code, "Past")
    train(past, "in-ended")  # shares its weights with runs outside the class
    store.join_class(past, kept.code, "Past")  # then moved to the kept class
    train(past, "in-kept")
    store.join_class(leaver, ended.code, "Leaver")
    store.queue_run(leaver, "queued-then-left", "q", CONFIG)  # queued in the class, trained after leaving
    store.leave_class(leaver)
    train(leaver, "queued-then-left")
    store.join_class(stays, kept.code, "Stays")
    train(stays, "in-kept")
    train(outsider, "alone")
    assert row_counts(store) == {"classes": 2, "members": 5, "seats": 5, "runs": 8, "epochs": 7,
                                 "run_models": 7, "models": 2, "writeups": 0}

    assert store.end_class(ended.shown_code, ended_key) == 3  # in-ended twice, and queued-in-ended
    assert row_counts(store) == {"classes": 1, "members": 2, "seats": 5, "runs": 5, "epochs": 5,
                                 "run_models": 5, "writeups": 0,
                                 "models": 1}  # the class's own weights went; the shared ones stay
    assert store.class_of_code(ended.code) is None
    for seat in (current, past, leaver, stays, outsider):  # every seat stays, with its link and code
        assert store.seat_of_token(seat.token) == seat and store.seat_of_code(seat.code) == seat
    assert [run.run_id for run in store.runs_of_seat(current)] == ["before-joining"]
    assert [run.run_id for run in store.runs_of_seat(past)] == ["in-kept"]
    assert [run.run_id for run in store.runs_of_seat(leaver)] == ["queued-then-left"]
    for seat, run_id, weights in trained:
        if run_id != "in-ended":
            assert store.weights_of_run(seat, run_id) == weights
    assert store.membership_of(current) is None
    assert store.membership_of(stays) == Membership(kept.code, "Stays", None, 102,
                                                    store.membership_of(stays).joined_at)
    assert [(run.nickname, run.name) for run in store.class_runs(kept.code, kept_key)] == [
        ("Past", "in-kept"), ("Stays", "in-kept")]
    with pytest.raises(ClassNotFound):
        store.end_class(ended.code, ended_key)
    assert store.join_class(current, kept.code, "Current").code == kept.code  # the seat goes on


def test_a_class_left_with_no_members_expires(store):
    empty, _ = store.start_class()
    busy, _ = store.start_class()
    recent, _ = store.start_class()
    store.join_class(students(store, 1)[0], busy.code, "Ada")
    with store.engine.begin() as connection:  # age the classes: the store itself always writes "now"
        connection.execute(update(classes).where(classes.c.code != recent.code)
                           .values(created_at=utc_now() - timedelta(days=40)))
    store.delete_expired(30)
    assert store.class_of_code(empty.code) is None
    assert store.class_of_code(busy.code) is not None and store.class_of_code(recent.code) == recent


# Many at once


def test_twenty_students_joining_at_once_get_balanced_slots(database_url):
    first = RunStore(database_url)
    info, key = first.start_class()
    first.set_plan(info.code, key, "hidden_layers", WIDTHS)
    seats = students(first, 20)
    stores = [first, *(RunStore(database_url, migrate=False) for _ in range(19))]
    all_at_once = threading.Barrier(20)

    def join(number: int) -> Membership:
        all_at_once.wait()
        return stores[number].join_class(seats[number], info.code, f"Student {number}")

    with ThreadPoolExecutor(20) as pool:
        joined = list(pool.map(join, range(20)))  # re-raises any error
    assert Counter(membership.slot for membership in joined) == {slot: 4 for slot in range(5)}
    assert sorted(membership.seed for membership in joined) == list(range(101, 121))
    assert first.class_counts(info.code).joined == 20 and row_counts(first)["members"] == 20
    for store in stores:
        store.close()


def test_a_run_whose_settings_a_later_version_refuses_still_shows_on_the_board(store):
    info, key = store.start_class()
    seat = students(store, 1)[0]
    store.join_class(seat, info.code, "Ada")
    store.start_run(seat, RUN_ID, "r", CONFIG)
    with store.engine.begin() as connection:
        connection.execute(update(runs).values(config='{"epochs": "999", "gone": "x", "dropout": "0.2"}'))
    [run] = store.class_runs(info.code, key)
    assert run.config == ExperimentConfig(dropout=0.2)

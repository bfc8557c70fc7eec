"""A class: a teacher's live board and a collective experiment, in the run store.

A teacher starts a class and gets its code (6 characters for the board, not secret) and a teacher
key (secret, for the teacher's link; the database keeps only its SHA-256). A seat joins with the code
and a nickname and is then a member of the class until it leaves, joins another, or the class ends.
A class may have a plan: one setting and the values the class tries, one per member (its slot), kept
balanced as members come and go; every member also has a seed of its own, so no two runs are alike.
A run trained while its seat is a current member counts for the class: the teacher's board shows
them all with the members' nicknames; a student sees only the accuracies ("where you stand"). No two
current members share a nickname. Ending a class deletes it, those runs and the write-ups saved or
handed in under it (`writeups`), never a seat.

`ClassStore` keeps them in the `Database` (the records it returns and the rules it keeps are in
`class_rules`); `RunStore` builds on it with seats, runs and write-ups (`writeups`, which reads the
teacher's key with `teachers_class_row` and a seat's class with `current_class_id`). Every query is
parameterised; nothing here logs a key or a nickname.
"""

import hmac
import json
import math
from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, delete, exists, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from fmnist_core.config import ExperimentConfig
from fmnist_core.run import RunState
from fmnist_core.store.class_rules import (
    FIRST_SEED,
    ClassCounts,
    ClassInfo,
    ClassRun,
    Membership,
    NicknameTaken,
    check_nickname,
    checked_controls,
    confusion_array,
    fewest_first,
    free_nickname,
    member_number,
    new_teacher_key,
    nickname_key,
    plan_texts,
    teacher_key_hash,
)
from fmnist_core.store.database import Database
from fmnist_core.store.errors import ClassFull, ClassNotFound, NotTheTeacher
from fmnist_core.store.seats import CODE_LENGTH, Seat, new_code, normalise_code, token_hash
from fmnist_core.store.tables import classes, epochs, members, runs, seats, utc_now, writeups
from fmnist_core.store.weights import drop_unused_weights

CAPACITY_RANGE = (1, 1000)  # members a class can take at once
CLASS_CODE_DRAWS = 5  # a new class's code is drawn again when another class has it
FINISHED = (RunState.DONE.value, RunState.STOPPED.value)  # the runs a class counts as finished


def current_class_id(connection: Connection, seat_id: int) -> int | None:
    """The class the seat is a current member of, if any: the class its runs count for."""
    return connection.scalar(select(members.c.class_id)
                             .where(members.c.seat_id == seat_id, members.c.left_at.is_(None)))


def _not_found(code: object) -> ClassNotFound:
    normalised = normalise_code(code)
    if normalised is None:
        return ClassNotFound(f"A class code is {CODE_LENGTH} letters and digits, like K7P-2QX: "
                             f"check it on the board.")
    return ClassNotFound(f"No class has the code {normalised[:3]}-{normalised[3:]}: check it on the board.")


def _full(capacity: int) -> ClassFull:
    students = "1 student has" if capacity == 1 else f"{capacity} students have"
    return ClassFull(f"This class is full: {students} joined.")


def _not_the_teacher() -> NotTheTeacher:
    return NotTheTeacher("This link's teacher key is not this class's.")


def _class_info(row: Row) -> ClassInfo:
    return ClassInfo(
        code=row.code, created_at=row.created_at, plan_setting=row.plan_setting,
        plan_values=tuple(json.loads(row.plan_values)) if row.plan_values is not None else (),
        controls=tuple(sorted(json.loads(row.controls).items())), show_standing=bool(row.show_standing),
        anonymous=bool(row.anonymous), capacity=row.capacity, write_first=bool(row.write_first))


def _current(class_id: int):
    return (members.c.class_id == class_id) & members.c.left_at.is_(None)


def _next_slot(plan_values: str | None, slots: Sequence[int | None]) -> int | None:
    """The plan's value fewest of the current members (their `slots`) have; None without a plan."""
    if plan_values is None:
        return None
    counts = [0] * len(json.loads(plan_values))
    for taken in slots:
        if taken is not None and 0 <= taken < len(counts):
            counts[taken] += 1
    return fewest_first(counts)


def _leave(connection: Connection, seat_id: int) -> None:
    connection.execute(update(members).where(members.c.seat_id == seat_id, members.c.left_at.is_(None))
                       .values(left_at=utc_now()))


def _class_row(connection: Connection, code: object, lock: bool = False) -> Row | None:
    """The class's row; `lock` holds it until the transaction ends (FOR NO KEY UPDATE on PostgreSQL:
    other writes of the class wait, runs and members may still refer to it)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    query = select(classes).where(classes.c.code == normalised)
    if lock:
        query = query.with_for_update(key_share=True)  # SQLite: nothing; its write lock is held
    return connection.execute(query).first()


def _existing_class_row(connection: Connection, code: object) -> Row:
    row = _class_row(connection, code)
    if row is None:
        raise _not_found(code)
    return row


def teachers_class_row(connection: Connection, code: object, key: object, lock: bool = False) -> Row:
    """The class's row (`lock`: see `_class_row`), if `key` is its teacher's; else ClassNotFound (the
    code) or NotTheTeacher."""
    row = _class_row(connection, code, lock)
    if row is None:
        raise _not_found(code)
    given = teacher_key_hash(key) if isinstance(key, str) else ""
    if not hmac.compare_digest(row.teacher_key_hash, given):  # in constant time
        raise _not_the_teacher()
    return row


class ClassStore(Database):
    """The class methods of the run store (`RunStore` adds seats, runs and write-ups): each names
    what the lesson does."""

    # The teacher

    def start_class(self, capacity: int = 200) -> tuple[ClassInfo, str]:
        """A new class, and its teacher key: returned this once, for the teacher's link; only its
        hash is stored. The code is drawn again while another class has it."""
        low, high = CAPACITY_RANGE
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not low <= capacity <= high:
            raise ValueError(f"A class takes {low} to {high} students; got {capacity!r}.")
        key = new_teacher_key()
        for _ in range(CLASS_CODE_DRAWS):
            code = new_code()
            with self._transaction(write=True) as connection:
                if connection.scalar(select(exists().where(classes.c.code == code))):
                    continue
                connection.execute(insert(classes).values(
                    code=code, teacher_key_hash=teacher_key_hash(key), created_at=utc_now(),
                    controls="{}", show_standing=False, anonymous=False, capacity=capacity,
                    write_first=False))
                return _class_info(_class_row(connection, code)), key
        raise RuntimeError(f"Drew {CLASS_CODE_DRAWS} class codes that were all taken; the codes are "
                           f"running out.")

    def class_of_code(self, code: str) -> ClassInfo | None:
        """The class with this code, typed any way ("k7p 2qx"); None if there is none."""
        with self._transaction() as connection:
            row = _class_row(connection, code)
        return None if row is None else _class_info(row)

    def teachers_class(self, code: str, key: str) -> ClassInfo:
        """The class, if `key` is its teacher's; else ClassNotFound (the code) or NotTheTeacher."""
        with self._transaction() as connection:
            return _class_info(teachers_class_row(connection, code, key))

    def set_plan(self, code: str, key: str, setting: str | None, values: Sequence[str] = ()) -> ClassInfo:
        """Makes the class try `values` of `setting` (URL texts, like "64" for hidden_layers), or no
        plan when `setting` is None. Every current member gets a slot again, round-robin in join
        order: the i-th member the (i mod len(values))-th value."""
        texts = None if setting is None else plan_texts(setting, values)
        with self._transaction(write=True) as connection:
            row = teachers_class_row(connection, code, key, lock=True)
            connection.execute(update(classes).where(classes.c.id == row.id).values(
                plan_setting=setting, plan_values=None if texts is None else json.dumps(texts)))
            connection.execute(update(members).where(members.c.class_id == row.id).values(slot=None))
            if texts is not None:
                current = connection.scalars(select(members.c.id).where(_current(row.id))
                                             .order_by(members.c.id)).all()
                if current:
                    connection.execute(
                        update(members).where(members.c.id == bindparam("member"))
                        .values(slot=bindparam("new_slot")),
                        [{"member": member, "new_slot": number % len(texts)}
                         for number, member in enumerate(current)])
            return _class_info(_class_row(connection, row.code))

    def set_class_options(self, code: str, key: str, *, controls: Mapping[str, str] | None = None,
                          show_standing: bool | None = None, anonymous: bool | None = None,
                          write_first: bool | None = None) -> ClassInfo:
        """Changes the options given (the others stay): which settings the students' pages lock or
        hide ({setting: "lock" or "hide"}), whether students see where they stand, whether the
        board hides the nicknames, and whether students write up the lesson before they train."""
        changes = {}
        if controls is not None:
            changes["controls"] = json.dumps(checked_controls(controls))
        for name, value in (("show_standing", show_standing), ("anonymous", anonymous),
                            ("write_first", write_first)):
            if value is not None:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be True or False; got {value!r}.")
                changes[name] = value
        with self._transaction(write=bool(changes)) as connection:
            row = teachers_class_row(connection, code, key, lock=bool(changes))
            if changes:
                connection.execute(update(classes).where(classes.c.id == row.id).values(**changes))
            return _class_info(_class_row(connection, row.code))

    def class_runs(self, code: str, key: str) -> list[ClassRun]:
        """Every run of the class, oldest first, with its member's number and nickname: the board."""
        epoch_seconds = (select(func.sum(epochs.c.seconds)).where(epochs.c.run == runs.c.id)
                         .scalar_subquery())
        with self._transaction() as connection:
            row = teachers_class_row(connection, code, key)
            found = connection.execute(
                select(members.c.seed, members.c.nickname, runs.c.name, runs.c.config,
                       runs.c.state, runs.c.test_accuracy, runs.c.created_at, runs.c.finished_at,
                       runs.c.confusion, func.coalesce(runs.c.seconds, epoch_seconds, 0.0).label("seconds"))
                .select_from(runs.join(members, (members.c.class_id == runs.c.class_id)
                                       & (members.c.seat_id == runs.c.seat_id)))
                .where(runs.c.class_id == row.id).order_by(runs.c.created_at, runs.c.id)).all()
        return [ClassRun(
            member=member_number(run.seed), nickname=run.nickname, name=run.name,
            # A setting a later version no longer accepts takes its default: the run still shows.
            config=ExperimentConfig.from_query(json.loads(run.config))[0], state=RunState(run.state),
            test_accuracy=math.nan if run.test_accuracy is None else run.test_accuracy,
            seconds=float(run.seconds), created_at=run.created_at, finished_at=run.finished_at,
            confusion=confusion_array(run.confusion)) for run in found]

    def end_class(self, code: str, key: str) -> int:
        """Deletes the class, all at once: its memberships, its board settings, the write-ups last
        saved or handed in under it, and the runs trained as its members, with their epochs and the
        weights no other run has. Never a seat, nor a run trained outside the class (before joining,
        after leaving, or in another class). Returns how many runs went."""
        with self._transaction(write=True) as connection:
            row = teachers_class_row(connection, code, key, lock=True)
            gone = connection.execute(delete(runs).where(runs.c.class_id == row.id)).rowcount
            connection.execute(delete(writeups).where(writeups.c.class_id == row.id))
            connection.execute(delete(members).where(members.c.class_id == row.id))
            connection.execute(delete(classes).where(classes.c.id == row.id))
            drop_unused_weights(connection)
        return gone

    # Anyone with the code

    def class_counts(self, code: str) -> ClassCounts:
        """How many have joined, and how many of the class's runs wait, train, and have finished."""
        with self._transaction() as connection:
            row = _existing_class_row(connection, code)
            joined = connection.scalar(select(func.count()).select_from(members).where(_current(row.id)))
            by_state = dict(connection.execute(
                select(runs.c.state, func.count()).where(runs.c.class_id == row.id)
                .group_by(runs.c.state)).all())
        return ClassCounts(joined=joined, waiting=by_state.get(RunState.WAITING.value, 0),
                           training=by_state.get(RunState.RUNNING.value, 0),
                           finished=sum(by_state.get(state, 0) for state in FINISHED))

    def class_accuracies(self, code: str) -> list[float]:
        """The test accuracy of each current member's latest finished run of the class, highest
        first, without names: what a student may see of where they stand."""
        with self._transaction() as connection:
            row = _existing_class_row(connection, code)
            found = connection.execute(
                select(runs.c.seat_id, runs.c.test_accuracy)
                .select_from(runs.join(members, (members.c.class_id == runs.c.class_id)
                                       & (members.c.seat_id == runs.c.seat_id)))
                .where(runs.c.class_id == row.id, members.c.left_at.is_(None), runs.c.state.in_(FINISHED))
                .order_by(runs.c.finished_at, runs.c.id)).all()
        latest = {run.seat_id: run.test_accuracy for run in found}  # the last one of each seat wins
        return sorted((accuracy for accuracy in latest.values()
                       if accuracy is not None and math.isfinite(accuracy)), reverse=True)

    # A student

    def join_class(self, seat: Seat, code: str, nickname: str) -> Membership:
        """Makes the seat a current member of the class under `nickname`, kept as `check_nickname`
        gives it (trimmed; ValueError for one it refuses).

        Joins of one class are serialised (SQLite's write lock; on PostgreSQL the class's row,
        locked), so each gets a slot that keeps the plan balanced: the value fewest current members
        have. Its seed is 101 for the first member, 102 for the second, and so on (one more than the
        highest seed of the class's members so far, so no two members share one). A current member
        gets its membership back, with the new nickname; a seat that left comes back with its seed;
        a seat in another class leaves that one. ClassNotFound for an unknown code, ClassFull when
        `capacity` students are members already, NicknameTaken (with a nickname nobody in the class
        has, to suggest) when another current member has this one, case and spaces aside: checked
        under the same lock, and held by a unique index whichever server let them in.
        """
        nickname = check_nickname(nickname)
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            row = _class_row(connection, code, lock=True)
            if row is None:
                raise _not_found(code)
            mine = connection.execute(select(members).where(
                members.c.class_id == row.id, members.c.seat_id == seat_id)).first()
            current = connection.execute(select(members.c.seat_id, members.c.slot, members.c.nickname_key)
                                         .where(_current(row.id))).all()
            returning = mine is not None and mine.left_at is None
            if not returning and len(current) >= row.capacity:
                raise _full(row.capacity)
            taken = {member.nickname_key for member in current if member.seat_id != seat_id}
            key = nickname_key(nickname)
            if key in taken:
                raise NicknameTaken(free_nickname(nickname, taken))
            named = {"nickname": nickname, "nickname_key": key}
            if returning:
                connection.execute(update(members).where(members.c.id == mine.id).values(**named))
                return Membership(row.code, nickname, mine.slot, mine.seed, mine.joined_at)
            _leave(connection, seat_id)
            slot = _next_slot(row.plan_values, [member.slot for member in current])
            now = utc_now()
            if mine is None:
                last_seed = connection.scalar(select(func.max(members.c.seed))
                                              .where(members.c.class_id == row.id))
                seed = FIRST_SEED if last_seed is None else last_seed + 1
                connection.execute(insert(members).values(
                    class_id=row.id, seat_id=seat_id, joined_at=now, slot=slot, seed=seed, **named))
            else:
                seed = mine.seed
                connection.execute(update(members).where(members.c.id == mine.id).values(
                    joined_at=now, left_at=None, slot=slot, **named))
            return Membership(row.code, nickname, slot, seed, now)

    def leave_class(self, seat: Seat) -> None:
        """The seat is no longer a current member of its class (its runs stay the class's)."""
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            _leave(connection, seat_id)

    def membership_of(self, seat: Seat) -> Membership | None:
        """The seat's current membership; None if it is in no class (or its class has ended)."""
        if not isinstance(seat, Seat):
            raise TypeError(f"Expected a Seat; got {type(seat).__name__}.")
        with self._transaction() as connection:
            found = connection.execute(
                select(classes.c.code, members.c.nickname, members.c.slot, members.c.seed,
                       members.c.joined_at)
                .select_from(members.join(classes).join(seats, members.c.seat_id == seats.c.id))
                .where(seats.c.token_hash == token_hash(seat.token), members.c.left_at.is_(None))).first()
        return None if found is None else Membership(*found)

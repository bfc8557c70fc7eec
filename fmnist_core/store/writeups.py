"""`WriteupStore`: each seat's write-up of the lesson in the run store (its six answers, the evidence
ticked, its hand-in), and the write-ups handed in under a class, for its teacher.

A seat has one write-up. Saving an answer or the evidence, or handing it in, puts it under the class
the seat is a current member of then (none outside a class): that class's teacher sees it once it
is handed in, and ending the class deletes it; deleting the seat deletes it too. Saved under another
class than the one it was handed in under, it is no longer handed in (until it is handed in there).
The records and the checks are in `writeup_rules`. All SQL is parameterised; nothing here logs an
answer or a nickname.
"""

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from fmnist_core.store.class_rules import member_number
from fmnist_core.store.classes import current_class_id, teachers_class_row
from fmnist_core.store.database import Database, seat_is
from fmnist_core.store.seat_store import check_seat
from fmnist_core.store.seats import Seat
from fmnist_core.store.tables import members, seats, utc_now, writeups
from fmnist_core.store.writeup_rules import (
    ClassWriteup,
    Writeup,
    all_answers,
    check_answer_text,
    check_checked_against,
    check_question,
    checked_evidence,
    has_a_word,
)


class WriteupStore(Database):
    """The write-up methods of the run store (`RunStore` adds seats, runs and classes)."""

    # A student

    def save_answer(self, seat: Seat, question: int, text: str) -> None:
        """Keeps `text` (Markdown, as written) as the answer to `question` (1 to 6), in place of the one
        before. ValueError, before anything is written, for a question or a text the checks refuse
        (`check_question`, `check_answer_text`: at most 20,000 characters)."""
        check_seat(seat)
        question, text = check_question(question), check_answer_text(text)
        with self._transaction(write=True) as connection:
            row = self._locked_writeup(connection, seat)
            answers = json.loads(row.answers)
            if text:
                answers[str(question)] = text
            else:  # emptied: kept as not written
                answers.pop(str(question), None)
            self._save(connection, row, answers=json.dumps(answers, sort_keys=True))

    def set_evidence(self, seat: Seat, keys: Iterable[str]) -> None:
        """Keeps the evidence keys ticked ("4:curve"; at most 30), in place of those before; ValueError
        for keys `checked_evidence` refuses."""
        check_seat(seat)
        evidence = checked_evidence(keys)
        with self._transaction(write=True) as connection:
            row = self._locked_writeup(connection, seat)
            self._save(connection, row, evidence=json.dumps(sorted(evidence)))

    def writeup_of(self, seat: Seat) -> Writeup | None:
        """The seat's write-up, with all six answers ("" for one not written); None before any save."""
        check_seat(seat)
        with self._transaction() as connection:
            row = connection.execute(select(writeups).select_from(writeups.join(seats))
                                     .where(seat_is(seat))).first()
        return None if row is None else Writeup(_answers(row), _evidence(row), row.updated_at,
                                                row.handed_in_at)

    def hand_in(self, seat: Seat, checked_against: str | None = None) -> datetime:
        """Hands the write-up in now, under the seat's current class (whose teacher then sees it), and
        returns the time; handing it in again gives a new time. `checked_against`: what the student's
        hints compared the answers with (the lesson's JSON, kept as it is for the teacher's hints).
        ValueError while no answer has a word."""
        check_seat(seat)
        checked_against = check_checked_against(checked_against)
        with self._transaction(write=True) as connection:
            seat_id = self._seat_id(connection, seat)
            row = connection.execute(select(writeups).where(writeups.c.seat_id == seat_id)
                                     .with_for_update()).first()
            if row is None or not has_a_word(_answers(row)):
                raise ValueError("Write at least one answer before handing in the write-up.")
            now = utc_now()
            connection.execute(update(writeups).where(writeups.c.seat_id == seat_id).values(
                handed_in_at=now, class_id=current_class_id(connection, seat_id),
                checked_against=checked_against))
        return now

    # The teacher

    def class_writeups(self, code: str, key: str) -> list[ClassWriteup]:
        """The write-ups handed in under the class, in its students' join order, each with its
        student's number and nickname (kept after the student left). ClassNotFound for a code no
        class has, NotTheTeacher for a key not the class's."""
        with self._transaction() as connection:
            row = teachers_class_row(connection, code, key)
            found = connection.execute(
                select(members.c.seed, members.c.nickname, writeups)
                .select_from(writeups.join(members, (members.c.class_id == writeups.c.class_id)
                                           & (members.c.seat_id == writeups.c.seat_id)))
                .where(writeups.c.class_id == row.id, writeups.c.handed_in_at.is_not(None))
                .order_by(members.c.id)).all()
        return [ClassWriteup(number=member_number(writeup.seed), nickname=writeup.nickname,
                             handed_in_at=writeup.handed_in_at, updated_at=writeup.updated_at,
                             answers=_answers(writeup), evidence=_evidence(writeup),
                             checked_against=writeup.checked_against) for writeup in found]

    # Helpers

    def _locked_writeup(self, connection: Connection, seat: Seat) -> Row:
        """The seat's write-up, made empty if it has none, and locked until the transaction ends (on
        PostgreSQL; SQLite's write lock is held already): two saves at once on two servers each keep
        their answer."""
        seat_id = self._seat_id(connection, seat)
        dialect = sqlite if self._sqlite else postgresql
        connection.execute(dialect.insert(writeups).values(
            seat_id=seat_id, answers="{}", evidence="[]", updated_at=utc_now())
            .on_conflict_do_nothing(index_elements=["seat_id"]))
        return connection.execute(select(writeups).where(writeups.c.seat_id == seat_id)
                                  .with_for_update()).one()

    @staticmethod
    def _save(connection: Connection, row: Row, **changes: str) -> None:
        """Writes `changes` to the write-up under the seat's current class, now; moved to another
        class, it is no longer handed in."""
        class_id = current_class_id(connection, row.seat_id)
        if class_id != row.class_id:
            changes.update(handed_in_at=None, checked_against=None)
        connection.execute(update(writeups).where(writeups.c.seat_id == row.seat_id)
                           .values(**changes, class_id=class_id, updated_at=utc_now()))


def _answers(row: Row) -> dict[int, str]:
    return all_answers({int(question): text for question, text in json.loads(row.answers).items()})


def _evidence(row: Row) -> frozenset[str]:
    return frozenset(json.loads(row.evidence))

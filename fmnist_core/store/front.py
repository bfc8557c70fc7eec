"""`StoreFront`: the run store as the pages use it, each method named after what the lesson does.

Reads, and the writes whose answer a page shows (a seat stored, a class started, a membership, a
hand-in), are done at once through the `StoreWriter`, and raise `StoreUnavailable` when the database
does not answer (the writer has logged why, and tells the pages). The other writes are queued by the
writer and return at once. The store's own refusals (`ClassNotFound`, `ClassFull`, `NotTheTeacher`,
`TooManySeats`, `ValueError`) come through as they are.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from fmnist_core.store.class_rules import ClassCounts, ClassInfo, ClassRun, Membership
from fmnist_core.store.errors import StoreUnavailable
from fmnist_core.store.runs import RunStore
from fmnist_core.store.seats import Seat
from fmnist_core.store.writer import StoreWriter
from fmnist_core.store.writeup_rules import ClassWriteup, Writeup

T = TypeVar("T")
_UNANSWERED = object()  # what the writer gives back when the database does not answer
HAND_IN_WAIT_SECONDS = 5.0  # for the answers still queued to reach the database before a hand-in


class StoreFront:
    """What a page asks of the run store, through `writer`."""

    def __init__(self, writer: StoreWriter):
        self._writer = writer

    # A learner's seat

    def seat_of_token(self, token: str) -> Seat | None:
        """The seat whose link has `token`; None for an unknown or malformed token."""
        return self._read(lambda store: store.seat_of_token(token))

    def seat_of_code(self, code: str, client: str | None = None) -> Seat | None:
        """The seat with this code, typed as the learner likes; None if no seat has it (a wrong code
        this browser typed, written down); TooManyCodes while it must wait."""
        return self._write(lambda store: store.seat_of_code(code, client=client))

    def create_seat(self, seat: Seat, client: str | None = None) -> Seat:
        """Stores a new seat now and returns it as stored: show its code (see RunStore.create_seat)."""
        return self._write(lambda store: store.create_seat(seat, client=client))

    def create_seat_later(self, seat: Seat) -> None:
        """Queued: the seat is stored as soon as the database answers."""
        self._writer.create_seat(seat)

    def touch_seat(self, seat: Seat) -> None:
        """Queued: the learner is here now, so the seat is not deleted as unused."""
        self._writer.touch_seat(seat)

    def weights_of_run(self, seat: Seat, run_id: str) -> bytes | None:
        """The run's saved weights; None when it has none."""
        return self._read(lambda store: store.weights_of_run(seat, run_id))

    def runs_under_way_elsewhere(self, seat: Seat, server: str) -> int:
        """The seat's runs waiting or training on the other servers."""
        return self._read(lambda store: store.runs_under_way_elsewhere(seat, server))

    def delete_runs_of_seat(self, seat: Seat) -> None:
        """Queued: the seat's runs go, with their epochs and weights."""
        self._writer.delete_runs_of_seat(seat)

    # A student in a class

    def join_class(self, seat: Seat, code: str, nickname: str) -> Membership:
        """The seat joins the class under `nickname`; a seat made while the database was down is
        stored first, since its creation may still be queued."""
        def join(store: RunStore) -> Membership:
            if seat.code:
                store.create_seat(seat)
            return store.join_class(seat, code, nickname)

        return self._write(join)

    def leave_class(self, seat: Seat) -> None:
        self._write(lambda store: store.leave_class(seat))

    def membership_and_class(self, seat: Seat) -> tuple[Membership | None, ClassInfo | None]:
        """The seat's current membership and its class; (None, None) when it is in no class."""
        def both(store: RunStore) -> tuple[Membership | None, ClassInfo | None]:
            membership = store.membership_of(seat)
            return membership, membership and store.class_of_code(membership.code)

        return self._read(both)

    def class_of_code(self, code: str) -> ClassInfo | None:
        """The class with this code; None if there is none (or it has ended)."""
        return self._read(lambda store: store.class_of_code(code))

    def class_accuracies(self, code: str) -> list[float]:
        """The test accuracy of each current member's latest finished run, highest first."""
        return self._read(lambda store: store.class_accuracies(code))

    # A student's write-up

    def writeup_of(self, seat: Seat) -> Writeup | None:
        """The seat's write-up as the database has it (answers still queued are not in it yet)."""
        return self._read(lambda store: store.writeup_of(seat))

    def save_answer(self, seat: Seat, question: int, text: str) -> None:
        """Queued: the answer to `question` (1 to 6); ValueError at once for one the store refuses."""
        self._writer.save_answer(seat, question, text)

    def set_evidence(self, seat: Seat, keys: Iterable[str]) -> None:
        """Queued: the evidence keys ticked; ValueError at once for keys the store refuses."""
        self._writer.set_evidence(seat, keys)

    def hand_in(self, seat: Seat, checked_against: str | None = None) -> datetime:
        """Hands the write-up in under the seat's current class (see RunStore.hand_in), once the answers
        queued before are in the database (StoreUnavailable if they are not within
        HAND_IN_WAIT_SECONDS); returns the time. ValueError while no answer has a word."""
        if not self._writer.flush(HAND_IN_WAIT_SECONDS):
            raise StoreUnavailable(self._writer.problem or "The answers are still on their way to the "
                                   "database: hand in again in a moment.")
        return self._write(lambda store: store.hand_in(seat, checked_against))

    # The teacher

    def start_class(self) -> tuple[ClassInfo, str]:
        """A new class and its teacher key (returned this once)."""
        return self._write(lambda store: store.start_class())

    def teachers_class(self, code: str, key: str) -> ClassInfo:
        return self._read(lambda store: store.teachers_class(code, key))

    def set_plan(self, code: str, key: str, setting: str | None, values: Sequence[str]) -> ClassInfo:
        return self._write(lambda store: store.set_plan(code, key, setting, values))

    def set_class_options(self, code: str, key: str, *, controls: Mapping[str, str], show_standing: bool,
                          anonymous: bool, write_first: bool | None = None) -> ClassInfo:
        """The class's options; `write_first` None leaves it as it is."""
        return self._write(lambda store: store.set_class_options(
            code, key, controls=controls, show_standing=show_standing, anonymous=anonymous,
            write_first=write_first))

    def class_counts(self, code: str) -> ClassCounts:
        return self._read(lambda store: store.class_counts(code))

    def class_runs(self, code: str, key: str) -> list[ClassRun]:
        return self._read(lambda store: store.class_runs(code, key))

    def class_writeups(self, code: str, key: str) -> list[ClassWriteup]:
        """The write-ups handed in under the class, in join order, with number and nickname."""
        return self._read(lambda store: store.class_writeups(code, key))

    def end_class(self, code: str, key: str) -> int:
        """Deletes the class, its memberships, the runs trained in it and the write-ups under it (never
        a seat); returns how many runs went."""
        return self._write(lambda store: store.end_class(code, key))

    def _read(self, fn: Callable[[RunStore], T]) -> T:
        return self._answered(self._writer.read(fn, _UNANSWERED))

    def _write(self, fn: Callable[[RunStore], T]) -> T:
        return self._answered(self._writer.write_now(fn, _UNANSWERED))

    def _answered(self, result):
        if result is _UNANSWERED:
            raise StoreUnavailable(self._writer.problem or "The run store did not answer.")
        return result

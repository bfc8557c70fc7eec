"""`SeatStore`: the learners' seats in the run store: a new seat (at most SEATS_PER_CLIENT an hour
from one browser), a seat found by its link's token or by its code, and when it was last seen.

The database keeps no secret in the clear (see `seats`): a seat is found by its token's hash, or by
its code's scrypt hash, whose key unlocks the token. All SQL is parameterised.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.engine import Connection

from fmnist_core.store.database import Database, seat_is
from fmnist_core.store.errors import TooManySeats
from fmnist_core.store.seats import (
    Seat,
    code_hash_and_key,
    is_token,
    locked,
    normalise_code,
    token_hash,
    token_key,
    unlocked,
)
from fmnist_core.store.tables import client_events, seats, utc_now

SEATS_PER_CLIENT, SEAT_WINDOW = 20, timedelta(hours=1)  # new seats one browser may start
CODE_DRAWS = 5  # a new seat's code is drawn again when another seat has it (about one in a million)


class SeatStore(Database):
    """The seat methods of the run store (`RunStore` adds runs, and classes from `ClassStore`)."""

    def create_seat(self, seat: Seat, client: str | None = None) -> Seat:
        """Stores a new seat and returns it; a token stored before gives back the stored seat.

        When another seat already has the code, the new seat gets a fresh one: show the code of the
        seat returned here (or by `seat_of_token`), not of the one passed in. `client` (the browser's
        own id, when known) may start SEATS_PER_CLIENT seats in SEAT_WINDOW; TooManySeats after that.
        """
        check_seat(seat)
        if seat.code is None:
            raise ValueError("A new seat needs a code; make it with Seat.new().")
        for _ in range(CODE_DRAWS):
            code_hash, code_key = code_hash_and_key(seat.code)  # before the write lock: 40 ms
            with self._transaction(write=True) as connection:
                stored = self._seat_of_token(connection, seat.token)
                if stored is not None:
                    return stored
                if not connection.scalar(select(exists().where(seats.c.code_hash == code_hash))):
                    now = utc_now()
                    if client is not None:
                        self._count_seat_started(connection, client, now)
                    connection.execute(insert(seats).values(
                        token_hash=token_hash(seat.token), code_hash=code_hash,
                        token_locked=locked(seat.token, code_key),
                        code_locked=locked(seat.code, token_key(seat.token)),
                        created_at=now, last_seen_at=now))
                    return seat
            seat = seat.with_new_code()
        raise RuntimeError(f"Drew {CODE_DRAWS} seat codes that were all taken; the codes are running out.")

    @staticmethod
    def _count_seat_started(connection: Connection, client: str, now: datetime) -> None:
        if not isinstance(client, str) or not client:
            raise ValueError(f"A client is a non-empty str; got {client!r}.")
        key = hashlib.sha256(client.encode()).hexdigest()
        started = connection.scalar(select(func.count()).select_from(client_events).where(
            client_events.c.client == key, client_events.c.event == "seat",
            client_events.c.at >= now - SEAT_WINDOW))
        if started >= SEATS_PER_CLIENT:
            raise TooManySeats(
                f"This browser has started {SEATS_PER_CLIENT} new seats in the last hour, as many as one "
                "may: open your own link (the one with ?seat= in it), or try again later.")
        connection.execute(insert(client_events).values(client=key, event="seat", at=now))

    def seat_of_token(self, token: str) -> Seat | None:
        """The seat whose link has `token`, with its code; None for an unknown or malformed token."""
        if not is_token(token):
            return None
        with self._transaction() as connection:
            return self._seat_of_token(connection, token)

    def seat_of_code(self, code: str) -> Seat | None:
        """The seat with this code, typed as the learner likes ("k7p 2qx"), with its token; else None."""
        normalised = normalise_code(code)
        if normalised is None:
            return None
        code_hash, code_key = code_hash_and_key(normalised)
        with self._transaction() as connection:
            token_locked = connection.scalar(
                select(seats.c.token_locked).where(seats.c.code_hash == code_hash))
        return None if token_locked is None else Seat(unlocked(token_locked, code_key), normalised)

    def touch_seat(self, seat: Seat) -> None:
        """Notes that the learner was here now; seats not seen for long are deleted with their runs."""
        check_seat(seat)
        with self._transaction(write=True) as connection:
            connection.execute(update(seats).where(seat_is(seat))
                               .values(last_seen_at=utc_now()))

    @staticmethod
    def _seat_of_token(connection: Connection, token: str) -> Seat | None:
        code_locked = connection.scalar(
            select(seats.c.code_locked).where(seats.c.token_hash == token_hash(token)))
        if code_locked is None:
            return None
        return Seat(token, unlocked(code_locked, token_key(token)))


def check_seat(seat: Seat) -> None:
    if not isinstance(seat, Seat):
        raise TypeError(f"Expected a Seat; got {type(seat).__name__}.")

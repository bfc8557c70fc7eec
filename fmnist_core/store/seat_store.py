"""`SeatStore`: the learners' seats in the run store: a new seat (at most SEATS_PER_CLIENT an hour
from one browser), a seat found by its link's token or by its code (as often as `code_tries`
allows), and when it was last seen.

The database keeps no secret in the clear (see `seats`): a seat is found by its token's hash, or by
its code's prefix and its salted scrypt hash, whose key unlocks the token. All SQL is parameterised.
"""

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from fmnist_core.store.code_tries import WINDOW, wait_before_next_try
from fmnist_core.store.database import Database, seat_is
from fmnist_core.store.errors import TooManyCodes, TooManySeats
from fmnist_core.store.seats import (
    CODE_PREFIX,
    LEGACY_SALT,
    SALT_BYTES,
    Seat,
    code_hash_and_key,
    is_token,
    locked,
    normalise_seat_code,
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
            salt = secrets.token_bytes(SALT_BYTES)
            code_hash, code_key = code_hash_and_key(seat.code, salt)  # before the write lock: 40 ms
            with self._transaction(write=True) as connection:
                stored = self._seat_of_token(connection, seat.token)
                if stored is not None:
                    return stored
                if self._token_locked_by(connection, seat.code) is None:
                    now = utc_now()
                    if client is not None:
                        self._count_seat_started(connection, client, now)
                    connection.execute(insert(seats).values(
                        token_hash=token_hash(seat.token), code_hash=code_hash,
                        code_prefix=seat.code[:CODE_PREFIX], code_salt=salt,
                        token_locked=locked(seat.token, code_key),
                        code_locked=locked(seat.code, token_key(seat.token)),
                        created_at=now, last_seen_at=now))
                    return seat
            seat = seat.with_new_code()
        raise RuntimeError(f"Drew {CODE_DRAWS} seat codes that were all taken; the codes are running out.")

    @staticmethod
    def _count_seat_started(connection: Connection, client: str, now: datetime) -> None:
        key = client_key(client)
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

    def seat_of_code(self, code: str, client: str | None = None) -> Seat | None:
        """The seat with this code, typed as the learner likes ("k7pq 2qx9"), with its token; else
        None, and the browser (`client`; None: all unknown browsers together) has one wrong code
        more. TooManyCodes, before any look, while `code_tries` says this browser must wait."""
        key = client_key(client or "unknown")
        with self._transaction() as connection:
            self._check_code_tries(connection, key)
            found = None if (normalised := normalise_seat_code(code)) is None \
                else self._token_locked_by(connection, normalised)
        if found is not None:
            return Seat(found, normalised)
        with self._transaction(write=True) as connection:
            connection.execute(insert(client_events).values(client=key, event="code_miss", at=utc_now()))
        return None

    @staticmethod
    def _check_code_tries(connection: Connection, key: str) -> None:
        now = utc_now()
        recent = client_events.c.at > now - WINDOW
        misses = connection.scalars(select(client_events.c.at).where(
            client_events.c.client == key, client_events.c.event == "code_miss", recent)
            .order_by(client_events.c.at)).all()
        everyones = connection.scalar(select(func.count()).select_from(client_events).where(
            client_events.c.event == "code_miss", recent))
        wait = wait_before_next_try(misses, everyones, now)
        if wait > timedelta(0):
            minutes = math.ceil(wait.total_seconds() / 60)
            raise TooManyCodes(
                f"Too many wrong codes: try again in {minutes} minute{'s' if minutes > 1 else ''}"
                if wait >= timedelta(minutes=1) else
                f"Too many wrong codes: try again in {math.ceil(wait.total_seconds())} seconds",
                wait.total_seconds())

    @staticmethod
    def _token_locked_by(connection: Connection, code: str) -> str | None:
        """The token of the seat with this (normalised) code; None if no seat has it. A code of 8
        characters is looked for among the seats of its prefix, each with its salt; an older one of
        6, by its hash under the one salt they share."""
        if len(code) > CODE_PREFIX * 2:
            candidates = connection.execute(select(seats.c.code_hash, seats.c.code_salt, seats.c.token_locked)
                                            .where(seats.c.code_prefix == code[:CODE_PREFIX])).all()
        else:
            candidates = connection.execute(select(seats.c.code_hash, seats.c.code_salt, seats.c.token_locked)
                                            .where(seats.c.code_hash == code_hash_and_key(code)[0],
                                                   seats.c.code_prefix.is_(None))).all()
        for stored_hash, salt, token_locked in candidates:
            code_hash, code_key = code_hash_and_key(code, salt or LEGACY_SALT)
            if secrets.compare_digest(code_hash, stored_hash):
                return unlocked(token_locked, code_key)
        return None

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


def client_key(client: str) -> str:
    """How a browser is kept in `client_events`: a hash of its id, never the id."""
    if not isinstance(client, str) or not client:
        raise ValueError(f"A client is a non-empty str; got {client!r}.")
    return hashlib.sha256(client.encode()).hexdigest()


def check_seat(seat: Seat) -> None:
    if not isinstance(seat, Seat):
        raise TypeError(f"Expected a Seat; got {type(seat).__name__}.")

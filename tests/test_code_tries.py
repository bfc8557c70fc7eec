"""Typing codes: the rule (`code_tries`) and the store that applies it to every browser, tab and
server alike, so that guessing a seat's code takes longer than a school year."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from fmnist_core.store import RunStore, Seat, TooManyCodes
from fmnist_core.store.code_tries import (
    FIRST_WAIT,
    FREE_MISSES,
    GLOBAL_MISSES_PER_HOUR,
    LOCK_OUT_MISSES,
    WINDOW,
    most_tries_an_hour,
    wait_before_next_try,
)
from fmnist_core.store.seat_store import client_key
from fmnist_core.store.seats import CODE_ALPHABET, SEAT_CODE_LENGTH
from fmnist_core.store.tables import client_events

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SEATS_IN_A_SCHOOL = 5_000
SCHOOL_YEAR_HOURS = 365 * 24


def misses(*seconds_ago: float) -> list[datetime]:
    return sorted(NOW - timedelta(seconds=ago) for ago in seconds_ago)


def test_a_few_wrong_codes_are_free_then_each_waits_twice_as_long():
    assert wait_before_next_try(misses(30, 20), 0, NOW) == timedelta(0)
    assert wait_before_next_try(misses(30, 20, 2), 0, NOW) == FIRST_WAIT - timedelta(seconds=2)
    assert wait_before_next_try(misses(40, 30, 20, 2), 0, NOW) == 2 * FIRST_WAIT - timedelta(seconds=2)
    assert wait_before_next_try(misses(50, 40, 30, 20, 0), 0, NOW) == 4 * FIRST_WAIT


def test_misses_older_than_the_hour_no_longer_count():
    assert wait_before_next_try(misses(3700, 3690, 3680, 3670), 0, NOW) == timedelta(0)


def test_a_browser_with_too_many_misses_waits_until_the_oldest_is_an_hour_old():
    many = misses(*range(LOCK_OUT_MISSES * 60, 0, -60))  # one a minute
    assert wait_before_next_try(many, 0, NOW) == many[0] + WINDOW - NOW


def test_too_many_misses_from_everyone_make_everyone_wait():
    assert wait_before_next_try([], GLOBAL_MISSES_PER_HOUR, NOW) > timedelta(0)
    assert wait_before_next_try([], GLOBAL_MISSES_PER_HOUR - 1, NOW) == timedelta(0)


def test_one_browser_tries_a_handful_of_codes_an_hour():
    assert FREE_MISSES < most_tries_an_hour(NOW) < LOCK_OUT_MISSES


def test_guessing_any_seat_of_a_school_takes_longer_than_a_school_year():
    codes = len(CODE_ALPHABET) ** SEAT_CODE_LENGTH
    guesses = codes / SEATS_IN_A_SCHOOL  # expected, to find one seat of the school's
    one_browser, everyone = most_tries_an_hour(NOW), GLOBAL_MISSES_PER_HOUR
    print(f"\nGuesses an hour: one browser {one_browser}, all browsers together {everyone}; "
          f"expected time to find one of {SEATS_IN_A_SCHOOL:,} seats: "
          f"{guesses / one_browser / SCHOOL_YEAR_HOURS:,.0f} years for one browser, "
          f"{guesses / everyone / SCHOOL_YEAR_HOURS:,.1f} years for all of them")
    assert guesses / everyone > SCHOOL_YEAR_HOURS


@pytest.fixture
def store(sqlite_url):
    store = RunStore(sqlite_url)
    yield store
    store.close()


def time_passes(store: RunStore, client: str, seconds: float) -> None:
    """As if `seconds` went by for this browser's misses (the store reads the clock)."""
    mine = client_events.c.client == client_key(client)
    with store._transaction(write=True) as connection:
        for event, at in connection.execute(select(client_events.c.id, client_events.c.at).where(mine)).all():
            connection.execute(update(client_events).where(client_events.c.id == event)
                               .values(at=at - timedelta(seconds=seconds)))


def test_a_thousand_wrong_codes_from_one_browser_reloading_between_tries(store):
    # Each try a new call, as after a reload: only the store remembers.
    owner = store.create_seat(Seat.new())
    waits, tries, waited = [], 0, 0.0
    for _ in range(1000):
        try:
            assert store.seat_of_code("2222-2222", client="browser:guesser") is None
            tries += 1
        except TooManyCodes as refused:
            assert str(refused).startswith("Too many wrong codes: try again in")
            if not waits or refused.seconds > waits[-1] + 1:
                waits.append(refused.seconds)
                # The same browser at once, from another tab or server: refused as well.
                with pytest.raises(TooManyCodes):
                    store.seat_of_code("3333-3333", client="browser:guesser")
                # The owner, in another browser, types the right code meanwhile: it works.
                assert store.seat_of_code(owner.code, client="browser:owner") == owner
            time_passes(store, "browser:guesser", refused.seconds)
            waited += refused.seconds
    # Refused for a growing time: 5 s, 10 s, 20 s, …, then locked out until the hour's misses age.
    assert waits[:4] == pytest.approx([5, 10, 20, 40], abs=1)
    assert all(later > earlier for earlier, later in zip(waits, waits[1:]))
    hours = waited / 3600
    print(f"\n1,000 tries from one browser: {tries} were looked up, over {hours:,.1f} hours "
          f"({tries / hours:.1f} an hour)")
    assert tries / hours <= most_tries_an_hour(NOW) + 1

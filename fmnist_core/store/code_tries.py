"""How often a code may be tried: the rule that makes guessing a seat's code take longer than a
school year, whatever the number of tabs, reloads, servers or browsers.

A browser (`client`) may type FREE_MISSES wrong codes an hour; after that each try waits twice as
long as the one before (FIRST_WAIT, then 2×, 4×, …), and after LOCK_OUT_MISSES in an hour it waits
until the oldest of them is an hour old. All browsers together may type GLOBAL_MISSES_PER_HOUR wrong
codes an hour: past that, codes wait for everyone (a learner's link still works). The store keeps
the misses (`client_events`), so every server applies the same rule.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

WINDOW = timedelta(hours=1)
FREE_MISSES = 3
FIRST_WAIT = timedelta(seconds=5)
LOCK_OUT_MISSES = 20
GLOBAL_MISSES_PER_HOUR = 600


def wait_before_next_try(misses: Sequence[datetime], everyones: int, now: datetime) -> timedelta:
    """How long this browser must wait before it may try a code (zero: it may now), from its wrong
    codes of the last hour (oldest first) and the number of everyone's."""
    if everyones >= GLOBAL_MISSES_PER_HOUR:
        return WINDOW / 12  # five minutes: the misses of the hour before then begin to expire
    recent = [miss for miss in misses if miss > now - WINDOW]
    if len(recent) < FREE_MISSES:
        return timedelta(0)
    if len(recent) >= LOCK_OUT_MISSES:
        return max(recent[-LOCK_OUT_MISSES] + WINDOW - now, timedelta(0))
    wait = FIRST_WAIT * 2 ** (len(recent) - FREE_MISSES)
    return max(min(recent[-1] + wait, recent[0] + WINDOW) - now, timedelta(0))


def most_tries_an_hour(start: datetime) -> int:
    """How many codes one browser can try in an hour by trying again the moment it may."""
    misses, now, end = [], start, start + WINDOW
    while now < end:
        now += wait_before_next_try(misses, 0, now)
        if now < end:
            misses.append(now)
            now += timedelta(milliseconds=1)
    return len(misses)

"""The classroom load benchmark's parts, without a browser (the benchmark itself, small:
tests/browser/test_classroom_load.py)."""

import time

from benchmarks.classroom.student import VANISHED_SECONDS, Student, note


def test_a_page_idle_since_before_its_students_last_press_is_not_a_vanished_training():
    now = time.time()
    long_ago = (now - 2 * VANISHED_SECONDS) * 1000  # what the page stamps: ms since the epoch
    pressed_again = Student(0, 101, 5000, clicked=now - 3 * VANISHED_SECONDS, waiting=now - 100,
                            retrains=[now - 1])  # back on a survivor, it has just pressed Train again
    note(pressed_again, {"idleSince": long_ago, "sockets": 2})
    assert pressed_again.error is None
    forgotten = Student(1, 102, 5000, clicked=now - 3 * VANISHED_SECONDS, waiting=now - 100)
    note(forgotten, {"idleSince": long_ago, "sockets": 1})
    assert forgotten.error.startswith("training vanished")

"""Numbers and nouns agree, in the engine's sentences and on the pages."""

import pytest

from fmnist_core.lesson.words import count, duration, times


@pytest.mark.parametrize(("number", "expected"), [(0, "0 epochs"), (1, "1 epoch"), (2, "2 epochs"),
                                                  (1875, "1,875 epochs")])
def test_count_agrees(number, expected):
    assert count(number, "epoch") == expected


def test_times_in_words():
    assert [times(n) for n in (1, 2, 3, 1000)] == ["once", "twice", "3 times", "1,000 times"]


@pytest.mark.parametrize(("seconds", "expected"), [
    (0.2, "about 1 s"), (9.4, "about 9 s"), (59.4, "about 59 s"), (59.6, "about 1 minute"),
    (150, "about 2 minutes"), (3599, "about 1 hour"), (7200, "about 2 hours")])
def test_duration_in_words(seconds, expected):
    assert duration(seconds) == expected

"""Numbers and nouns agree, in the engine's sentences and on the pages."""

import pytest

from fmnist_core.words import count, times


@pytest.mark.parametrize(("number", "expected"), [(0, "0 epochs"), (1, "1 epoch"), (2, "2 epochs"),
                                                  (1875, "1,875 epochs")])
def test_count_agrees(number, expected):
    assert count(number, "epoch") == expected


def test_times_in_words():
    assert [times(n) for n in (1, 2, 3, 1000)] == ["once", "twice", "3 times", "1,000 times"]

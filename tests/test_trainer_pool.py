"""The pool of compiled trainers: reuse by key, bounded, least recently used dropped first."""

import pytest

from fmnist_core.training.trainer_pool import TrainerPool


def test_a_returned_trainer_is_lent_again_for_its_key_only():
    pool, made = TrainerPool(), []

    def make():
        made.append(object())
        return made[-1]

    with pool.borrow("mlp", make) as first:
        pass
    with pool.borrow("mlp", make) as again:
        assert again is first
        with pool.borrow("mlp", make) as second:  # the idle one is lent out: a new one is made
            assert second is not first
    with pool.borrow("cnn", make) as other:
        assert other not in (first, second)
    assert len(made) == 3 and pool.idle() == {"mlp": 2, "cnn": 1}


def test_past_its_limit_the_least_recently_used_go():
    pool = TrainerPool(limit=2)
    for key in ("a", "b", "c"):
        pool.keep(key, object())
    assert pool.idle() == {"b": 1, "c": 1}
    with pool.borrow("b", object):
        pass  # "b" is now the most recently used
    pool.keep("d", object())
    assert list(pool.idle()) == ["b", "d"]


def test_a_trainer_comes_back_even_when_its_run_fails():
    pool = TrainerPool()
    with pytest.raises(RuntimeError), pool.borrow("mlp", object):
        raise RuntimeError("out of memory")
    assert pool.idle() == {"mlp": 1}


def test_limit_must_not_be_negative():
    with pytest.raises(ValueError, match="limit must be at least 0, got -1"):
        TrainerPool(limit=-1)

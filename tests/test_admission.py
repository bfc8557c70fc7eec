"""Memory admission: the first training in line starts, waits for memory, or never fits."""

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.training.admission import MEMORY_SHARE, MemoryAdmission, NeverFits
from fmnist_core.training.estimate import memory_needed

GB = 10**9
LESSON = ExperimentConfig()
NEEDED = memory_needed(LESSON)


def test_without_a_limit_every_training_starts_and_usage_is_not_read():
    def usage():
        raise AssertionError("read without a limit")

    admission = MemoryAdmission(None, usage)
    assert [admission.admit(key, LESSON) for key in range(10)] == [None] * 10


def test_a_training_waits_until_the_server_has_room_for_it():
    usage = [0.1 * GB]
    admission = MemoryAdmission(GB, lambda: usage[0])
    assert admission.admit("first", LESSON) is None  # the server with none running: 0.1 GB
    usage[0] = MEMORY_SHARE * GB - NEEDED + 1  # one byte too many for another training
    assert admission.admit("second", LESSON) == (
        f"memory: the server is at {usage[0] / GB:.1f} of its 1.0 GB, and this training needs "
        f"about {NEEDED / GB:.1f} GB")
    usage[0] = 0.2 * GB
    assert admission.admit("second", LESSON) is None


def test_a_server_too_full_with_none_running_refuses_what_would_fit_later():
    admission = MemoryAdmission(GB, lambda: MEMORY_SHARE * GB - NEEDED + 1)
    with pytest.raises(NeverFits, match="even with no other training running"):
        admission.admit("first", LESSON)


def test_a_started_training_counts_before_the_server_feels_it():
    # The usage stays as it was with nothing running: room for one training's estimate, not two.
    admission = MemoryAdmission(GB, lambda: MEMORY_SHARE * GB - 1.5 * NEEDED)
    assert admission.admit("first", LESSON) is None
    assert admission.admit("second", LESSON).startswith("memory: ")
    admission.release("first")
    assert admission.admit("second", LESSON) is None


def test_a_training_too_big_for_an_idle_server_never_fits():
    admission = MemoryAdmission(int(0.2 * GB), lambda: int(0.1 * GB))
    big = ExperimentConfig(hidden_layers=(1024, 1024, 1024), batch_size=4096)
    with pytest.raises(NeverFits) as refusal:
        admission.admit("big", big)
    assert str(refusal.value) == (
        f"This training needs about {memory_needed(big) / GB:.1f} GB of memory, more than the server "
        "can give it even with no other training running (it is at 0.1 of its 0.2 GB, and "
        "trainings may fill it to 85%): try a smaller batch or fewer neurons.")


def test_the_limit_must_be_positive():
    with pytest.raises(ValueError, match="memory_limit must be more than 0 bytes, got 0"):
        MemoryAdmission(0)

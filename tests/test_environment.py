"""The server's settings from the environment: checked, with one sentence for a bad value."""

from fmnist_core.environment import TRAINING_SLOTS_ENV, training_slots, usable_cpus


def test_training_slots_default_to_the_usable_cpus():
    assert training_slots({}) == (usable_cpus(), [])
    assert training_slots({TRAINING_SLOTS_ENV: " "}) == (usable_cpus(), [])


def test_training_slots_from_the_environment():
    assert training_slots({TRAINING_SLOTS_ENV: "3"}) == (3, [])


def test_a_bad_value_is_named_and_the_default_used():
    for text in ("zero", "0", "-2", "65", "2.5"):
        slots, [note] = training_slots({TRAINING_SLOTS_ENV: text})
        assert slots == usable_cpus()
        assert note == (f"FMNIST_TRAINING_SLOTS must be a whole number from 1 to 64; got {text!r}. "
                        f"Using {usable_cpus()}.")

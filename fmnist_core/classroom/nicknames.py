"""Nicknames in a class: checked at the door by the store's rule, suggested at random, never real names.

A nickname is shown exactly as `check_nickname` gives it, in any script; pages show it as plain
text, never as markdown or HTML (see `ui.text.plain`). No two current members of a class share one,
case and spaces aside: the store refuses a join with `NicknameTaken`, whose sentence suggests a free
one ("Ada 2").
"""

import secrets

from fmnist_core.store.class_rules import NICKNAME_LENGTH, NicknameTaken, check_nickname

__all__ = ["NICKNAME_LENGTH", "NicknameTaken", "check_nickname", "suggest_nickname"]

_ADJECTIVES = ("Brave", "Calm", "Clever", "Curious", "Eager", "Gentle", "Happy", "Jolly", "Kind",
               "Lucky", "Mighty", "Nimble", "Quick", "Quiet", "Sunny", "Swift", "Witty", "Bold")
_ANIMALS = ("Otter", "Falcon", "Panda", "Koala", "Badger", "Heron", "Lynx", "Gecko", "Puffin",
            "Walrus", "Bison", "Dolphin", "Fox", "Owl", "Tiger", "Yak", "Zebra", "Lemur")


def suggest_nickname() -> str:
    """Two random words, like "Swift Otter": a nickname that is nobody's real name."""
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)}"

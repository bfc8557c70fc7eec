"""Nicknames in a class: checked at the door, suggested at random, never real names.

A nickname is shown exactly as typed, in any script; pages show it as plain text, never as
markdown or HTML (see `ui.text.plain`).
"""

import secrets
import unicodedata

MAX_NICKNAME = 24

_ADJECTIVES = ("Brave", "Calm", "Clever", "Curious", "Eager", "Gentle", "Happy", "Jolly", "Kind",
               "Lucky", "Mighty", "Nimble", "Quick", "Quiet", "Sunny", "Swift", "Witty", "Bold")
_ANIMALS = ("Otter", "Falcon", "Panda", "Koala", "Badger", "Heron", "Lynx", "Gecko", "Puffin",
            "Walrus", "Bison", "Dolphin", "Fox", "Owl", "Tiger", "Yak", "Zebra", "Lemur")


def check_nickname(text: object) -> str:
    """The nickname as it will be shown: trimmed, 1 to 24 characters, no control characters.

    Raises ValueError with one sentence naming what is wrong.
    """
    if not isinstance(text, str):
        raise ValueError(f"A nickname is text; got {type(text).__name__}.")
    nickname = unicodedata.normalize("NFC", text.strip())
    if not nickname:
        raise ValueError("Choose a nickname (not your real name).")
    if len(nickname) > MAX_NICKNAME:
        raise ValueError(f"A nickname has at most {MAX_NICKNAME} characters; this one has "
                         f"{len(nickname)}.")
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") and character != "\u200d"
           for character in nickname):
        raise ValueError("A nickname cannot hold line breaks or invisible control characters.")
    return nickname


def suggest_nickname() -> str:
    """Two random words, like "Swift Otter": a nickname that is nobody's real name."""
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_ANIMALS)}"

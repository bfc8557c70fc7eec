"""A class's records and rules, without the database: what the class methods of the run store
return (`ClassInfo`, `Membership`, `ClassRun`, `ClassCounts`) and the rules they keep, each said once
and reused by `classroom/`: a nickname (`check_nickname`), a plan's values (`plan_texts`,
`with_plan_value`), the teacher's controls, the next member's slot (`fewest_first`) and number, the
teacher key and its hash, a run's confusion matrix as bytes. The reprs leave nicknames out.
"""

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from fmnist_core.config import SETTINGS_BY_NAME, TEACHER_MODES, ExperimentConfig
from fmnist_core.data import CLASSES
from fmnist_core.run import RunState

NICKNAME_LENGTH = 24  # at most, once stripped
FIRST_SEED = 101  # the first member's seed; the next members' are 102, 103…
MAX_PLAN_VALUES = 20
TEACHER_KEY_BYTES = 16  # 128 bits, like a seat's token
CONFUSION_DTYPE = np.dtype("<i4")


@dataclass(frozen=True)
class ClassInfo:
    """What anyone with the code may know of a class; `controls` are (setting, "lock" or "hide")
    pairs by setting name: `dict(info.controls)`."""

    code: str  # normalised: K7P2QX
    created_at: datetime
    plan_setting: str | None
    plan_values: tuple[str, ...]  # ExperimentConfig.to_query() texts; () without a plan
    controls: tuple[tuple[str, str], ...]
    show_standing: bool
    anonymous: bool
    capacity: int
    write_first: bool  # students write up the lesson's questions before they train

    @property
    def shown_code(self) -> str:
        """The code as the board shows it: K7P-2QX."""
        return f"{self.code[:3]}-{self.code[3:]}"


@dataclass(frozen=True)
class Membership:
    """A seat's place in a class: its `slot` indexes the class's plan_values (None without a plan)."""

    code: str
    nickname: str = field(repr=False)
    slot: int | None
    seed: int
    joined_at: datetime


@dataclass(frozen=True, eq=False)  # eq=False: the confusion matrix is an array
class ClassRun:
    """One run of the class, for the teacher's board; `member` is 1, 2, 3… in join order (stable,
    never a token or a seat's id)."""

    member: int
    nickname: str = field(repr=False)
    name: str
    config: ExperimentConfig
    state: RunState
    test_accuracy: float  # nan until it finishes
    seconds: float
    created_at: datetime
    finished_at: datetime | None
    confusion: np.ndarray | None = field(repr=False)  # (10, 10) int32: counts[true, predicted]


@dataclass(frozen=True)
class ClassCounts:
    """Current members, and the class's runs waiting, training, and finished (done or stopped)."""

    joined: int
    waiting: int
    training: int
    finished: int


def fewest_first(counts: Sequence[int]) -> int:
    """The index with the fewest members, the lowest of those tied: the next slot of a round-robin
    that stays balanced when members leave and others join."""
    if not counts:
        raise ValueError("fewest_first needs at least one count.")
    return min(range(len(counts)), key=counts.__getitem__)


def member_number(seed: int) -> int:
    """1, 2, 3… in join order: the seeds are 101, 102, 103…, and a member keeps its seed, so its
    number never changes, even when an earlier member's seat is deleted."""
    return seed - FIRST_SEED + 1


def new_teacher_key() -> str:
    return secrets.token_urlsafe(TEACHER_KEY_BYTES)


def teacher_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_nickname(text: object) -> str:
    """The nickname as it will be shown: trimmed, 1 to 24 characters, no control characters; in any
    script, and kept exactly so (pages show it as plain text, never as markdown or HTML).

    Raises ValueError with one sentence naming what is wrong; it never repeats the nickname.
    """
    if not isinstance(text, str):
        raise ValueError(f"A nickname is text; got {type(text).__name__}.")
    nickname = unicodedata.normalize("NFC", text.strip())
    if not nickname:
        raise ValueError("Choose a nickname (not your real name).")
    if len(nickname) > NICKNAME_LENGTH:
        raise ValueError(f"A nickname has at most {NICKNAME_LENGTH} characters; this one has "
                         f"{len(nickname)}.")
    if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") and character != "\u200d"
           for character in nickname):
        raise ValueError("A nickname cannot hold line breaks or invisible control characters.")
    return nickname


class NicknameTaken(ValueError):
    """A current member of the class already has this nickname (case and spaces aside); the
    sentence suggests `suggestion`, which nobody in the class has."""

    def __init__(self, suggestion: str):
        super().__init__(f"Someone in this class already has this nickname (capitals and spaces do "
                         f"not count): join as “{suggestion}”, or choose another.")
        self.suggestion = suggestion


def nickname_key(nickname: str) -> str:
    """What makes two nicknames the same in a class: "Ada", " ada " and "A da" have one key, as do
    full-width letters and their plain ones (compatibility-composed, case-folded, no spaces)."""
    return "".join(unicodedata.normalize("NFKC", nickname).casefold().split())


def free_nickname(nickname: str, taken: set[str]) -> str:
    """The nickname numbered ("Ada 2", then "Ada 3"…; "Ada 2" taken gives "Ada 3"), shortened to fit
    24 characters, whose key is not among the `taken` keys."""
    base, number = re.sub(r"\s+\d+$", "", nickname) or nickname, 2
    while True:
        suffix = f" {number}"
        candidate = base[:NICKNAME_LENGTH - len(suffix)].rstrip() + suffix
        if nickname_key(candidate) not in taken:
            return candidate
        number += 1


def plan_texts(setting: str, values: Sequence[str]) -> tuple[str, ...]:
    """The plan's values checked as `setting`'s URL texts and written as `to_query()` writes them."""
    if setting not in SETTINGS_BY_NAME:
        raise ValueError(f"There is no setting {setting!r} to plan.")
    if setting == "seed":
        raise ValueError("The seed cannot be planned: every member has a seed of its own.")
    if isinstance(values, str) or not 1 <= len(values) <= MAX_PLAN_VALUES:
        raise ValueError(f"A plan has 1 to {MAX_PLAN_VALUES} values, as a list of texts; got {values!r}.")
    texts = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"A plan's values are texts like the page URL's; got {value!r}.")
        texts.append(with_plan_value(ExperimentConfig(), setting, value).to_query()[setting])
    if len(set(texts)) != len(texts):
        raise ValueError(f"A plan's values must differ; got {', '.join(texts)}.")
    return tuple(texts)


def with_plan_value(base: ExperimentConfig, setting: str, value: str) -> ExperimentConfig:
    """`base` with `setting` at `value`, a text as the page URL writes it; ValueError, naming both,
    when the settings do not allow it."""
    config, notes = ExperimentConfig.from_query({**base.to_query(), setting: value})
    if notes:
        raise ValueError(f"{setting}={value!r} is not a value the settings allow: {notes[0]}")
    return config


def checked_controls(controls: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(controls, Mapping):
        raise ValueError(f"controls must map setting names to lock or hide; got {controls!r}.")
    for name, mode in controls.items():
        if name not in SETTINGS_BY_NAME or mode not in TEACHER_MODES:
            raise ValueError(f"controls map a setting to {' or '.join(TEACHER_MODES)}; got {name!r}: "
                             f"{mode!r}.")
    return dict(sorted(controls.items()))


def confusion_bytes(confusion: np.ndarray) -> bytes:
    array = np.asarray(confusion)
    if array.shape != (CLASSES, CLASSES):
        raise ValueError(f"confusion must have shape ({CLASSES}, {CLASSES}); got {array.shape}.")
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 2**31 - 1:
        raise ValueError(f"confusion must hold counts (whole numbers from 0); got {array.dtype} "
                         f"from {array.min()} to {array.max()}.")
    return np.ascontiguousarray(array, dtype=CONFUSION_DTYPE).tobytes()


def confusion_array(data: bytes | None) -> np.ndarray | None:
    if data is None:
        return None
    return np.frombuffer(data, dtype=CONFUSION_DTYPE).reshape(CLASSES, CLASSES).astype(np.int32)

"""A write-up's records and rules, without the database: what the write-up methods of the run store
return (`Writeup`, a student's own; `ClassWriteup`, one handed in, for the teacher) and the checks at
the door, each said once: a question's number (`check_question`), an answer's text
(`check_answer_text`), the evidence ticked (`checked_evidence`), what a hand-in was checked against
(`check_checked_against`). The reprs leave answers and
nicknames out.

A write-up answers the lesson's six questions (`fmnist_core.lesson.writeup.QUESTIONS`), numbered 1
to 6, each in Markdown the student writes; its evidence is the keys the student ticked, a question
and a name, like "4:curve".
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

QUESTIONS = range(1, 7)  # the lesson's six questions, by number
MAX_ANSWER_CHARACTERS = 20_000  # about 3,000 words: ten times a full answer
MAX_EVIDENCE = 30
MAX_CHECKED_AGAINST_CHARACTERS = 1_000_000  # a bound against a runaway: the runs of a whole lesson fit
_EVIDENCE_KEY = re.compile(r"[1-6]:[a-z_]{1,20}")
_WORD = re.compile(r"\w+(?:[-'’.,]\w+)*")  # "don't", "60,000" and "0.88" are one word each; "**" none


def check_question(question: object) -> int:
    """The question's number, 1 to 6; ValueError naming the bound and the value otherwise."""
    if isinstance(question, bool) or not isinstance(question, int) or question not in QUESTIONS:
        raise ValueError(f"question must be a whole number between {QUESTIONS[0]} and {QUESTIONS[-1]}, "
                         f"got {question!r}.")
    return question


def check_answer_text(text: object) -> str:
    """The answer as it is kept (exactly as written); ValueError for one that is not text or is longer
    than MAX_ANSWER_CHARACTERS. The message never repeats the text."""
    if not isinstance(text, str):
        raise ValueError(f"An answer is text, got {type(text).__name__}.")
    if len(text) > MAX_ANSWER_CHARACTERS:
        raise ValueError(f"An answer has at most {MAX_ANSWER_CHARACTERS:,} characters, got {len(text):,}.")
    return text


def checked_evidence(keys: Iterable[str]) -> frozenset[str]:
    """The evidence keys ticked, each a question and 1 to 20 of a-z and _ ("4:curve"), at most
    MAX_EVIDENCE of them (a key given twice counts once)."""
    if isinstance(keys, str | bytes | Mapping) or not isinstance(keys, Iterable):
        raise ValueError(f"evidence is a collection of keys like '4:curve', got {type(keys).__name__}.")
    checked = frozenset(keys)
    for key in sorted(checked, key=repr):
        if not isinstance(key, str) or not _EVIDENCE_KEY.fullmatch(key):
            raise ValueError(f"An evidence key is a question 1 to 6, a colon and 1 to 20 of a-z and _, "
                             f"like '4:curve'; got {key!r:.40}.")
    if len(checked) > MAX_EVIDENCE:
        raise ValueError(f"evidence must have at most {MAX_EVIDENCE} keys, got {len(checked)}.")
    return checked


def check_checked_against(text: object) -> str | None:
    """What a hand-in's hints were checked against (JSON the lesson writes, kept as it is), or None;
    ValueError for anything else, or text over MAX_CHECKED_AGAINST_CHARACTERS."""
    if text is not None and not isinstance(text, str):
        raise ValueError(f"checked_against is text or None, got {type(text).__name__}.")
    if text is not None and len(text) > MAX_CHECKED_AGAINST_CHARACTERS:
        raise ValueError(f"checked_against has at most {MAX_CHECKED_AGAINST_CHARACTERS:,} characters, "
                         f"got {len(text):,}.")
    return text


def all_answers(given: Mapping[int, str]) -> dict[int, str]:
    """Every question's answer, "" for those not written yet."""
    return {question: given.get(question, "") for question in QUESTIONS}


def count_words(text: str) -> int:
    """The words of a Markdown text: its runs of letters and digits (a number like 60,000 or 0.88 is
    one word; "-", "*" and "#" are none)."""
    return len(_WORD.findall(text))


def has_a_word(answers: Mapping[int, str]) -> bool:
    """Whether any of the answers has a word in it: a write-up that can be handed in."""
    return any(count_words(text) for text in answers.values())


class _Answers:
    """What both records say of their `answers`."""

    answers: dict[int, str]

    def words(self, question: int) -> int:
        """How many words the answer to `question` (1 to 6) has."""
        return count_words(self.answers[check_question(question)])

    @property
    def written(self) -> bool:
        """Whether any answer has a word in it (see `has_a_word`)."""
        return has_a_word(self.answers)


@dataclass(frozen=True)
class Writeup(_Answers):
    """A student's write-up: `answers` has all six questions ("" for one not written yet)."""

    answers: dict[int, str] = field(repr=False)
    evidence: frozenset[str]
    updated_at: datetime  # when an answer or the evidence last changed
    handed_in_at: datetime | None  # None until handed in


@dataclass(frozen=True)
class ClassWriteup(_Answers):
    """A write-up handed in under a class, for its teacher; `number` is its student's 1, 2, 3… in join
    order (as on the board: stable, never a token or a seat's id), for an anonymous list."""

    number: int
    nickname: str = field(repr=False)
    handed_in_at: datetime
    updated_at: datetime  # later than handed_in_at: changed since it was handed in
    answers: dict[int, str] = field(repr=False)
    evidence: frozenset[str]
    checked_against: str | None = field(repr=False)  # as the hand-in gave it (see `hand_in`)

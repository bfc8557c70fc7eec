"""The hints on a write-up: per question, what it covers and misses of the checklist and the
warnings of the rules (`check_answer`, `check_answers`), its answers found first for a whole README
(`check`)."""

import re
from collections.abc import Mapping

from fmnist_core.lesson.writeup.answers import find_answers
from fmnist_core.lesson.writeup.checklist import CHECKLIST
from fmnist_core.lesson.writeup.evidence import LESSON_EVIDENCE, Evidence
from fmnist_core.lesson.writeup.rules import (
    QUESTIONS,
    _accuracy_warnings,
    _digits_warnings,
    _label_warnings,
    _layer_warnings,
)
from fmnist_core.lesson.writeup.text import _plain


def check_answer(question: int, answer: str, evidence: Evidence = LESSON_EVIDENCE) -> dict:
    """One answer's hints: {"found", "covers", "missing", "warnings"}."""
    if question not in QUESTIONS:
        raise ValueError(f"question must be one of 1 to {len(QUESTIONS)}, got {question!r}.")
    text = _plain(answer or "")
    found = bool(re.search(r"\w", text))
    covers = [item.label for item in CHECKLIST[question] if found and item.covered(text)]
    warnings = []
    if found:
        if question == 1:
            warnings += _digits_warnings(text)
        if question == 3:
            warnings += _layer_warnings(text, evidence)
        if question == 5:
            warnings += _label_warnings(text)
        if question != 1:  # question 1 quotes other people's results, if any
            warnings += _accuracy_warnings(text, evidence)
    return {"found": found, "covers": covers,
            "missing": [item.label for item in CHECKLIST[question] if item.label not in covers],
            "warnings": warnings}


def check_answers(answers: Mapping[int, str], evidence: Evidence = LESSON_EVIDENCE) -> dict[str, dict]:
    """The hints on six answers (the page's six boxes), keyed "1" to "6", always all six."""
    return {str(question): check_answer(question, answers.get(question, ""), evidence)
            for question in QUESTIONS}


def check(text: str, evidence: Evidence = LESSON_EVIDENCE) -> dict[str, dict]:
    """The hints on a whole write-up, its answers found by `find_answers`."""
    return check_answers(find_answers(text), evidence)

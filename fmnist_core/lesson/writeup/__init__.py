"""The write-up checker: the six answers found in a README however it is written, and hints on each.

Hints, not grades. For each of the lesson's six questions: what a complete answer usually covers
(`CHECKLIST`, ticked as the text covers it) and a warning for each mix-up real write-ups make,
explained in one sentence (`RULES`). The rules read the text and the student's own runs
(`Evidence`); a write-up checked without runs is compared with the lesson's model and its
exercises (`LESSON_EVIDENCE`), and its accuracies are not checked.

    python -m fmnist_core.lesson.writeup check README.md ...   # one JSON line per file

`answers` finds the answers (`find_answers`), `evidence` holds what they are checked against,
`rules` the warnings and `QUESTIONS`, `checklist` what each answer covers, `hints` puts them
together (`check`, `check_answers`, `check_answer`), `text` reads the text for all of them and `cli`
is the command line. Exports those names, `Model`, `Item`, `evidence_from_runs` and `main`.
"""

from fmnist_core.lesson.writeup.answers import find_answers
from fmnist_core.lesson.writeup.checklist import CHECKLIST, Item
from fmnist_core.lesson.writeup.cli import main
from fmnist_core.lesson.writeup.evidence import LESSON_EVIDENCE, Evidence, Model, evidence_from_runs
from fmnist_core.lesson.writeup.hints import check, check_answer, check_answers
from fmnist_core.lesson.writeup.rules import QUESTIONS, RULES

__all__ = ["CHECKLIST", "LESSON_EVIDENCE", "QUESTIONS", "RULES", "Evidence", "Item", "Model", "check",
           "check_answer", "check_answers", "evidence_from_runs", "find_answers", "main"]

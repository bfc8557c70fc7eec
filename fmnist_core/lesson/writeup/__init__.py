"""The write-up: the checker (the six answers found in a README however it is written, and hints on
each), and the write-up to hand in (the evidence a student ticks into it, and the whole as a .zip).

Hints, not grades. For each of the lesson's six questions: what a complete answer usually covers
(`CHECKLIST`, ticked as the text covers it) and a warning for each mix-up real write-ups make,
explained in one sentence (`RULES`). The rules read the text and the student's own runs
(`Evidence`); a write-up checked without runs is compared with the lesson's model and its
exercises (`LESSON_EVIDENCE`), and its accuracies are not checked.

    python -m fmnist_core.lesson.writeup check README.md ...   # one JSON line per file

And the write-up to hand in: beside each question, evidence from the student's own data and runs
that they tick into it (`exhibits`: an `Exhibit` per question from `data_exhibit`, `pixels_exhibit`,
`model_exhibit`, `epochs_exhibit`, `prediction_exhibit` and `runs_exhibit`: sentences with their
numbers, a table, a PNG picture), and the whole as a .zip that GitHub shows as it is (`handin`:
`writeup_zip`, holding the README of `writeup_readme`, the pictures and the runs' notebooks).

`answers` finds the answers (`find_answers`), `evidence` holds what they are checked against,
`rules` the warnings and `QUESTIONS`, `checklist` what each answer covers, `hints` puts them
together (`check`, `check_answers`, `check_answer`), `text` reads the text for all of them and `cli`
is the command line. Exports those names, `Model`, `Item`, `evidence_from_runs` and `main`; and
`Exhibit`, its six builders, `what_it_is` (a run's place in the lesson), `markdown_escaped`,
`writeup_zip`, `writeup_readme`, `markdown_table`, `notebook_paths` and `NOT_ANSWERED`. Importing the
package draws nothing: matplotlib is imported when a builder draws its picture.
"""

from fmnist_core.lesson.writeup.answers import find_answers
from fmnist_core.lesson.writeup.checklist import CHECKLIST, Item
from fmnist_core.lesson.writeup.cli import main
from fmnist_core.lesson.writeup.evidence import LESSON_EVIDENCE, Evidence, Model, evidence_from_runs
from fmnist_core.lesson.writeup.exhibits import (
    Exhibit,
    data_exhibit,
    epochs_exhibit,
    markdown_escaped,
    model_exhibit,
    pixels_exhibit,
    prediction_exhibit,
    runs_exhibit,
    what_it_is,
)
from fmnist_core.lesson.writeup.handin import (
    NOT_ANSWERED,
    markdown_table,
    notebook_paths,
    writeup_readme,
    writeup_zip,
)
from fmnist_core.lesson.writeup.hints import check, check_answer, check_answers
from fmnist_core.lesson.writeup.rules import QUESTIONS, RULES

__all__ = ["CHECKLIST", "LESSON_EVIDENCE", "NOT_ANSWERED", "QUESTIONS", "RULES", "Evidence", "Exhibit",
           "Item", "Model", "check", "check_answer", "check_answers", "data_exhibit", "epochs_exhibit",
           "evidence_from_runs", "find_answers", "main", "markdown_escaped", "markdown_table",
           "model_exhibit", "notebook_paths", "pixels_exhibit", "prediction_exhibit", "runs_exhibit",
           "what_it_is", "writeup_readme", "writeup_zip"]

"""The write-ups a class handed in, as the teacher's board shows them: who handed in and when, the
words of each answer, the hints each covers and misses (those the student saw, from the evidence
kept at the hand-in), each write-up as plain text, and all of them as one .zip.

Plain Python over the store's `ClassWriteup`s; nicknames and answers pass through unchanged (the
page shows them as plain text), `anonymous` puts "Student N" instead of the nickname.
"""

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from fmnist_core.lesson.writeup import LESSON_EVIDENCE, QUESTIONS, Evidence, check_answers
from fmnist_core.lesson.writeup.handin import writeup_readme, zip_of
from fmnist_core.store import ClassWriteup


def _evidence(writeup: ClassWriteup) -> Evidence:
    """What the student's hints were checked against when they handed in."""
    if writeup.checked_against:
        try:
            return Evidence.from_json(writeup.checked_against)
        except ValueError:
            pass
    return LESSON_EVIDENCE


_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # a .zip's first date, for one with no hand-in


class HandIns:
    """A class's hand-ins, in join order, with their hints."""

    def __init__(self, writeups: Sequence[ClassWriteup], *, anonymous: bool = False):
        self.writeups, self.anonymous = list(writeups), anonymous
        self.hints = [check_answers(writeup.answers, _evidence(writeup)) for writeup in self.writeups]

    def who(self, writeup: ClassWriteup) -> str:
        return f"Student {writeup.number}" if self.anonymous else writeup.nickname

    def rows(self) -> list[dict[str, object]]:
        """One row a hand-in: who, when, the words of each answer, the hints covered and missing
        over the six questions, and the warnings."""
        return [{"student": self.who(writeup), "handed in": _when(writeup.handed_in_at),
                 "changed since": "yes" if writeup.updated_at > writeup.handed_in_at else "no",
                 **{f"words {question}": writeup.words(question) for question in QUESTIONS},
                 "hints covered": sum(len(found["covers"]) for found in hints.values()),
                 "hints missing": sum(len(found["missing"]) for found in hints.values()),
                 "warnings": sum(len(found["warnings"]) for found in hints.values())}
                for writeup, hints in zip(self.writeups, self.hints, strict=True)]

    def as_text(self, writeup: ClassWriteup) -> str:
        """The write-up as the student wrote it, each answer under its question; for reading, not
        rendering."""
        parts = [f"{self.who(writeup)}, handed in on {_when(writeup.handed_in_at)}"]
        for question, asked in QUESTIONS.items():
            answer = writeup.answers.get(question, "").strip() or "(not answered)"
            parts.append(f"{question}. {asked}\n\n{answer}")
        return "\n\n".join(parts) + "\n"

    def hints_text(self, index: int) -> list[str]:
        """The hints of one hand-in, a line a question: what it misses, and its warnings."""
        lines = []
        for question, found in self.hints[index].items():
            missing = ", ".join(found["missing"]) or "nothing"
            warnings = "".join(f"; ⚠ {warning}" for warning in found["warnings"])
            lines.append(f"{question}: misses {missing}{warnings}")
        return lines

    def csv(self) -> str:
        out = io.StringIO()
        rows = self.rows()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return out.getvalue()

    def zip(self) -> bytes:
        """Every hand-in as its student's README.md, in a folder each, and the table as CSV."""
        files = {"hand-ins.csv": self.csv().encode()}
        for writeup in self.writeups:
            readme = writeup_readme(writeup.answers, [], written=writeup.handed_in_at,
                                    title=f"{self.who(writeup)}'s write-up")
            files[f"{self._folder(writeup)}/README.md"] = readme.encode()
        return zip_of(files, max((writeup.handed_in_at for writeup in self.writeups), default=_EPOCH))

    def _folder(self, writeup: ClassWriteup) -> str:
        name = re.sub(r"[^\w-]+", "-", self.who(writeup)).strip("-").lower() or "student"
        return f"{writeup.number:02d}-{name}"


def _when(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y} at {moment:%H:%M} UTC"

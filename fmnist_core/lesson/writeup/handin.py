"""A write-up to hand in: a .zip whose files GitHub shows as they are, once put in a repository.

`writeup_zip` holds README.md (`writeup_readme`: a title, the date, then each of the lesson's six
questions with the student's answer as they wrote it and, under it, the evidence they ticked: its
sentences, its picture, its table; then a list of the notebooks), the pictures (figures/*.png) and
the runs as notebooks (notebooks/*.ipynb, named by `notebook_paths`). Pure: the same inputs give the
same bytes, every entry dated when the write-up was written.
"""

import io
import numbers
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from fmnist_core.lesson.writeup.exhibits import Exhibit, markdown_escaped
from fmnist_core.lesson.writeup.rules import QUESTIONS

NOT_ANSWERED = "_Not answered yet._"
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
# The HTML blocks that only their own end closes, not a blank line (CommonMark's kinds 1 to 5): left
# open in an answer, they would swallow every question after it on GitHub.
_LONG_HTML = re.compile(r"^( {0,3})(?=<(?:script|pre|style|textarea)(?:\s|>|$)|<!--|<\?|<![A-Za-z]|"
                        r"<!\[CDATA\[)", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?\s?%?")
_NOTEBOOK_STEM = 60  # characters of a notebook's file name, before ".ipynb"


def _contained(answer: str) -> str:
    """The answer as written, kept from spilling into the rest of the README: an HTML block that
    only its own end closes is shown as text, a code fence left open is closed."""
    lines, fence = [], None
    for line in answer.strip("\r\n").splitlines():
        found = _FENCE.fullmatch(line)
        if fence is None and found and not (found.group(1)[0] == "`" and "`" in found.group(2)):
            fence = found.group(1)
        elif fence is None:
            line = _LONG_HTML.sub(r"\1\\", line, count=1)
        elif found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence) \
                and not found.group(2).strip():
            fence = None
        lines.append(line)
    return "\n".join([*lines, fence] if fence else lines)


def _cell(value) -> str:
    """A table cell's value as Markdown: whole numbers with thousands separators, names escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):g}"
    return markdown_escaped(value)


def _number_like(value) -> bool:
    """A number, or text that is one ("88.30%", "0.3512"): aligned right in its column."""
    if isinstance(value, str):
        return bool(_NUMBER.fullmatch(value))
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def markdown_table(rows: Sequence[Mapping]) -> str:
    """Rows as a GitHub table, a column for each key (in the order the rows first have them),
    numbers aligned right; no value can break the table (a `|` is escaped, a line break a space)."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    right = [all(_number_like(row[column]) for row in rows if column in row) for column in columns]
    lines = ["| " + " | ".join(_cell(column) for column in columns) + " |",
             "| " + " | ".join("---:" if aligned else "---" for aligned in right) + " |"]
    lines += ["| " + " | ".join(_cell(row.get(column)) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def _exhibit_parts(exhibit: Exhibit) -> list[str]:
    parts = [f"### Evidence: {markdown_escaped(exhibit.title)}", exhibit.text]
    if exhibit.file is not None:
        parts.append(f"![{markdown_escaped(exhibit.alt)}]({exhibit.file})")
    if exhibit.table:
        parts.append(markdown_table(exhibit.table))
    return parts


def notebook_paths(names: Iterable[str]) -> dict[str, str]:
    """Each notebook's file in the write-up, by its name: notebooks/<the name in lower-case letters,
    digits and dashes>.ipynb, with "-2", "-3"… after a file name already taken."""
    paths, taken = {}, set()
    for name in names:
        letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        stem = re.sub(r"[^a-z0-9]+", "-", letters).strip("-")[:_NOTEBOOK_STEM].strip("-") or "notebook"
        candidate, n = stem, 1
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate)
        paths[name] = f"notebooks/{candidate}.ipynb"
    return paths


def writeup_readme(answers: Mapping[int, str], exhibits: Sequence[Exhibit],
                   notebook_names: Sequence[str] = (), *, written: datetime, title: str) -> str:
    """The write-up's README.md: the title, the date, each question with the student's answer (or
    NOT_ANSWERED) and the exhibits for it in their order, then a link to each notebook."""
    _check(answers, exhibits, written, title)
    parts = [f"# {markdown_escaped(title)}",
             f"_Written on {written:%Y-%m-%d} with Fashion-MNIST Classroom, for the Keras lesson "
             "“Classify images of clothing”. Under each answer, the evidence comes from the data and "
             "from my own runs._"]
    for number, question in QUESTIONS.items():
        answer = answers.get(number, "")
        parts += [f"## {number}. {question}", _contained(answer) if answer.strip() else NOT_ANSWERED]
        for exhibit in exhibits:
            if exhibit.question == number:
                parts += _exhibit_parts(exhibit)
    if notebook_names:
        parts += ["## Notebooks", "Each run as the lesson's Keras code, to run in Jupyter or Colab:",
                  "\n".join(f"- [{markdown_escaped(name)}]({path})"
                            for name, path in notebook_paths(notebook_names).items())]
    return "\n\n".join(parts) + "\n"


def _check(answers: Mapping[int, str], exhibits: Sequence[Exhibit], written: datetime, title: str) -> None:
    """Raises ValueError naming what cannot go in a write-up."""
    if not title.strip():
        raise ValueError("title must say whose write-up this is; got a blank one.")
    if unknown := [number for number in answers if number not in QUESTIONS]:
        raise ValueError(f"answers must be numbered 1 to 6; got {unknown!r}.")
    if not_text := [number for number, answer in answers.items() if not isinstance(answer, str)]:
        kind = type(answers[not_text[0]]).__name__
        raise ValueError(f"answers must be text; answer {not_text[0]} is {kind}.")
    for what, values in (("key", [exhibit.key for exhibit in exhibits]),
                         ("file", [exhibit.file for exhibit in exhibits if exhibit.file])):
        if len(set(values)) < len(values):
            raise ValueError(f"each exhibit must have a {what} of its own; got {values!r}.")
    if written.year < 1980:
        raise ValueError(f"written must be in 1980 or later, where a .zip's dates start; got "
                         f"{written:%Y-%m-%d}.")


def writeup_zip(answers: Mapping[int, str], exhibits: Sequence[Exhibit], notebooks: Mapping[str, str], *,
                written: datetime, title: str) -> bytes:
    """The write-up as a .zip: README.md, each exhibit's picture as its file and each notebook (by
    name, its text from `notebook.as_notebook`) as notebooks/<name>.ipynb; every entry dated
    `written`, so the same inputs give the same bytes."""
    readme = writeup_readme(answers, exhibits, list(notebooks), written=written, title=title)
    paths = notebook_paths(notebooks)
    return zip_of({"README.md": readme.encode(),
                   **{exhibit.file: exhibit.png for exhibit in exhibits if exhibit.file is not None},
                   **{paths[name]: text.encode() for name, text in notebooks.items()}}, written)


def zip_of(files: Mapping[str, bytes], written: datetime) -> bytes:
    """A .zip of `files` (path: bytes), every entry dated `written`: the same files give the same
    bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=written.timetuple()[:6])
            # A PNG is compressed already; text shrinks.
            entry.compress_type = zipfile.ZIP_STORED if path.endswith(".png") else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16  # unzipped as an ordinary file, rw-r--r--
            archive.writestr(entry, data)
    return out.getvalue()

"""Finding the six answers in a README however it is written: numbered headings or lines (Q1,
Question 1, bold, a table's rows, "answer:" prefixes) or, without numbers, each question or sentence
by the topic it talks about (`find_answers`)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fmnist_core.lesson.writeup.text import _SIXTY, _TEN, _plain, _search, _sentences, _thousands

_FENCE = re.compile(r"^\s*(?:```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s")
_Q_MARKER = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?[*_]{0,2}\s*(?:q|question)\s*\.?\s*#?\s*([1-6])(?!\d)"
                       r"[*_]{0,2}\s*[.):\-–—]?[*_]{0,2}\s*(.*)$", re.IGNORECASE)
_N_MARKER = re.compile(r"^\s{0,3}(#{1,6}\s*)?([*_]{0,2})\s*([1-6])(\s*[.):]\s*|\s*[-–—]\s+|\s+)(?!\d)(.*)$")
_QUESTION_WORD = re.compile(r"^\W*(?:what|why|how|which|when|where|who|list|describe|explain|compare|"
                            r"name|give|state|define|show)\b", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^\s*[>*_]*\s*(?:my\s+)?(?:a[mn][sw]{1,2}e?rs?|ans|a)\s*\d?\s*[*_]*\s*"
                            r"[:.\-–—]+\s*[*_]*\s*", re.IGNORECASE)
# What a question (or a section heading) is about, to number it when it carries no number.
_QUESTION_TOPICS = {
    1: (r"fashion|mnist|data ?set|\bdata\b|images",),
    2: (r"normali|pixel|scal|255|preprocess",),
    3: (r"layer|architecture|network|\bmodel\b",),
    4: (r"epoch|\btrain",),
    5: (r"predict", r"label", r"first (?:test )?image"),
    6: (r"improv|accura|better|increase|enhanc",),
}
# What a sentence of a summary is about, each pattern with its weight.
_SENTENCE_TOPICS = {
    1: ((r"\bdata ?set\b", 0.5), (r"fashion.?mnist\s+(?:is|consists|contains|has|includes|dataset)", 1),
        (rf"{_thousands(70_000)}|{_SIXTY}|{_TEN}", 1), (r"gr[ae]y[\s-]?scale", 1),
        (r"\b28\s*[x×]\s*28\b", 1), (r"categor|classes", 0.5), (r"zalando", 1),
        (r"train\w*\s+and\s+test\w*\s+(?:sets?|images|data)", 1)),
    2: ((r"normali", 1), (r"pixel", 1), (r"\b255\b", 1), (r"\b0\s*(?:-|–|to)\s*1\b(?!\d)", 1),
        (r"rescal|\bscal(?:e|ing)\b", 1), (r"preprocess", 0.5)),
    3: ((r"layer", 1), (r"flatten", 1), (r"\bdense", 1), (r"neurons?|units", 1),
        (r"activation|relu|softmax", 1), (r"architecture", 1), (r"\b784\b", 1)),
    4: ((r"epoch", 1), (r"\bbatch", 0.5), (r"pass(?:es)?\s+(?:over|through)", 1)),
    5: ((r"first (?:test )?(?:image|picture|item|sample)", 1),
        (r"(?:actual|true|real) (?:label|class)", 1)),
    6: ((r"improv|enhanc|boost", 1), (r"(?:increase|raise|higher|better)\b[^.]{0,30}accura", 1),
        (r"accura\w*[^.]{0,30}(?:increase|rose|went up|improv)", 1)),
}
_QUESTION_TOPIC_WEIGHTS = {number: [(pattern, 1) for pattern in patterns]
                           for number, patterns in _QUESTION_TOPICS.items()}


def find_answers(text: str) -> dict[int, str]:
    """The answers a README gives to the six questions, by number; a question not answered is absent.

    Questions are found as numbered headings or lines ("### 1.", "1)", "Q1:", "Question 1", "**1.
    …**", a table's rows); without numbers, a question or heading is numbered by its topic, and
    in a summary with no questions at all each sentence goes to the question it talks about.
    """
    lines = _untabled(text.splitlines())
    code = _code_lines(lines)
    markers = _markers(lines, code)
    found = _numbered_answers(lines, code, markers) if markers else _answers_by_topic(lines, code)
    return {number: answer for number, answer in sorted(found.items()) if re.search(r"\w", answer)}


def _untabled(lines: list[str]) -> list[str]:
    """A Markdown table's rows as lines: "Q1. the question", then the answer cells."""
    result = []
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            result.append(line)
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if re.match(r"^\s*\|?[\s:|-]*-{3,}[\s:|-]*$", line) or re.match(r"^\s*\|?[\s:|-]*-{3,}", following):
            continue  # the separator, and the header row above it
        cells = [re.sub(r"<br\s*/?>", "\n", cell).strip() for cell in line.strip().strip("|").split("|")]
        number = re.fullmatch(r"(?:q(?:uestion)?\s*)?([1-6])[.):]?", cells[0], re.IGNORECASE)
        if number:
            cells = cells[1:]
        question = next((cell for cell in cells if cell.endswith("?")), "")
        answer = [cell for cell in cells if cell and cell != question]
        if number:
            result.append(f"Q{number.group(1)}. {question}")
        elif question:
            result.append(question)
        result += "\n".join(answer).splitlines()
    return result


def _code_lines(lines: list[str]) -> list[bool]:
    """Whether each line is code (a fence or inside one): its "# comment" is not a heading."""
    flags, inside = [], False
    for line in lines:
        fence = bool(_FENCE.match(line))
        flags.append(inside or fence)
        inside ^= fence
    return flags


@dataclass(frozen=True)
class _Marker:
    line: int
    number: int
    inline: str  # an answer that begins on the question's own line
    level: int  # the heading's level; 0 for a line that is not a heading


def _markers(lines: list[str], code: list[bool]) -> list[_Marker]:
    """The numbered questions, in increasing order (a numbered list inside an answer is not one)."""
    markers, last = [], 0
    for index, line in enumerate(lines):
        if code[index]:
            continue
        heading = _HEADING.match(line)
        level = len(heading.group(1)) if heading else 0
        if q_form := _Q_MARKER.match(line):
            number, rest, strong, bold = int(q_form.group(1)), q_form.group(2), True, False
        elif n_form := _N_MARKER.match(line):
            number, rest = int(n_form.group(3)), n_form.group(5)
            bold, spaced = bool(n_form.group(2)), not n_form.group(4).strip()
            if spaced and not (heading or bold):
                continue  # "2 hidden layers …" starts a sentence, not a question
            strong = bool(heading)
        else:
            continue
        if number <= last or not (strong or _looks_like_question(number, rest, bold)):
            continue
        markers.append(_Marker(index, number, "" if heading else _after_question(rest), level))
        last = number
    return markers


def _looks_like_question(number: int, rest: str, bold: bool) -> bool:
    """A numbered line that asks, or starts an answer about its question's topic."""
    plain = _plain(rest).strip()
    if "?" in plain or _QUESTION_WORD.match(plain):
        return True
    on_topic = any(_search(pattern, plain) for pattern in _QUESTION_TOPICS[number])
    whole_line_bold = bold and rest.rstrip().endswith(("**", "__"))
    return on_topic and (whole_line_bold or len(plain) > 40)


def _after_question(rest: str) -> str:
    """What follows the question on its own line: "What is X? X is …" gives "X is …"."""
    if "?" in rest:
        return rest.split("?", 1)[1]
    return "" if _QUESTION_WORD.match(_plain(rest)) else rest


def _numbered_answers(lines: list[str], code: list[bool], markers: list[_Marker]) -> dict[int, str]:
    answers = {}
    for marker, following in zip(markers, [*markers[1:], None]):
        body = []
        for index in range(marker.line + 1, following.line if following else len(lines)):
            heading = None if code[index] else _HEADING.match(lines[index])
            if heading and len(heading.group(1)) <= (marker.level or 2):
                break  # a section of the README after the answer
            body.append(lines[index])
        answers[marker.number] = _cleaned("\n".join([marker.inline, *body]))
    return answers


def _cleaned(answer: str) -> str:
    """The answer without the question repeated above it nor an "answer:" prefix."""
    lines = answer.strip().splitlines()
    while lines and (not lines[0].strip() or _plain(lines[0]).strip().endswith("?")):
        lines.pop(0)
    if lines:
        lines[0] = _ANSWER_PREFIX.sub("", lines[0], count=1)
    return "\n".join(lines).strip().strip("*_").strip()


def _answers_by_topic(lines: list[str], code: list[bool]) -> dict[int, str]:
    """Each sentence to the question (or topic heading) above it; without one, to the question it
    talks about, or to the sentence before it in its paragraph; the rest is about nothing asked."""
    answers: dict[int, list[str]] = {}
    section, previous = None, None
    for line, in_code in zip(lines, code):
        plain = _plain(line).strip()
        if not plain:
            previous = None  # a new paragraph
        if not plain or _FENCE.match(line):
            continue
        heading = None if in_code else _HEADING.match(line)
        if heading or (not in_code and plain.endswith("?")):
            asks = "?" in plain or _QUESTION_WORD.match(plain.lstrip("# "))
            title = heading and len(heading.group(1)) == 1 and not asks  # the README's own name
            section = None if title else _topic(plain, _QUESTION_TOPIC_WEIGHTS)
            previous = section
            continue
        for sentence in _sentences(_ANSWER_PREFIX.sub("", plain, count=1)):
            question = section or _topic(sentence, _SENTENCE_TOPICS) or previous
            if question:
                answers.setdefault(question, []).append(sentence)
            previous = question
    return {number: "\n".join(sentences) for number, sentences in answers.items()}


def _topic(text: str, topics: Mapping[int, Iterable[tuple[str, float]]]) -> int | None:
    """The question `text` talks about most (a score of 1 at least), the first on a tie."""
    scores = {number: sum(weight for pattern, weight in patterns if _search(pattern, text))
              for number, patterns in topics.items()}
    best = max(scores, key=lambda number: (scores[number], -number))
    return best if scores[best] >= 1 else None

"""Reading a write-up's text, for the checker's rules, checklist and answers (helpers private to the
write-up checker): Markdown marks taken out, its sentences, numbers as people write them, and
patterns a text or one of its sentences matches."""

import re
from collections.abc import Callable


def _plain(text: str) -> str:
    """The text without Markdown emphasis and code marks, and with ordinary spaces."""
    return re.sub(r"\*\*|__|`", "", text.replace("\u00a0", " ").replace("\u202f", " "))


_BLOCK_LINE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|\||>|```|~~~)")


def _sentences(text: str) -> list[str]:
    """The text's sentences; a line wrapped in the middle of a sentence is joined to the next."""
    lines, joined = text.splitlines(), []
    for line in lines:
        stripped = line.strip()
        if (joined and stripped and joined[-1] and not _BLOCK_LINE.match(line)
                and not re.search(r"[.!?:;]$", joined[-1]) and re.match(r"[a-z0-9(]", stripped)):
            joined[-1] += " " + stripped
        else:
            joined.append(stripped)
    return [part for line in joined for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(*])", line)
            if re.search(r"\w", part)]


def _thousands(number: int) -> str:
    """A pattern for `number` as people write it: 60000, 60,000, 60.000, 60 000, 60k."""
    head, tail = divmod(number, 1000)
    short = r"|\s?k\b|\s?thousand\b" if tail == 0 else ""
    return rf"\b{head}(?:[,.\s']?{tail:03d}\b{short})"


_SIXTY, _TEN = _thousands(60_000), _thousands(10_000)  # the training and the test images


def _search(pattern: str, text: str) -> re.Match | None:
    return re.search(pattern, text, re.IGNORECASE)


def _has(*patterns: str) -> Callable[[str], bool]:
    """Covered when the text matches every pattern, anywhere."""
    return lambda text: all(_search(pattern, text) for pattern in patterns)


def _in_a_sentence(*patterns: str) -> Callable[[str], bool]:
    """Covered when one sentence matches every pattern."""
    return lambda text: any(all(_search(pattern, sentence) for pattern in patterns)
                            for sentence in _sentences(text))


def _any(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda text: any(test(text) for test in tests)


# Words that make a sentence a comparison, a negation or a possibility rather than a description
# of the student's own model.
_HEDGED = (r"\b(?:could|might|would|should|may|instead|rather|unlike|than|not|no|without|if|"
           r"e\.g|for example|such as|vs|versus|compared|alternative|try|trying)\b|n't")

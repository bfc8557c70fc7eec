"""Numbers in sentences, so that numbers and nouns agree: "1 epoch", "2 epochs", "1,875 steps"."""


def count(number: int, noun: str) -> str:
    """`number` (with thousands separators) and `noun`, singular for exactly one."""
    return f"{number:,} {noun if number == 1 else noun + 's'}"


def times(number: int) -> str:
    """"once", "twice", "3 times"."""
    return {1: "once", 2: "twice"}.get(number, f"{number:,} times")


def duration(seconds: float) -> str:
    """A rough length of time, as an estimate reads: "about 9 s", "about 1 minute", "about 2 hours"."""
    if seconds < 59.5:
        return f"about {max(1, round(seconds))} s"
    if seconds < 59.5 * 60:
        return "about " + count(round(seconds / 60), "minute")
    return "about " + count(round(seconds / 3600), "hour")

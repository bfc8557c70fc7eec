"""What can go wrong with the run store, and one plain sentence about it for the page."""

from sqlalchemy import exc


class StoreUnavailable(RuntimeError):
    """The database cannot be reached, opened or brought up to date; trying again later may help."""


class UnknownSeat(LookupError):
    """No seat has this token."""


class UnknownRun(LookupError):
    """The seat has no run with this id."""


# A class's errors say, in one sentence a page can show as it is, what went wrong.


class ClassNotFound(LookupError):
    """No class has this code (e.g. "No class has the code K7P-2QX: check it on the board.")."""


class ClassFull(RuntimeError):
    """The class has as many current members as it can take."""


class NotTheTeacher(LookupError):
    """The teacher key given is not the class's."""


class TooManySeats(RuntimeError):
    """This browser started as many seats lately as one may."""


class TooManyCodes(RuntimeError):
    """This browser (or everyone) typed too many wrong codes lately: it must wait `seconds`."""

    def __init__(self, sentence: str, seconds: float):
        super().__init__(sentence)
        self.seconds = seconds


def is_unavailable(error: BaseException) -> bool:
    """A problem with reaching the database (locked, down, disconnected), not with the write itself."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, StoreUnavailable | OSError | exc.OperationalError | exc.InterfaceError
                      | exc.TimeoutError | exc.DisconnectionError)


def problem_sentence(error: BaseException, safe_url: str) -> str:
    """E.g. "the database at sqlite:///runs.sqlite3 is locked"; never shows SQL parameters."""
    if isinstance(error, StoreUnavailable):
        return str(error)
    reason = _first_line(getattr(error, "orig", None) or error)
    if "locked" in reason.lower():
        return f"the database at {safe_url} is locked"
    if is_unavailable(error):
        return f"the database at {safe_url} cannot be reached: {reason}"
    return f"the database at {safe_url} failed: {reason}"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]

"""Errors raised when the Fashion-MNIST files cannot be found, fetched or trusted."""

DATA_DIR_ENV = "FMNIST_DATA_DIR"


class DataUnavailableError(RuntimeError):
    """The Fashion-MNIST files are missing, cannot be downloaded, or are damaged."""


class CorruptFileError(DataUnavailableError):
    """A data file exists but does not hold what it should."""


def corrupt_file(name: str, problem: str) -> CorruptFileError:
    """A CorruptFileError saying that `name` `problem`, followed by what to do about it."""
    return CorruptFileError(
        f"{name} {problem}. Delete it so it is downloaded again, or put the official "
        f"Fashion-MNIST files in a folder and name that folder in {DATA_DIR_ENV}."
    )

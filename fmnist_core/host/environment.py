"""The server's own settings, read from the environment and checked at the door, like a link's values.

Each reader returns the value and a list of notes: a bad value is named in one sentence and the
default is used, so a typo in a deployment never stops the class. Also what the server's memory
is at, against the container's limit (`container`), for the training queue.
"""

import os
from collections.abc import Mapping
from pathlib import Path

from fmnist_core.host.container import (
    Limits,
    cgroup_memory_usage,
    container_limits,
    read_text,
    slots_for,
)

TRAINING_SLOTS_ENV = "FMNIST_TRAINING_SLOTS"
MAX_TRAINING_SLOTS = 64


def usable_cpus() -> int:
    """The CPUs this process may run on (fewer than the machine's when it is pinned)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def training_cpus(limits: Limits | None = None) -> int:
    """The CPUs trainings can keep busy: the container's quota rounded up, else the usable CPUs."""
    return slots_for(limits or container_limits(), usable_cpus())


def training_slots(environ: Mapping[str, str] = os.environ,
                   limits: Limits | None = None) -> tuple[int, list[str]]:
    """How many trainings run at once: FMNIST_TRAINING_SLOTS, else the container's CPU quota
    (rounded up), else one per CPU this process may use."""
    default = training_cpus(limits)
    return whole_number(environ, TRAINING_SLOTS_ENV, default, low=1, high=MAX_TRAINING_SLOTS)


def whole_number(environ: Mapping[str, str], name: str, default: int, *, low: int,
                 high: int) -> tuple[int, list[str]]:
    """`environ[name]` as a whole number from `low` to `high`; unset or empty gives `default`."""
    text = environ.get(name, "").strip()
    if not text:
        return default, []
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        return default, [f"{name} must be a whole number from {low} to {high}; got {text!r}. "
                         f"Using {default}."]
    return value, []


def process_rss() -> int | None:
    """This process's resident memory in bytes (VmRSS), or None where /proc cannot tell."""
    for line in (read_text(Path("/proc/self/status")) or "").splitlines():
        if line.startswith("VmRSS:"):
            words = line.split()
            return int(words[1]) * 1024 if len(words) == 3 and words[1].isdigit() else None
    return None


def server_memory_usage() -> int | None:
    """The memory the server counts against its limit: its cgroup's, else this process's RSS."""
    usage = cgroup_memory_usage()
    return usage if usage is not None else process_rss()


DATABASE_URL_ENV = "FMNIST_DATABASE_URL"
RETENTION_DAYS_ENV = "FMNIST_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30


def database_url(environ: Mapping[str, str] = os.environ) -> str:
    """Where the runs are kept: FMNIST_DATABASE_URL, else a SQLite file in the user's data folder."""
    from fmnist_core.store import default_database_url

    return environ.get(DATABASE_URL_ENV, "").strip() or default_database_url()


def retention_days(environ: Mapping[str, str] = os.environ) -> tuple[int, list[str]]:
    """How many days runs are kept: FMNIST_RETENTION_DAYS, else 30."""
    return whole_number(environ, RETENTION_DAYS_ENV, DEFAULT_RETENTION_DAYS, low=1, high=3650)


MAX_TRAINING_MINUTES_ENV = "FMNIST_MAX_TRAINING_MINUTES"
DEFAULT_MAX_TRAINING_MINUTES = 5


def max_training_minutes(environ: Mapping[str, str] = os.environ) -> tuple[int, list[str]]:
    """How long one training may run before it is stopped: FMNIST_MAX_TRAINING_MINUTES, else 5."""
    return whole_number(environ, MAX_TRAINING_MINUTES_ENV, DEFAULT_MAX_TRAINING_MINUTES, low=1,
                        high=240)


SPOOL_DIR_ENV = "FMNIST_SPOOL_DIR"
PENDING_WRITES_MB_ENV = "FMNIST_PENDING_WRITES_MB"
DEFAULT_PENDING_WRITES_MB = 256  # see fmnist_core.store.writer.DEFAULT_MAX_PENDING_BYTES


def spool_dir(environ: Mapping[str, str] = os.environ) -> tuple[Path, list[str]]:
    """Where a server keeps the writes it could not make before it stopped, for its next start:
    FMNIST_SPOOL_DIR (an absolute path to a folder), else pending-writes/ beside the default
    SQLite file (in $XDG_DATA_HOME, else ~/.local/share)."""
    from sqlalchemy.engine import make_url

    from fmnist_core.store import default_database_url

    default = Path(make_url(default_database_url()).database).parent / "pending-writes"
    text = environ.get(SPOOL_DIR_ENV, "").strip()
    if not text:
        return default, []
    folder = Path(text).expanduser()
    if not folder.is_absolute():
        problem = "must be an absolute path"
    elif folder.exists() and not folder.is_dir():
        problem = "must be a folder, and is a file"
    else:
        return folder, []
    return default, [f"{SPOOL_DIR_ENV} {problem}; got {text!r}. Using {default}."]


def pending_writes_bytes(environ: Mapping[str, str] = os.environ) -> tuple[int, list[str]]:
    """How much a server holds in memory for the database while it is down before it refuses new
    trainings: FMNIST_PENDING_WRITES_MB megabytes, else 256."""
    megabytes, notes = whole_number(environ, PENDING_WRITES_MB_ENV, DEFAULT_PENDING_WRITES_MB, low=1,
                                    high=65536)
    return megabytes * 2**20, notes


SEAT_IDLE_SECONDS_ENV = "FMNIST_SEAT_IDLE_SECONDS"
# A reload takes seconds. Within the 120 s Streamlit keeps a closed tab's session, sweep included:
# its longer disconnectedSessionTTL (300) broke a page's reconnect to a restarted server (its first
# ▶ Train went to a fragment the new server never had; tests/test_saved_runs.py).
SEAT_IDLE_SECONDS = 60


def seat_idle_seconds(environ: Mapping[str, str] = os.environ) -> tuple[int, list[str]]:
    """How long after a learner's last tab closed their desk leaves the server's memory:
    FMNIST_SEAT_IDLE_SECONDS, else SEAT_IDLE_SECONDS (60). At most 80: the tabs' sessions must be
    closed, a sweep later, before Streamlit's disconnectedSessionTTL (120 s) would lose them
    unclosed."""
    return whole_number(environ, SEAT_IDLE_SECONDS_ENV, SEAT_IDLE_SECONDS, low=1, high=80)


def startup_notes(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Every sentence about a bad server setting, for the start-up log and the home page."""
    return [note for read in (training_slots, retention_days, max_training_minutes, spool_dir,
                              pending_writes_bytes, seat_idle_seconds)
            for note in read(environ)[1]]

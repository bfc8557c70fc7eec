"""`Spool`: the writes a server could not get into the database before it stopped, kept on its disk.

One file per server and database (`spool_path`), replayed at that server's next start. It holds seat
tokens, so it is made readable by its owner only (0600, in a 0700 folder), and replaced whole and
atomically (a temporary file, then a rename), so a server killed while writing it leaves the old
file or the new one, never half of one. It is a pickle: it is read only when this user owns it and
nobody else may write to it, as anyone who could write it could also change the app itself.
"""

import hashlib
import logging
import os
import pickle
import re
import stat
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

FORMAT = 1
# One write, as data: the RunStore method's name, its positional and its keyword arguments, and what
# to call it in the log (never a token).
SpooledWrite = tuple[str, tuple, dict, str]


def spool_path(folder: Path, server: str, database_url: str) -> Path:
    """`folder`/pending-writes-<server>-<database>.pickle: the server as a file name ("host:8501" →
    "host_8501"), the database as a short hash of its URL without the password, so that a server
    started on another database neither replays these writes into it nor overwrites them."""
    url = make_url(database_url).render_as_string(hide_password=True)
    database = hashlib.sha256(url.encode()).hexdigest()[:12]
    return Path(folder) / f"pending-writes-{re.sub(r'[^A-Za-z0-9._-]', '_', server)}-{database}.pickle"


class Spool:
    """The writes kept at `path`: `save` them all (replacing what was there), `load` them, `remove`."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def save(self, writes: list[SpooledWrite]) -> None:
        """Keeps exactly `writes`; none removes the file. Raises OSError when the disk refuses."""
        if not writes:
            self.remove()
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:  # mkstemp makes it 0600
            with os.fdopen(descriptor, "wb") as out:
                pickle.dump({"format": FORMAT, "writes": writes}, out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(self.path.parent)

    def load(self) -> list[SpooledWrite]:
        """The writes kept, oldest first; none when there is no file, or one that cannot be trusted or
        read (said in the log, and a damaged one is moved aside, not deleted)."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return []
        owner = os.getuid() if hasattr(os, "getuid") else status.st_uid  # not POSIX: the folder decides
        if status.st_uid != owner or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            log.error("Not replaying %s: it must belong to this user and be writable by nobody else.",
                      self.path)
            return []
        try:
            with self.path.open("rb") as file:
                kept = pickle.load(file)
            if not (isinstance(kept, dict) and kept.get("format") == FORMAT):
                raise ValueError(f"not a spool of format {FORMAT}")
            return [tuple(write) for write in kept["writes"]]
        except Exception as error:  # damaged, or written by a version that kept other things
            aside = self.path.with_name(f"{self.path.name}.unreadable")
            log.error("Cannot read the writes kept in %s (%s); moved it to %s.", self.path, error, aside)
            os.replace(self.path, aside)
            return []

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    @property
    def size(self) -> int:
        """Its size in bytes; 0 when there is none."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a power cut only once the folder is synced (POSIX)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

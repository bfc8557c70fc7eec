"""Download of the official Fashion-MNIST files, checked by SHA-256, never leaving half a file."""

import hashlib
import http.client
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

from fmnist_core.data.errors import DATA_DIR_ENV, DataUnavailableError


class OfficialFile(NamedTuple):
    sha256: str
    size: int  # bytes; known in advance so one progress bar can span several files


# The four files, in the order FashionMNIST holds them: train images, train labels,
# test images, test labels.
FILES: dict[str, OfficialFile] = {
    "train-images-idx3-ubyte.gz": OfficialFile(
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880
    ),
    "train-labels-idx1-ubyte.gz": OfficialFile(
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515
    ),
    "t10k-images-idx3-ubyte.gz": OfficialFile(
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102
    ),
    "t10k-labels-idx1-ubyte.gz": OfficialFile(
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148
    ),
}

OFFICIAL_MIRRORS: tuple[str, ...] = (
    # Zalando's official bucket. Plain http because S3 website endpoints do not serve
    # https; the SHA-256 check is what makes the download trustworthy.
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    # The copy keras.datasets.fashion_mnist downloads from; the same bytes.
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)
# A school can serve the four files itself: FMNIST_MIRRORS="http://server/fmnist/,..." is tried
# instead (the checksums still decide).
MIRRORS: tuple[str, ...] = tuple(
    url for url in os.environ.get("FMNIST_MIRRORS", "").split(",") if url.strip()
) or OFFICIAL_MIRRORS

_CHUNK = 1 << 20

# What can go wrong on the wire. Local OSErrors (a full disk, an unwritable folder) are
# deliberately not here: they would fail on every mirror and must not read as "offline".
_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
)


class _MirrorFailed(Exception):
    """One mirror did not deliver the file; the message is the reason, in a few words."""


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of the file at `path`, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    """A one-line reason for a network error, without the traceback."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _fetch(
    url: str, out: BinaryIO, timeout: float, progress: Callable[[int, int | None], None] | None
) -> str:
    """Stream `url` into the open binary file `out`; return the SHA-256 of what arrived."""
    digest = hashlib.sha256()
    done = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = response.length  # None when the server sends no Content-Length
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except _NETWORK_ERRORS as exc:
        raise _MirrorFailed(_reason(exc)) from None
    # http.client returns b"" instead of raising when the server hangs up early.
    if total is not None and done < total:
        raise _MirrorFailed(f"connection closed after {done:,} of {total:,} bytes")
    return digest.hexdigest()


def download_file(
    name: str,
    dest_dir: Path | str,
    *,
    sha256: str | None = None,
    mirrors: Sequence[str] = MIRRORS,
    timeout: float = 30,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download `name` into `dest_dir` from the first mirror that delivers the right bytes.

    `sha256` defaults to the official hash in FILES. `timeout` (seconds) applies to the
    connection and to each read. `progress(done_bytes, total_bytes_or_None)` is called
    after every chunk. The file only appears under its final name once its hash is
    verified; nothing is left behind otherwise. Raises DataUnavailableError when no
    mirror delivers.
    """
    if sha256 is None:
        if name not in FILES:
            raise ValueError(
                f"name={name!r} is not an official Fashion-MNIST file; expected one of "
                f"{sorted(FILES)}, or pass sha256= to download another file."
            )
        sha256 = FILES[name].sha256
    if not mirrors:
        raise ValueError("mirrors is empty; pass at least one base URL to download from.")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for base in mirrors:
        url = f"{base.rstrip('/')}/{name}"
        part = tempfile.NamedTemporaryFile(delete=False, dir=dest_dir, prefix=".", suffix=".part")
        try:
            with part:
                digest = _fetch(url, part, timeout, progress)
            if digest != sha256:
                raise _MirrorFailed(f"wrong SHA-256 {digest[:16]}…, expected {sha256[:16]}…")
            # NamedTemporaryFile makes the file private (0600); a shared data folder is read
            # by other users, so give it the mode a normal download would have.
            os.chmod(part.name, 0o644)
            target = dest_dir / name
            os.replace(part.name, target)
            return target
        except _MirrorFailed as exc:
            failures.append(f"  - {url}: {exc}")
        finally:
            # After a successful os.replace there is nothing left to remove.
            Path(part.name).unlink(missing_ok=True)
    tried = "\n".join(failures)
    raise DataUnavailableError(
        f"Could not download {name} (offline?). Tried:\n{tried}\n"
        f"Download the official Fashion-MNIST files by hand "
        f"(https://github.com/zalandoresearch/fashion-mnist) and put them in {dest_dir}, "
        f"or put them in any folder and name that folder in {DATA_DIR_ENV}."
    )

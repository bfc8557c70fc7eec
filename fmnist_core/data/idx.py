"""Reader for the IDX format of (Fashion-)MNIST, checking every byte it is given.

An IDX file is: two zero bytes, a type code (0x08 for unsigned bytes), the number of
dimensions, each dimension as a big-endian uint32, then the values in C order.
"""

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from fmnist_core.data.errors import corrupt_file

_UINT8 = 0x08
_MAGIC_SIZE = 4
_DIM_SIZE = 4


def format_shape(shape: tuple[int, ...]) -> str:
    """'60000×28×28', as error messages write a shape."""
    return "×".join(map(str, shape))


def _size_text(shape: tuple[int, ...]) -> str:
    """'60000×28×28 = 47,040,000 bytes' (or '60,000 bytes' for one dimension)."""
    size = f"{math.prod(shape):,} bytes"
    return size if len(shape) == 1 else f"{format_shape(shape)} = {size}"


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """The uint8 array held by the IDX bytes `raw`, read-only and without copying.

    `name` is used in error messages only. Raises CorruptFileError unless the header is
    valid and the payload has exactly the size the header promises.
    """
    if not raw:
        raise corrupt_file(name, "is empty")
    if len(raw) < _MAGIC_SIZE:
        raise corrupt_file(name, f"is too short for an IDX header: it has only {len(raw)} bytes")
    zeros, type_code, ndim = raw[:2], raw[2], raw[3]
    if zeros != b"\x00\x00":
        raise corrupt_file(
            name,
            f"is not an IDX file: it starts with {raw[:4].hex(' ')} "
            f"where an IDX file starts with 00 00 08 and its number of dimensions",
        )
    if type_code != _UINT8:
        raise corrupt_file(
            name, f"holds IDX type 0x{type_code:02x}, but only 0x08 (unsigned bytes) is supported"
        )
    if ndim == 0:
        raise corrupt_file(name, "declares 0 dimensions in its IDX header")
    header_size = _MAGIC_SIZE + _DIM_SIZE * ndim
    if len(raw) < header_size:
        raise corrupt_file(
            name,
            f"is truncated: its header declares {ndim} dimensions, which needs "
            f"{header_size} header bytes, but the file has only {len(raw)} bytes",
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=_MAGIC_SIZE))
    payload = len(raw) - header_size
    expected = math.prod(shape)
    if payload < expected:
        raise corrupt_file(
            name,
            f"is truncated: header promises {_size_text(shape)} but only {payload:,} follow",
        )
    if payload > expected:
        raise corrupt_file(
            name,
            f"has {payload - expected:,} unexpected trailing bytes after the "
            f"{_size_text(shape)} its header promises",
        )
    # frombuffer views the immutable bytes, so the array is read-only and costs no copy.
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape)


def read_idx_gz(path: Path) -> np.ndarray:
    """The array in the gzipped IDX file at `path`; see `parse_idx`."""
    path = Path(path)
    name = str(path)
    try:
        # Streaming from the file keeps the peak near twice the decompressed size;
        # gzip.decompress(path.read_bytes()) also holds two copies of the compressed bytes.
        # An empty file decompresses to b"", which parse_idx reports as empty.
        with gzip.open(path) as stream:
            raw = stream.read()
    except EOFError:
        raise corrupt_file(name, "is truncated: its gzip stream ends early") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise corrupt_file(name, f"is not a valid gzip file ({exc})") from None
    return parse_idx(raw, name)

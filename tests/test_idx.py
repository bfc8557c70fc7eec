"""The IDX reader on small generated files, good and damaged."""

import gzip
import struct

import numpy as np
import pytest

from fmnist_core.data.errors import CorruptFileError, DataUnavailableError
from fmnist_core.data.idx import parse_idx, read_idx_gz

NAME = "train-images-idx3-ubyte.gz"


def idx_header(*shape: int, type_code: int = 0x08) -> bytes:
    return struct.pack(f">HBB{len(shape)}I", 0, type_code, len(shape), *shape)


def idx_bytes(array: np.ndarray) -> bytes:
    return idx_header(*array.shape) + array.tobytes()


def write(tmp_path, content: bytes, *, compress: bool = True):
    path = tmp_path / NAME
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


def test_reads_images_without_copy_and_read_only(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    raw = idx_bytes(images)

    parsed = parse_idx(raw, NAME)
    read = read_idx_gz(write(tmp_path, raw))

    for array in (parsed, read):
        assert array.dtype == np.uint8 and array.shape == (3, 28, 28)
        np.testing.assert_array_equal(array, images)
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0, 0, 0] = 1
    assert np.shares_memory(parsed, np.frombuffer(raw, np.uint8))


def test_reads_labels(tmp_path):
    labels = np.array([9, 0, 0, 3, 0, 2, 7], dtype=np.uint8)
    read = read_idx_gz(write(tmp_path, idx_bytes(labels)))
    assert read.shape == (7,)
    np.testing.assert_array_equal(read, labels)


def test_truncated_message_says_what_the_header_promised(tmp_path):
    path = write(tmp_path, idx_header(60000, 28, 28) + bytes(1024))
    with pytest.raises(CorruptFileError) as caught:
        read_idx_gz(path)
    message = str(caught.value)
    assert message.startswith(f"{path} is truncated: header promises 60000×28×28 = ")
    assert "47,040,000 bytes but only 1,024 follow." in message
    assert "Delete it so it is downloaded again" in message
    assert "FMNIST_DATA_DIR" in message


CORRUPT = {
    "truncated payload": (idx_header(3, 28, 28) + bytes(1000), True, "header promises 3×28×28"),
    "trailing bytes": (idx_header(5) + bytes(7), True, "2 unexpected trailing bytes"),
    "wrong magic": (b"\x01\x02\x08\x01" + bytes(8), True, r"is not an IDX file: .*01 02 08 01"),
    "not unsigned bytes": (idx_header(2, type_code=0x0D) + bytes(8), True, "IDX type 0x0d"),
    "zero dims": (b"\x00\x00\x08\x00", True, "declares 0 dimensions"),
    "dims cut short": (b"\x00\x00\x08\x03" + bytes(8), True, "declares 3 dimensions"),
    "header cut short": (b"\x00\x00", True, "too short for an IDX header"),
    "empty idx": (b"", True, "is empty"),
    "empty file": (b"", False, "is empty"),
    "not gzip": (idx_header(1) + bytes(1), False, "is not a valid gzip file"),
}


@pytest.mark.parametrize(("content", "compress", "problem"), CORRUPT.values(), ids=CORRUPT)
def test_damaged_file_raises_corrupt_file_error_naming_it(tmp_path, content, compress, problem):
    path = write(tmp_path, content, compress=compress)
    with pytest.raises(CorruptFileError, match=problem) as caught:
        read_idx_gz(path)
    assert isinstance(caught.value, DataUnavailableError)
    assert str(path) in str(caught.value)
    assert "FMNIST_DATA_DIR" in str(caught.value)


def gzipped_noise() -> bytes:
    """Gzip of incompressible bytes, so a cut or a flipped byte lands in the deflate data."""
    noise = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    return gzip.compress(idx_bytes(np.frombuffer(noise, np.uint8)))


def test_truncated_gzip(tmp_path):
    compressed = gzipped_noise()
    path = write(tmp_path, compressed[: len(compressed) // 2], compress=False)
    with pytest.raises(CorruptFileError, match="is truncated: its gzip stream ends early") as c:
        read_idx_gz(path)
    assert str(path) in str(c.value)


def test_damaged_gzip_fails_its_crc(tmp_path):
    damaged = bytearray(gzipped_noise())
    damaged[-20] ^= 0xFF  # inside stored noise: still inflates, but the CRC no longer matches
    path = write(tmp_path, bytes(damaged), compress=False)
    with pytest.raises(CorruptFileError, match="is not a valid gzip file") as caught:
        read_idx_gz(path)
    assert str(path) in str(caught.value)

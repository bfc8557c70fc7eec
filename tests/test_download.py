"""Downloads from a real HTTP server on 127.0.0.1 serving generated files."""

import hashlib
import socket
import time

import numpy as np
import pytest

from fmnist_core.data.download import FILES, MIRRORS, download_file, sha256_of
from fmnist_core.data.errors import DataUnavailableError

NAME = "data.bin"
# Three and a bit chunks, so progress is reported several times.
BODY = np.random.default_rng(0).integers(0, 256, 3_500_000, dtype=np.uint8).tobytes()
SHA = hashlib.sha256(BODY).hexdigest()


def test_official_hashes_and_sizes_match_the_real_files(real_data):
    for name, official in FILES.items():
        path = real_data.source / name
        assert sha256_of(path) == official.sha256, name
        assert path.stat().st_size == official.size, name


def test_official_mirror_first_then_keras():
    assert MIRRORS[0].startswith("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com")
    assert MIRRORS[1] == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def test_download_verifies_and_reports_progress(tmp_path, file_server):
    file_server.serve(f"/good/{NAME}", BODY)
    calls = []

    path = download_file(
        NAME,
        tmp_path,
        sha256=SHA,
        mirrors=[file_server.url("/good/")],
        progress=lambda done, total: calls.append((done, total)),
    )

    assert path == tmp_path / NAME
    assert path.read_bytes() == BODY
    assert sha256_of(path) == SHA
    assert path.stat().st_mode & 0o777 == 0o644  # readable by others, unlike the temp file
    assert len(calls) >= 4
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert {total for _, total in calls} == {len(BODY)}
    assert calls[-1] == (len(BODY), len(BODY))
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_wrong_checksum_on_first_mirror_falls_back_to_second(tmp_path, file_server):
    file_server.serve(f"/bad/{NAME}", BODY[::-1])
    file_server.serve(f"/good/{NAME}", BODY)

    path = download_file(
        NAME, tmp_path, sha256=SHA, mirrors=[file_server.url("/bad/"), file_server.url("/good/")]
    )

    assert path.read_bytes() == BODY
    assert file_server.requested == [f"/bad/{NAME}", f"/good/{NAME}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_connection_dropped_halfway_leaves_nothing(tmp_path, file_server):
    half = BODY[: len(BODY) // 2]
    file_server.serve(f"/cut/{NAME}", half, announced=len(BODY))

    with pytest.raises(DataUnavailableError) as caught:
        download_file(NAME, tmp_path, sha256=SHA, mirrors=[file_server.url("/cut/")])

    assert f"connection closed after {len(half):,} of {len(BODY):,} bytes" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_all_mirrors_unreachable_gives_one_clear_message(tmp_path, closed_url):
    mirrors = [closed_url + "a/", closed_url + "b/"]

    with pytest.raises(DataUnavailableError) as caught:
        download_file(NAME, tmp_path, sha256=SHA, mirrors=mirrors)

    error = caught.value
    assert type(error) is DataUnavailableError
    assert error.__cause__ is None and error.__context__ is None  # no stack of socket errors
    message = str(error)
    assert message.startswith(f"Could not download {NAME} (offline?). Tried:\n")
    for mirror in mirrors:
        assert message.count(f"{mirror}{NAME}: ") == 1
    assert message.count("Connection refused") == 2
    assert str(tmp_path) in message and "FMNIST_DATA_DIR" in message
    assert len(message.splitlines()) == 4
    assert list(tmp_path.iterdir()) == []


def test_each_failing_mirror_is_summarised_in_one_line(tmp_path, file_server, closed_url):
    file_server.serve(f"/bad/{NAME}", BODY[::-1])
    file_server.serve(f"/cut/{NAME}", BODY[:1000], announced=len(BODY))
    mirrors = [file_server.url(p) for p in ("/missing/", "/bad/", "/cut/")] + [closed_url]

    with pytest.raises(DataUnavailableError) as caught:
        download_file(NAME, tmp_path, sha256=SHA, mirrors=mirrors)

    tried = str(caught.value).splitlines()[1:5]
    assert tried[0].endswith("/missing/data.bin: HTTP 404 Not Found")
    assert f"/bad/data.bin: wrong SHA-256 {hashlib.sha256(BODY[::-1]).hexdigest()[:16]}" in tried[1]
    assert tried[2].endswith(f"/cut/data.bin: connection closed after 1,000 of {len(BODY):,} bytes")
    assert "Connection refused" in tried[3]
    assert list(tmp_path.iterdir()) == []


def test_silent_server_times_out(tmp_path):
    # A listening socket that never answers: the connection succeeds, the reply never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        started = time.monotonic()
        with pytest.raises(DataUnavailableError, match=f"{NAME}: timed out"):
            download_file(NAME, tmp_path, sha256=SHA, mirrors=[url], timeout=0.5)
    assert time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


def test_unknown_file_needs_a_hash(tmp_path):
    with pytest.raises(ValueError, match=r"name='data.bin' is not an official .* pass sha256="):
        download_file(NAME, tmp_path)


def test_no_mirrors_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="mirrors is empty"):
        download_file(NAME, tmp_path, sha256=SHA, mirrors=[])

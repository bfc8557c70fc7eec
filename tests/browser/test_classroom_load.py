"""The classroom load benchmark, small: 4 students train at once in one Chromium against one server."""

import json
import os
import subprocess
import sys

import pytest

from tools.server import REPO

pytestmark = pytest.mark.browser


def test_four_students_train_at_once_each_seeing_only_their_run(real_data):
    # real_data skips without the files and puts FMNIST_DATA_DIR in the environment.
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.classroom_load", "--sessions", "4", "--train-size", "2000",
         "--epochs", "1", "--stagger", "2", "--timeout", "240"],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert (report["sessions"], report["started"]) == (4, 4), (report, result.stderr[-3000:])
    assert (report["finished"], report["failed"], report["leaks"]) == (4, 0, 0), \
        (report, result.stderr[-3000:])
    assert report["peak_rss_mb"] < 2500, report
    # Every student's run is in the run store as their page showed it, each epoch saved.
    assert (report["lost"], report["runs_saved"], report["epochs_saved"]) == (0, 4, 4), report
    assert report["epoch_save_p95_ms"] is not None and report["db_size_mb"] > 0, report
    assert report["median_wait_s"] is not None and report["worst_wait_s"] >= report["median_wait_s"]

"""Several app servers behind HAProxy, sharing one PostgreSQL: the stack `deploy/stack.py` starts,
driven by real browsers, with one app server killed mid-lesson and started again.

Everything here is real: Debian's HAProxy and PostgreSQL (scripts/test installs them), two
`streamlit run app.py`, and Chromium through `benchmarks.classroom_load`.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import postgres_bindir
from tests.places import REPO

pytestmark = pytest.mark.browser
STACK = [sys.executable, str(REPO / "deploy" / "stack.py")]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
needs_haproxy = pytest.mark.skipif(not Path(HAPROXY).is_file(),
                                   reason="HAProxy is not installed; scripts/test installs it")


def stack(action: str, folder: Path, *options: str) -> dict:
    result = subprocess.run([*STACK, action, "--folder", str(folder), *options], cwd=REPO,
                            env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs_haproxy
def test_the_balancers_config_is_valid_with_the_compose_stacks_servers():
    env = {**os.environ, "FMNIST_BALANCER_BIND": "127.0.0.1:8500", "FMNIST_BALANCER_STATS": "127.0.0.1:8404"}
    result = subprocess.run([HAPROXY, "-c", "-f", REPO / "deploy/haproxy.cfg",
                             "-f", REPO / "deploy/compose-servers.cfg"],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    # The only complaint: the Compose stack's server names do not resolve outside it.
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ALERT" in line]
    assert warnings and all("could not resolve address 'app" in line for line in warnings), result.stderr


@needs_haproxy
def test_a_class_through_the_balancer_outlives_a_killed_server(real_data, tmp_path):
    # real_data skips without the files and puts FMNIST_DATA_DIR in the environment.
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's server binaries are not installed; scripts/test installs them")
    folder = tmp_path / "stack"
    try:
        started = stack("start", folder, "--servers", "2", "--address", "127.0.0.1", "--port", "0",
                        "--throwaway")
        assert started["balancer"] == {"app1": "UP", "app2": "UP"} and started["database"], started
        # 4 students in 2 classes, each with its experiment and its teacher's board open; the
        # busiest server is killed once it trains a run with an epoch saved.
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.classroom_load", "--stack", str(folder), "--sessions", "4",
             "--classes", "2", "--plan", "Normalised or raw", "--train-size", "20000", "--epochs", "5",
             "--stagger", "2", "--kill-server-at", "0", "--timeout", "420"],
            cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=480)
        assert result.returncode == 0, result.stderr[-3000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        context = (report, result.stderr[-3000:])
        outcome = report["finished"], report["failed"], report["leaks"], report["lost"]
        assert outcome == (4, 0, 0, 0), context
        assert set(report["sessions_per_server"]) == {"app1", "app2"}, context  # both used
        # The boards, each on whichever server, show every finished run of their class, and the
        # classes' experiments stayed balanced though their students joined through two servers.
        assert report["boards_complete"] and report["board_points"] == 4, context
        assert report["plan_parts"] == [{"1": 1, "0": 1}, {"1": 1, "0": 1}], context
        # The killed server's students came back through the balancer to the survivor; the run it
        # was training is interrupted with its epochs, and its student trained again.
        killed = report["killed_server"]
        assert report["on_killed_server"] == report["sessions_per_server"][killed] >= 1, context
        assert report["reconnected"] == report["on_killed_server"], context
        assert report["interrupted"] == report["saw_interrupted"] >= 1, context
        assert report["retrained"] >= report["interrupted"], context
        assert report["marked_lost_s"] is not None, context
        # Started again, it gets new browsers from the balancer.
        assert report["after_restart_sessions"].get(killed, 0) >= 1, context
    finally:
        stopped = stack("stop", folder)
    assert (stopped["balancer"], stopped["database"]) == (False, False), stopped
    assert not any(stopped["servers"].values()), stopped
    assert not Path(started["postgres_folder"]).exists()  # a throwaway cluster goes with its runs

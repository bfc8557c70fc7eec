"""Several app servers behind HAProxy, sharing one PostgreSQL: the stack `deploy/stack.py` starts,
driven by real browsers over HTTPS, with one app server killed mid-lesson and started again.

Everything here is real: Debian's HAProxy and PostgreSQL (scripts/test installs them), two
`streamlit run app.py`, and Chromium through `benchmarks.classroom_load`. The balancer serves the
stack's self-signed certificate (the browsers accept it), and its log never holds a seat token or
a teacher key.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from deploy.stack import Stack, balancer_env, balancer_view, self_signed_certificate, stop_process
from fmnist_core.run import RunState
from fmnist_core.store import RunStore, Seat
from tests.databases import postgres_bindir
from tools.browser import TRAINING_MS, VIEWPORT, expect_page
from tools.server import REPO, free_port

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


def logged_tokens(folder: Path) -> list[str]:
    """The lines of the stack's HAProxy log that hold a seat token or a teacher key (none should:
    it logs paths without their query), after checking that it logged requests at all."""
    log = (folder / "logs" / "haproxy.log").read_text()
    assert re.search(r' \d{3} \d+ .* GET "/', log), log[-2000:]
    return [line for line in log.splitlines() if "seat=" in line or "key=" in line]


@needs_haproxy
def test_the_balancers_config_is_valid_with_the_compose_stacks_servers(tmp_path):
    certificate = self_signed_certificate(tmp_path / "tls", ["localhost"])
    env = balancer_env("127.0.0.1", 8443, 8080, 8404, certificate)
    result = subprocess.run([HAPROXY, "-c", "-f", REPO / "deploy/haproxy.cfg",
                             "-f", REPO / "deploy/compose-servers.cfg"],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    # The only complaint: the Compose stack's server names do not resolve outside it.
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ALERT" in line]
    assert warnings and all("could not resolve address 'app" in line for line in warnings), result.stderr


def test_the_app_servers_container_runs_as_a_user_not_root():
    lines = (REPO / "deploy" / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    instructions = [line.split(maxsplit=1) for line in lines if line.strip() and not line.startswith("#")]
    users = [argument.strip() for word, argument in instructions if word.upper() == "USER"]
    assert [word.upper() for word, _ in instructions][-1] == "CMD" and users, instructions
    assert users[-1].split(":")[0] not in ("root", "0"), users
    compose = (REPO / "deploy" / "docker-compose.yml").read_text()
    assert not re.search(r"^\s*user:", compose, re.MULTILINE)  # no service set back to root


def test_the_balancer_serves_the_certificate_it_is_given_and_refuses_one_without_its_key(tmp_path):
    schools = self_signed_certificate(tmp_path / "school", ["classroom.school.example"])
    balancer = Stack(tmp_path / "stack")
    balancer.state = {"settings": {"cert": str(schools)}}  # from --cert or FMNIST_BALANCER_CERT
    assert balancer._certificate("0.0.0.0").resolve() == schools
    assert not (tmp_path / "stack" / "tls" / "self-signed.pem").exists()
    (tmp_path / "alone.pem").write_text((tmp_path / "school" / "self-signed.crt").read_text())
    balancer.state = {"settings": {"cert": str(tmp_path / "alone.pem")}}
    with pytest.raises(SystemExit, match="private key"):
        balancer._certificate("0.0.0.0")


class AppServerStandIn(BaseHTTPRequestHandler):
    """Answers every GET with 200, Streamlit's health check included."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *arguments):
        pass


@needs_haproxy
def test_the_balancer_serves_https_sends_http_there_and_logs_no_token(tmp_path):
    # The stack's balancer itself (its certificate, its HAProxy), in front of a stand-in server.
    server = ThreadingHTTPServer(("127.0.0.1", 0), AppServerStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    balancer = Stack(tmp_path)
    balancer.state = {"settings": {"address": "127.0.0.1"},
                      "servers": [{"name": "app1", "port": server.server_port}],
                      **{name: free_port() for name in ("port", "http_port", "stats_port")}}
    query = "?seat=SEAT-TOKEN&key=TEACHER-KEY"
    try:
        balancer._start_balancer()
        state = balancer.state
        poll(lambda: balancer_view(state["stats_url"]) == {"app1": "UP"}, 30, 0.2)
        plain = http.client.HTTPConnection("127.0.0.1", state["http_port"], timeout=10)
        plain.request("GET", f"/Build_and_train{query}")
        redirect = plain.getresponse()
        assert redirect.status == 301  # to the same page and link over HTTPS
        assert redirect.getheader("Location") == f"{state['url']}/Build_and_train{query}"
        assert state["url"] == f"https://127.0.0.1:{state['port']}"
        assert len(base64.b64decode(state["certificate_spki"])) == 32  # its key's pin, for browsers
        # Over HTTPS the stack's self-signed certificate holds for 127.0.0.1.
        trusted = ssl.create_default_context(cafile=tmp_path / "tls" / "self-signed.crt")
        page = f"{state['url']}/Class_board{query}"
        with urllib.request.urlopen(page, context=trusted, timeout=10) as answer:
            assert answer.status == 200 and answer.read() == b"ok"
            assert "FMNIST_SERVER=app1" in answer.getheader("Set-Cookie")
            assert "Secure" in answer.getheader("Set-Cookie")  # never sent over plain HTTP
    finally:
        stop_process(balancer.state.get("haproxy_pid"), "haproxy", signal.SIGUSR1)
        server.shutdown()
    assert (tmp_path / "tls" / "self-signed.pem").stat().st_mode & 0o077 == 0  # the key: its owner's only
    log = (tmp_path / "logs" / "haproxy.log").read_text()
    assert '301 ' in log and ' GET "/Build_and_train" ' in log and ' GET "/Class_board" ' in log, log
    assert logged_tokens(tmp_path) == [], log


@needs_haproxy
def test_a_class_through_the_balancer_outlives_a_killed_server(real_data, tmp_path):
    # real_data skips without the files and puts FMNIST_DATA_DIR in the environment.
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's server binaries are not installed; scripts/test installs them")
    folder = tmp_path / "stack"
    try:
        started = stack("start", folder, "--servers", "2", "--address", "127.0.0.1", "--port", "0",
                        "--http-port", "0", "--throwaway")
        assert started["balancer"] == {"app1": "UP", "app2": "UP"} and started["database"], started
        assert started["url"].startswith("https://"), started  # the students' browsers: over TLS
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
    # 4 students' links and 2 teachers' through the balancer, and none of them in its log.
    assert logged_tokens(folder) == []


PAUSE_SECONDS = 45
RESULT = re.compile(r"Run \d+: test accuracy \d+\.\d\d%")


def poll(condition, seconds: float, every: float = 0.02):
    """`condition()`'s first true value within `seconds`; fails the test otherwise."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(every)
    return value


@needs_haproxy
def test_a_server_paused_for_45_seconds_loses_neither_its_running_nor_its_waiting_run(
        real_data, browser, tmp_path):
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL's server binaries are not installed; scripts/test installs them")
    folder = tmp_path / "stack"
    try:
        started = stack("start", folder, "--servers", "2", "--address", "127.0.0.1", "--port", "0",
                        "--http-port", "0", "--throwaway", "--slots", "1")
        state = json.loads((folder / "stack.json").read_text())
        store = RunStore(state["database_url"])
        # Over HTTPS, the stack's self-signed certificate accepted.
        context = browser.new_context(viewport=VIEWPORT, base_url=started["url"], ignore_https_errors=True)
        context.set_default_timeout(60_000)
        # One student, two tabs on the server the balancer gave them: a convnet (an epoch takes
        # seconds), and behind it, with one trainer per server, a small run that waits.
        running, waiting = context.new_page(), context.new_page()
        running.goto("/Build_and_train?architecture=cnn&epochs=2&seed=7")
        expect_page(running, "Build_and_train")
        token = parse_qs(urlparse(running.url).query)["seat"][0]
        waiting.goto(f"/Build_and_train?epochs=1&train_size=2000&seed=8&seat={token}")
        expect_page(waiting, "Build_and_train")
        [server] = [cookie["value"] for cookie in context.cookies() if cookie["name"] == "FMNIST_SERVER"]
        pid = next(entry["pid"] for entry in state["servers"] if entry["name"] == server)

        def states():
            return [(run.state, run.epochs_done) for run in store.runs_of_seat(Seat(token))]

        running.get_by_role("button", name="▶ Train").click()
        poll(lambda: states() == [(RunState.WAITING, 0)] or states() == [(RunState.RUNNING, 0)], 60, 0.1)
        waiting.get_by_role("button", name="▶ Train").click()
        poll(lambda: states() == [(RunState.RUNNING, 0), (RunState.WAITING, 0)], TRAINING_MS / 1000)
        os.kill(pid, signal.SIGSTOP)  # a long pause, a swap storm, a starved container
        paused = time.monotonic()
        try:
            # The survivor's heartbeat marks both lost, and deletes neither.
            poll(lambda: states() == [(RunState.INTERRUPTED, 0)] * 2, PAUSE_SECONDS, 0.5)
            time.sleep(max(0.0, PAUSE_SECONDS - (time.monotonic() - paused)))
        finally:
            os.kill(pid, signal.SIGCONT)
        for page in (running, waiting):  # the student's pages show both results
            page.locator('[data-testid="stAlert"]').filter(has_text=RESULT).wait_for(timeout=TRAINING_MS)
        assert poll(lambda: states() == [(RunState.DONE, 2), (RunState.DONE, 1)], 30, 0.5)
        assert all(0.1 < run.test_accuracy < 1 for run in store.runs_of_seat(Seat(token)))

        fresh = browser.new_context(viewport=VIEWPORT, base_url=started["url"],
                                    ignore_https_errors=True).new_page()
        fresh.goto(f"/?seat={token}")  # a fresh browser on the student's link
        expect_page(fresh, "")
        trained = fresh.locator('[data-testid="stMetric"]').filter(has_text="Runs trained")
        assert trained.inner_text().split() == ["Runs", "trained", "2"]
        best = max(run.test_accuracy for run in store.runs_of_seat(Seat(token)))
        assert f"{best:.1%}" in fresh.locator('[data-testid="stMetric"]').filter(has_text="Best").inner_text()
        store.close()
    finally:
        stopped = stack("stop", folder)
    assert not any(stopped["servers"].values()), stopped
    assert logged_tokens(folder) == []  # the student's link, in three tabs

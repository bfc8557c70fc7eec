"""A real `streamlit run` server stopped with SIGTERM while its PostgreSQL is down, a student's page
open: it keeps what it could not write on disk (0600), and its next start writes every epoch and
the result (the writer's parts: tests/test_store_writer.py)."""

import re
import signal
import stat
import time

import pytest

from fmnist_core.run import RunState
from fmnist_core.store import Seat
from fmnist_core.store.spool import Spool
from tests.test_store import wait_until
from tests.test_store_writer import runs_in
from tools.browser import TRAINING_MS, VIEWPORT, expect_page
from tools.server import AppServer

pytestmark = pytest.mark.browser


def test_a_server_stopped_while_its_database_is_down_writes_every_epoch_at_its_next_start(
        real_data, browser, postgres_server, stoppable_postgres, tmp_path):
    url, folder = postgres_server.create_database(), tmp_path / "spool"
    # A bound of 1 MB: the run below (256 neurons: 0.8 MB of weights, 0.4 MB of predictions) fills it.
    app = AppServer(tmp_path, env={"FMNIST_DATABASE_URL": url, "FMNIST_SPOOL_DIR": str(folder),
                                   "FMNIST_PENDING_WRITES_MB": "1"}).start()
    try:
        context = browser.new_context(viewport=VIEWPORT, base_url=app.url)
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto("/Build_and_train?train_size=1000&epochs=20&hidden_layers=256&batch_size=128")
        expect_page(page, "Build_and_train")
        token = re.search(r"[?&]seat=([^&]+)", page.url)[1]
        stoppable_postgres.stop()
        page.get_by_role("button", name="▶ Train").click()
        page.locator('[data-testid="stAlert"]').filter(has_text="Run 1: test accuracy").wait_for(
            timeout=TRAINING_MS)
        page.get_by_text("Your runs are not being saved right now").wait_for()
        page.get_by_role("button", name="▶ Train").click()  # 1.2 MB wait for the database: refused
        page.get_by_text("No new training can start on this server until the database answers again: "
                         "1 MB of the class's results are already waiting in its memory to be saved (it "
                         "holds at most 1 MB)").wait_for()

        started = time.monotonic()  # the student's page still open
        app.process.send_signal(signal.SIGTERM)
        app.process.wait(timeout=30)
        stopped_in = time.monotonic() - started
        context.close()
        [kept] = folder.glob("pending-writes-*.pickle")
        writes = Spool(kept).load()
        print(f"stopped in {stopped_in:.1f} s; kept {len(writes)} writes, {kept.stat().st_size:,} bytes")
        assert stopped_in < 10  # Docker's default grace before its SIGKILL
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert [method for method, *_ in writes].count("save_epoch") == 20
        assert "Kept" in app.log.read_text() and token not in app.log.read_text()

        stoppable_postgres.start()
        app.start()
        deadline = time.monotonic() + 60
        while not (saved := runs_in(url, Seat(token))) or saved[0].state is not RunState.DONE:
            assert time.monotonic() < deadline, f"the kept writes did not arrive: {saved}"
            time.sleep(0.2)
        [run] = saved
        assert (run.name, [epoch.epoch for epoch in run.history]) == ("Run 1", list(range(1, 21)))
        assert run.test_accuracy > 0.5
        wait_until(lambda: not kept.exists())
    finally:
        app.stop()

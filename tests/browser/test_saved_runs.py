"""Nothing a student does is lost: runs come back after a reload, in a fresh browser, on another
device by code, and after the server is killed mid-training; "Delete my runs" removes them.

One server of this module's own, with its own SQLite run store, driven by Chromium; the store is
also read directly, to check what the pages say against what is saved.
"""

import csv
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from fmnist_core.run import RunState
from fmnist_core.store import RunStore, Seat
from tools.browser import EXCEPTION, TRAINING_MS, VIEWPORT, expect_page, screenshot, sidebar_link
from tools.server import AppServer

pytestmark = pytest.mark.browser
SHORT = "train_size=2000&epochs=1"
RESULT = re.compile(r"Run \d+: test accuracy \d+\.\d\d%")


@pytest.fixture
def context(browser, app_server):
    """A new browser context: a fresh browser, no cookies, no session."""
    contexts = []

    def new():
        contexts.append(browser.new_context(viewport=VIEWPORT, base_url=app_server.url,
                                            accept_downloads=True))
        contexts[-1].set_default_timeout(60_000)
        return contexts[-1].new_page()

    yield new
    for made in contexts:
        made.close()


def seat_of(page) -> str:
    return parse_qs(urlparse(page.url).query)["seat"][0]


def stored_runs(app_server: AppServer, token: str):
    store = RunStore(app_server.database_url)
    try:
        return store.runs_of_seat(Seat(token))
    finally:
        store.close()


def train(page, query: str) -> str:
    """Trains one run from Build & train with `query`; returns the result's sentence."""
    page.goto(f"/Build_and_train?{query}")
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    result = page.locator('[data-testid="stAlert"]').filter(has_text=RESULT)
    result.wait_for(timeout=TRAINING_MS)
    return RESULT.search(result.inner_text())[0]


def compare_rows(page) -> list[dict]:
    """The rows of Compare's CSV download."""
    sidebar_link(page, "Compare runs").click()
    expect_page(page, "Compare_runs")
    with page.expect_download() as download:
        page.get_by_role("button", name="Table as CSV").click()
    rows = list(csv.DictReader(Path(download.value.path()).open()))
    expect_page(page, "Compare_runs")
    return rows


def names(rows: list[dict]) -> list[str]:
    return [row["run"] for row in rows]


def predictions_tally(page) -> str:
    sidebar_link(page, "Predictions").click()
    expect_page(page, "Predictions")
    tally = page.get_by_text(re.compile(r"Showing \d+ images: \d+ right, \d+ wrong"))
    tally.wait_for()
    return tally.inner_text()


def test_runs_come_back_after_a_reload_in_a_fresh_browser_and_by_code(context, app_server):
    page = context()
    result = train(page, SHORT)
    token = seat_of(page)
    tally = predictions_tally(page)

    page.reload()  # a reload is a new Streamlit session: the seat in the link brings the run back
    expect_page(page, "Predictions")
    assert page.get_by_text(re.compile(r"Showing \d+ images")).inner_text() == tally
    frames = page.locator(".js-plotly-plot .shapelayer path")  # the grid: green and red frames
    frames.first.wait_for()
    assert frames.count() == 20
    screenshot(page, "50-saved-after-reload")
    sidebar_link(page, "Build & train").click()
    expect_page(page, "Build_and_train")
    page.locator('[data-testid="stAlert"]').filter(has_text=result).wait_for()  # with its chart
    assert page.locator(".js-plotly-plot").count() >= 1

    fresh = context()  # the seat link in a fresh browser
    fresh.goto(f"/Predictions?seat={token}")
    expect_page(fresh, "Predictions")
    assert fresh.get_by_text(re.compile(r"Showing \d+ images")).inner_text() == tally
    assert names(compare_rows(fresh)) == ["Run 1"]

    sidebar_link(page, "Home").click()  # the code, shown on Home, typed on another device
    expect_page(page, "")
    code = re.search(r"Your code: ([A-Z2-9]{4}-[A-Z2-9]{4})",
                     page.get_by_text("Your code:").inner_text())[1]
    screenshot(page, "51-home-code")
    other = context()
    other.goto("/")
    expect_page(other, "")
    other.get_by_label("Continue from another device: type its code").fill("zzzz-zzzz")
    other.get_by_role("button", name="Bring back my runs").click()
    other.get_by_text("No seat has the code ZZZZ-ZZZZ").wait_for()
    other.get_by_label("Continue from another device: type its code").fill(code.lower())
    other.get_by_role("button", name="Bring back my runs").click()
    other.wait_for_function(f"() => location.search.includes('seat={token}')")
    expect_page(other, "")
    assert names(compare_rows(other)) == ["Run 1"]
    assert [run.name for run in stored_runs(app_server, token)] == ["Run 1"]


def test_a_server_killed_mid_training_keeps_the_finished_runs_and_the_epochs_done(context, app_server):
    page = context()
    train(page, SHORT)
    token = seat_of(page)
    # All 60,000 images, 3 epochs: about a second an epoch. Killed once epoch 1 is saved.
    page.goto(f"/Build_and_train?epochs=3&seat={token}")
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    deadline = time.monotonic() + TRAINING_MS / 1000
    while not any(run.state is RunState.RUNNING and run.history for run in stored_runs(app_server, token)):
        assert time.monotonic() < deadline, "no epoch of the second run was saved"
        time.sleep(0.05)
    app_server.kill()
    saved = stored_runs(app_server, token)
    assert [run.state for run in saved] == [RunState.DONE, RunState.RUNNING]
    epochs_done = len(saved[1].history)
    assert 1 <= epochs_done < 3

    app_server.start()  # the same database: the run that was training is marked interrupted
    fresh = context()
    fresh.goto(f"/Build_and_train?seat={token}")
    expect_page(fresh, "Build_and_train")
    fresh.get_by_text(f"Run 2 was interrupted after {epochs_done} of 3 epochs").wait_for()
    fresh.get_by_role("button", name="Train again with these settings").wait_for()
    assert fresh.locator(EXCEPTION).count() == 0
    screenshot(fresh, "52-interrupted-after-restart")
    assert [(run.name, run.state, len(run.history)) for run in stored_runs(app_server, token)] == [
        ("Run 1", RunState.DONE, 1), ("Run 2", RunState.INTERRUPTED, epochs_done)]
    rows = compare_rows(fresh)
    assert [(row["run"], row["ended"], row["epochs"]) for row in rows] == [
        ("Run 1", "done", "1"), ("Run 2", "interrupted", str(epochs_done))]
    predictions_tally(fresh)  # the finished run's predictions are back too


# Every script state the page goes through from now on (a MutationObserver misses none).
RECORD_SCRIPT_RUNS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.scriptStates = [];
    new MutationObserver(() => window.scriptStates.push(app.getAttribute('data-test-script-state')))
        .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
NEW_SERVER_DREW_THE_PAGE = """() => window.scriptStates.includes('running') && document.querySelector(
    '[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'"""


def test_a_page_open_while_its_server_restarts_trains_with_its_first_click(context, app_server):
    # The page reconnects to a server that has never drawn it (a restart here; behind a balancer,
    # a survivor): its ▶ Train, drawn by the old server, must work there at once.
    page = context()
    first = train(page, SHORT)
    page.evaluate(RECORD_SCRIPT_RUNS)
    app_server.kill()
    page.locator('[data-testid="stConnectionStatus"]').wait_for()  # "Connecting"
    app_server.start()
    page.locator('[data-testid="stConnectionStatus"]').wait_for(state="hidden")
    # Its first click once the new server has drawn the page: a click on a fragment's button that
    # comes before (within about a second) is dropped by Streamlit, which does not know it yet.
    page.wait_for_function(NEW_SERVER_DREW_THE_PAGE)
    page.get_by_role("button", name="▶ Train").click()
    result = page.locator('[data-testid="stAlert"]').filter(has_text="Run 2: test accuracy")
    result.wait_for(timeout=TRAINING_MS)
    assert first.startswith("Run 1") and page.locator(EXCEPTION).count() == 0
    assert [run.name for run in stored_runs(app_server, seat_of(page))] == ["Run 1", "Run 2"]


def test_delete_my_runs_removes_them_from_the_page_and_the_database(context, app_server):
    page = context()
    train(page, SHORT)
    token = seat_of(page)
    assert len(stored_runs(app_server, token)) == 1
    sidebar_link(page, "Compare runs").click()
    expect_page(page, "Compare_runs")
    page.get_by_text("Delete my runs", exact=True).first.click()  # the expander
    page.get_by_text("Yes, delete all my runs").click()
    page.get_by_role("button", name="Delete my runs").click()
    page.get_by_text("No runs yet").wait_for()
    screenshot(page, "53-runs-deleted")
    deadline = time.monotonic() + 10
    while stored_runs(app_server, token):
        assert time.monotonic() < deadline, "the runs are still in the database"
        time.sleep(0.05)
    page.reload()
    expect_page(page, "Compare_runs")
    page.get_by_text("No runs yet").wait_for()


def test_a_browser_that_starts_seat_after_seat_is_stopped_with_one_sentence(context):
    from fmnist_core.store.seat_store import SEATS_PER_CLIENT

    page = context()
    seats = set()
    for _ in range(SEATS_PER_CLIENT):  # a new tab without a link, again and again: a new seat each
        page.goto("/")
        expect_page(page, "")
        page.wait_for_url(re.compile(r"seat="))
        seats.add(seat_of(page))
    assert len(seats) == SEATS_PER_CLIENT
    page.goto("/")
    refused = page.locator('[data-testid="stAlert"]').filter(has_text="new seats in the last hour")
    refused.wait_for()
    assert "seat=" not in page.url and page.locator(EXCEPTION).count() == 0
    screenshot(page, "seats-refused")

    other = context()  # another browser is not held back, and this one's own link still works
    other.goto("/")
    expect_page(other, "")
    page.goto(f"/?seat={seats.pop()}")
    expect_page(page, "")


def test_a_learner_who_left_is_let_go_from_memory_and_comes_back_from_the_store(browser, real_data,
                                                                                 tmp_path):
    server = AppServer(tmp_path, env={"FMNIST_SEAT_IDLE_SECONDS": "4"}).start()
    try:
        context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
        context.set_default_timeout(60_000)
        page = context.new_page()
        result = train(page, SHORT)
        token = seat_of(page)
        context.close()  # the learner leaves: every tab closed
        deadline = time.monotonic() + 60
        while "Let go of the desks and sessions of 1 closed tabs" not in server.log.read_text():
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            time.sleep(0.5)

        back = browser.new_context(viewport=VIEWPORT, base_url=server.url).new_page()
        back.goto(f"/Build_and_train?seat={token}")  # the next day, say: the desk opens from the store
        expect_page(back, "Build_and_train")
        assert back.locator('[data-testid="stAlert"]').filter(has_text=result).count() == 1
        assert [run.state for run in stored_runs(server, token)] == [RunState.DONE]
    finally:
        server.stop()

"""A class in real browsers: a teacher's board and six students, the experiment, the end of it
(test_class_end.py: what ending it keeps).

One server of this module's own (its own SQLite run store), one Chromium: a teacher context and
six student contexts, each its own Streamlit session.
"""

import csv
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from fmnist_core.store import RunStore, Seat
from tools.browser import EXCEPTION, TRAINING_MS, VIEWPORT, expect_page, screenshot, sidebar_link
from tools.lesson import join_class, start_class
from tools.server import AppServer

pytestmark = pytest.mark.browser
NICKNAMES = ["**x**", "<script>", "[a](javascript:alert(1))", "$x$", "山田 مرحبا", "🦊🦊"]
NEURONS = [32, 64, 128, 256, 512, 32]  # the plan's values, round-robin in join order


@pytest.fixture(scope="module")
def app(real_data, tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("class_board")).start()
    yield server
    server.stop()


def new_page(browser, app):
    context = browser.new_context(viewport=VIEWPORT, base_url=app.url, accept_downloads=True)
    context.set_default_timeout(60_000)
    return context.new_page()


def board_points(page) -> list[tuple[str, float]]:
    """The class figure's points (x, test accuracy), read from Plotly's own data in the page."""
    return page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')]
            .find((div) => div.data && div.data[0] && div.data[0].name === "a student's run");
        return plot ? plot.data[0].x.map((x, i) => [x, plot.data[0].y[i]]) : [];
    }""")


def test_a_class_experiment_from_join_to_the_end_of_the_class(browser, app):
    teacher = new_page(browser, app)
    link = start_class(teacher)
    code = parse_qs(urlparse(link).query)["class"][0]
    key = parse_qs(urlparse(link).query)["key"][0]
    teacher.goto(link)
    expect_page(teacher, "Class_board")
    teacher.get_by_role("combobox", name="Experiment").click()
    teacher.get_by_role("option", name="Neurons").click()
    teacher.get_by_role("button", name="Give the class this experiment").click()
    expect_page(teacher, "Class_board")

    students = []
    for number, nickname in enumerate(NICKNAMES):
        page = new_page(browser, app)
        page.goto("/?train_size=2000&epochs=1")
        expect_page(page, "")
        join_class(page, f"{code[:3].lower()} {code[3:].lower()}", nickname)
        sidebar_link(page, "Build & train").click()
        expect_page(page, "Build_and_train")
        page.get_by_text(f"Your part of the class experiment: {NEURONS[number]} neurons").wait_for()
        page.get_by_role("button", name="▶ Train").click()
        students.append(page)
    for page in students:
        page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy").wait_for(
            timeout=TRAINING_MS)
    last_finished = time.monotonic()
    screenshot(students[1], "60-student-in-class")

    while sorted(x for x, _ in board_points(teacher)) != sorted(map(str, NEURONS)):
        assert time.monotonic() - last_finished < 5, f"board: {board_points(teacher)}"
        time.sleep(0.2)
    teacher.get_by_text(re.compile(r"^6$")).first.wait_for()  # Runs finished
    assert teacher.locator(EXCEPTION).count() == 0
    # Nicknames are text, never markup: no script, link or maths made of them.
    assert teacher.locator('script:has-text("alert")').count() == 0
    assert teacher.locator('a[href^="javascript"]').count() == 0
    assert teacher.locator(".katex").count() == 0
    screenshot(teacher, "61-class-board")
    with teacher.expect_download() as download:
        teacher.get_by_role("button", name="Download the class's results (CSV)").click()
    rows = list(csv.DictReader(Path(download.value.path()).open(encoding="utf-8")))
    assert sorted(row["student"] for row in rows) == sorted(NICKNAMES)
    assert sorted(int(row["hidden_layers"]) for row in rows) == sorted(NEURONS)
    assert len({row["seed"] for row in rows}) == 6

    # A student with their own link sees no teacher's control, and never the teacher's key.
    outsider = students[0]
    outsider.goto(outsider.url.split("?")[0].rsplit("/", 1)[0] + "/Class_board?"
                  + urlparse(outsider.url).query)
    expect_page(outsider, "Class_board")
    outsider.get_by_text("This board is for a class's teacher").wait_for()
    assert outsider.get_by_text("End the class").count() == 0
    assert all(key not in page.content() for page in students)
    tokens = [parse_qs(urlparse(page.url).query)["seat"][0] for page in students]

    teacher.get_by_text("End the class", exact=True).click()
    teacher.get_by_text("Yes, end the class and delete its data").click()
    teacher.get_by_role("button", name="End class and delete its data").click()
    teacher.get_by_text("The class has ended and its data are deleted.").wait_for()
    for page in students[1:3]:
        sidebar_link(page, "Home").click()
        page.get_by_text("Your class has ended").wait_for(timeout=15_000)
    screenshot(students[1], "62-class-ended")
    store = RunStore(app.database_url)
    try:  # the students keep their seats; their runs, all trained in the class, went with it
        assert store.class_of_code(code) is None
        assert all(store.seat_of_token(token) is not None for token in tokens)
        assert all(store.runs_of_seat(Seat(token)) == [] for token in tokens)
    finally:
        store.close()

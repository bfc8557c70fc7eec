"""The end of a class in real browsers: it takes the class's runs, never a student's seat or their
other runs.

A student trains a run on their own, joins a class a classmate started and trains a run in it; the
classmate, the class's teacher, ends it. The student's tab says so by itself (no click needed) and
keeps the first run; their seat link, opened in a fresh browser, shows the first run and not the
class's. One server of this module's own (conftest's `app_server`, its own SQLite run store), whose
store is read too.
"""

import csv
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from fmnist_core.store import RunStore, Seat
from tests.browser.test_class_board import new_page
from tools.browser import EXCEPTION, expect_page, screenshot, sidebar_link
from tools.lesson import join_class, start_class, train

pytestmark = pytest.mark.browser


def run_names(page) -> list[str]:
    """The runs Compare runs lists, from its CSV download."""
    sidebar_link(page, "Compare runs").click()
    expect_page(page, "Compare_runs")
    with page.expect_download() as download:
        page.get_by_role("button", name="Table as CSV").click()
    return [row["run"] for row in csv.DictReader(Path(download.value.path()).open(encoding="utf-8"))]


def test_ending_a_class_takes_its_runs_and_leaves_the_students_seat_and_other_runs(browser, app_server):
    student = new_page(browser, app_server)
    student.goto("/?train_size=2000&epochs=1")
    expect_page(student, "")
    train(student, "Run 1")  # on their own, before joining
    token = parse_qs(urlparse(student.url).query)["seat"][0]

    teacher = new_page(browser, app_server)  # a classmate, who starts a class
    link = start_class(teacher)
    code, key = (parse_qs(urlparse(link).query)[name][0] for name in ("class", "key"))

    sidebar_link(student, "Home").click()
    expect_page(student, "")
    join_class(student, code, "Ada")
    train(student, "Run 2")  # in the class
    store = RunStore(app_server.database_url)
    try:
        assert [run.name for run in store.class_runs(code, key)] == ["Run 2"]
    finally:
        store.close()

    teacher.goto(link)
    expect_page(teacher, "Class_board")
    teacher.get_by_text("End the class", exact=True).click()
    teacher.get_by_text("Yes, end the class and delete its data").click()
    teacher.get_by_role("button", name="End class and delete its data").click()
    teacher.get_by_text("The class has ended and its data are deleted.").wait_for()

    # The news comes to the student's page by itself, without a click.
    student.get_by_text("Your class has ended: the teacher deleted its data, the runs you trained in it "
                        "included; your seat and your other runs are still here.").wait_for(timeout=15_000)
    assert parse_qs(urlparse(student.url).query)["seat"] == [token]  # the same seat, not a new one
    screenshot(student, "63-class-ended-other-runs-kept")
    assert run_names(student) == ["Run 1"]

    fresh = new_page(browser, app_server)  # the student's seat link, in a fresh browser
    fresh.goto(f"/?seat={token}")
    expect_page(fresh, "")
    assert fresh.get_by_text("You are in class").count() == 0
    assert run_names(fresh) == ["Run 1"]
    for name, page in (("student", student), ("teacher", teacher), ("fresh", fresh)):
        assert page.locator(EXCEPTION).count() == 0, (name, page.locator(EXCEPTION).first.inner_text())
    store = RunStore(app_server.database_url)
    try:
        assert store.class_of_code(code) is None
        assert store.seat_of_token(token) is not None and store.membership_of(Seat(token)) is None
        assert [run.name for run in store.runs_of_seat(Seat(token))] == ["Run 1"]
    finally:
        store.close()

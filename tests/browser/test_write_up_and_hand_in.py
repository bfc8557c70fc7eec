"""The write-up in a real browser: a student of a class that writes first trains, writes six answers,
reloads, ticks evidence, downloads the .zip (its README renders, its pictures are in it, its notebook
runs offline) and hands in; the teacher's board lists the hand-in and opens it as plain text.
"""

import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import expect

from fmnist_core.lesson.writeup import QUESTIONS, check_answers
from fmnist_core.store import RunStore
from tests.browser.test_class_board import new_page
from tests.test_store import wait_until
from tools.browser import expect_page, screenshot, sidebar_link
from tools.lesson import join_class, start_class, train

pytestmark = pytest.mark.browser
HOSTILE = ("<b>bold</b> <script>alert(1)</script> [click](javascript:alert(1)) $x^2$ — more epochs "
           "and 256 neurons should raise the accuracy.")
ANSWERS = {
    1: "Fashion-MNIST is 70,000 greyscale images of clothing, 28x28 pixels, in 10 classes: 60,000 to "
       "train and 10,000 to test.",
    2: "Pixels go from 0 to 255; dividing by 255 scales them to 0-1, which keeps training stable.",
    3: "Flatten turns each 28x28 image into 784 values, then a Dense hidden layer of 128 neurons "
       "with ReLU, then an output layer of 10 scores, one per class.",
    4: "An epoch is one pass over all the training images: with batches of 32, 1,875 steps.",
    5: "My model predicted Ankle boot; the actual label is Ankle boot too, so they match.",
    6: HOSTILE,
}


def answer_box(page, question: int):
    return page.get_by_role("textbox", name="Your answer (Markdown)").nth(question - 1)


def settled(page) -> None:
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def test_a_student_writes_hands_in_and_the_teacher_reads_it_as_plain_text(browser, app_server, keras_home,
                                                                            monkeypatch):
    teacher = new_page(browser, app_server)
    link = start_class(teacher)
    code = parse_qs(urlparse(link).query)["class"][0]
    teacher.goto(link)
    expect_page(teacher, "Class_board")
    teacher.get_by_text("Write first", exact=True).click()
    store = RunStore(app_server.database_url)
    try:
        wait_until(lambda: store.class_of_code(code).write_first)

        student = new_page(browser, app_server)
        student.goto("/?train_size=2000&epochs=2")
        expect_page(student, "")
        join_class(student, code, "Ada")
        train(student)
        sidebar_link(student, "Learn: six questions").click()
        expect_page(student, "Learn")
        student.get_by_text("Your class writes first: each answer below stays folded").wait_for()
        assert student.get_by_text(re.compile("^The answer: your class writes first")).count() == 6

        sidebar_link(student, "Write-up").click()
        expect_page(student, "Write_up")
        for question, text in ANSWERS.items():
            answer_box(student, question).fill(text)
            answer_box(student, question).press("Tab")  # leaving the box saves it
            settled(student)
        student.get_by_text("✓ images of clothing").wait_for()
        ticks = student.get_by_role("checkbox", name=re.compile(r"^Put “.+” in my write-up$"))
        assert ticks.count() >= 5  # the data, pixels, model, curve, first prediction, runs
        for index in range(ticks.count()):
            ticks.nth(index).check(force=True)  # its label, drawn over it, takes the click
            settled(student)
        seat = store.seat_of_token(parse_qs(urlparse(student.url).query)["seat"][0])
        assert store.writeup_of(seat).answers == ANSWERS
        # A reload, and the student's link on another device: all kept.
        elsewhere = new_page(browser, app_server)
        elsewhere.goto(student.url)
        for tab in (student, elsewhere):
            if tab is student:
                tab.reload()
            expect_page(tab, "Write_up")
            for question, text in ANSWERS.items():
                expect(answer_box(tab, question)).to_have_value(text)
            for index in range(ticks.count()):
                expect(tab.get_by_role("checkbox", name=re.compile(r"^Put “.+” in my write-up$")).nth(index)
                       ).to_be_checked()
        elsewhere.context.close()
        screenshot(student, "writeup-written")

        with student.expect_download() as download:
            student.get_by_role("button", name="Download my write-up (.zip)").click()
        written = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        check_the_zip(written, keras_home, monkeypatch)

        student.get_by_role("button", name="Hand in to my teacher").click()
        student.get_by_text("Handed in at").wait_for()
        sidebar_link(student, "Learn: six questions").click()
        expect_page(student, "Learn")
        assert student.get_by_text(re.compile("your class writes first", re.IGNORECASE)).count() == 0

        teacher.goto(link)
        expect_page(teacher, "Class_board")
        row = teacher.locator('[data-testid="stTable"] tr').filter(has_text="Ada")
        row.wait_for()
        hints = check_answers(ANSWERS)
        covered = sum(len(found["covers"]) for found in hints.values())
        missing = sum(len(found["missing"]) for found in hints.values())
        cells = [cell.strip() for cell in row.locator("td, th").all_inner_texts()]
        assert str(covered) in cells and str(missing) in cells, cells
        opened = teacher.locator('[data-testid="stCode"]').filter(has_text="Ada, handed in on")
        assert HOSTILE in opened.inner_text()  # as typed: not rendered
        main = teacher.locator('[data-testid="stMain"]')
        assert main.locator("b, script").filter(has_text="bold").count() == 0
        assert teacher.locator('a[href^="javascript"]').count() == 0
        screenshot(teacher, "writeup-board")
    finally:
        store.close()


def check_the_zip(written: zipfile.ZipFile, keras_home: Path, monkeypatch) -> None:
    """README.md renders, each of its pictures is in the zip, its answers are there as written, and
    the notebook runs offline."""
    names = set(written.namelist())
    readme = written.read("README.md").decode()
    for question, text in ANSWERS.items():
        assert QUESTIONS[question] in readme and text in readme
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert links and set(links) <= names, (links, names)
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(readme)
    assert "<table>" in html and "<script>" not in html and 'href="javascript' not in html
    assert set(re.findall(r'<img src="([^"]+)"', html)) == set(links)
    notebooks = sorted(name for name in names if name.endswith(".ipynb"))
    assert notebooks and all(f"({name})" in readme for name in notebooks)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.reads(written.read(notebooks[0]).decode(), as_version=4)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    outputs = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
    assert "Test accuracy" in outputs

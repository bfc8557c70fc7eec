"""The Write-up page and the hand-ins on the class board, through Streamlit's AppTest: answers saved
with the seat and brought back in a new tab, the hints, a README checked from elsewhere, a class
that writes first, and the teacher reading a hand-in as plain text."""

import os

import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.host.environment import DATABASE_URL_ENV
from fmnist_core.lesson.writeup import QUESTIONS
from fmnist_core.store import RunStore, Seat
from tests.test_app import assert_renders, button, open_board, open_page
from tools.server import SHARED_WRITEUPS_DIR
from ui.session import SEAT

WRITEUP, LEARN, BOARD = "pages/9_Write_up.py", "pages/5_Learn.py", "pages/8_Class_board.py"
HOSTILE = "<b>bold</b> [click](javascript:alert(1)) $x^2$ **loud**"


def answer(at: AppTest, question: int):
    return at.text_area(key=f"writeup_answer_{question}")


def saved() -> None:
    from ui.resources import store_writer

    assert store_writer().flush(10), "the write-up's writes did not reach the database"


def stored_seat(at: AppTest) -> Seat:
    from ui.resources import store_writer

    seat = at.session_state[SEAT]
    store_writer().create_seat(seat)
    saved()
    return seat


def test_answers_are_saved_with_the_seat_and_come_back_in_a_new_tab(real_data, runs):
    at = open_page(WRITEUP, runs=runs)
    assert_renders(at, WRITEUP)
    seat = stored_seat(at)
    answer(at, 1).input("Fashion-MNIST: 70,000 greyscale images of clothing, 28x28, in 10 classes.").run()
    answer(at, 6).input(HOSTILE).run()
    assert "- ✓ images of clothing" in [m.value for m in at.markdown if "images of clothing" in m.value][0]
    saved()

    again = open_page(WRITEUP, query={"seat": seat.token})
    assert_renders(again, WRITEUP)
    assert answer(again, 1).value.startswith("Fashion-MNIST: 70,000")
    assert answer(again, 6).value == HOSTILE
    assert [answer(again, question).value for question in (2, 3, 4, 5)] == ["", "", "", ""]


def test_a_readme_written_elsewhere_gets_its_answers_found(real_data):
    at = open_page(WRITEUP)
    text = (SHARED_WRITEUPS_DIR / "writeup-b.md").read_text()  # all six, as ### headings
    at.text_area(key="writeup_pasted").input(text).run()
    assert_renders(at, WRITEUP)
    headers = [header.value for header in at.header]
    assert sum(f"{number} · {asked}" in headers for number, asked in QUESTIONS.items()) == 6
    assert len(at.code) == 6  # the answers found, shown as the student wrote them


def class_with(store: RunStore, seat: Seat, *, write_first: bool) -> tuple[str, str]:
    info, key = store.start_class()
    store.set_class_options(info.code, key, write_first=write_first)
    store.create_seat(seat)
    store.join_class(seat, info.code, "Ada")
    return info.code, key


def test_a_class_that_writes_first_sees_learns_answers_folded_until_it_hands_in(real_data):
    seat = Seat.new()
    store = RunStore(os.environ[DATABASE_URL_ENV])
    try:
        code, key = class_with(store, seat, write_first=True)
        learn = open_page(LEARN, query={"seat": seat.token})
        assert_renders(learn, LEARN)
        assert any("Your class writes first" in info.value for info in learn.info)
        assert len(learn.expander) >= 6

        writing = open_page(WRITEUP, query={"seat": seat.token})
        answer(writing, 1).input("Images of clothing.").run()
        button(writing, "Hand in to my teacher").click().run()
        assert any("Handed in at" in success.value for success in writing.success)

        learn = open_page(LEARN, query={"seat": seat.token})
        assert not any("Your class writes first" in info.value for info in learn.info)
        [handed] = store.class_writeups(code, key)
        assert handed.answers[1] == "Images of clothing."
    finally:
        store.close()


def test_the_teacher_reads_a_hand_in_as_plain_text(real_data):
    seat = Seat.new()
    store = RunStore(os.environ[DATABASE_URL_ENV])
    try:
        code, key = class_with(store, seat, write_first=False)
        store.save_answer(seat, 6, HOSTILE)
        store.hand_in(seat)
    finally:
        store.close()
    board = open_board({"class": code, "key": key})
    assert_renders(board, BOARD)
    [table] = [table for table in board.table if "hints covered" in table.value.columns]
    assert list(table.value["student"]) == ["Ada"]
    [opened] = [code for code in board.code if "Ada, handed in on" in code.value]
    assert HOSTILE in opened.value and opened.language in (None, "text", "plaintext")


@pytest.mark.parametrize("data, sentence", [(b"\x00\x01PNG", "not text"), (b"#" * 200_001, "at most")])
def test_a_file_that_is_no_readme_gets_one_sentence(data, sentence):
    from fmnist_core.lesson.writeup.readme import read_readme

    with pytest.raises(ValueError, match=sentence):
        read_readme(data)

"""What a student or a teacher does in the app, in a real browser, for the browser tests: train a run,
start a class, join one."""

import re

from tools.browser import TRAINING_MS, expect_page, sidebar_link


def train(page, run_name: str = r"Run \d+") -> None:
    """Presses ▶ Train on Build & train and waits for the run's result."""
    sidebar_link(page, "Build & train").click()
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    page.locator('[data-testid="stAlert"]').filter(
        has_text=re.compile(rf"{run_name}: test accuracy \d+\.\d\d%")).wait_for(timeout=TRAINING_MS)


def start_class(page) -> str:
    """Starts a class on Home; returns its teacher link (to the board, with the class and its key)."""
    page.goto("/")
    expect_page(page, "")
    page.get_by_role("button", name="Start a class").click()
    page.get_by_text("Your teacher link: for you alone").click()  # folded: not to be projected
    return page.locator('[data-testid="stCode"]').filter(has_text="/Class_board?").inner_text().strip()


def join_class(page, code: str, nickname: str) -> None:
    """Joins the class with this code from Home, as a student types it."""
    page.get_by_role("textbox", name="Class code").fill(code)
    page.get_by_role("textbox", name="Nickname").fill(nickname)
    page.get_by_role("button", name="Join the class").click()
    page.get_by_text("You are in class").wait_for()

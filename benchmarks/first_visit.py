"""Instant start: how soon a freshly started server shows its pages, and its first training.

    python -m benchmarks.first_visit [--repeats 3] [--data-dir DIR]

Each repeat starts its own `streamlit run app.py` on 127.0.0.1 and drives new Chromium tabs:
1. `home_s`: server healthy → the home page has run to its end (title shown, script idle);
2. `explore_s`: the sidebar's Explore the data → that page done (the first data load: the files
   are read, and the training queue starts loading TensorFlow in the background);
3. on Build & train (the lesson's model on all 60,000 images, 5 epochs), Train clicked at once
   (the worst case: TensorFlow may still be loading): `training_now_s` = click → the progress bar
   says "epoch 1 of 5 · step …" (training under way); `epoch_done_now_s` = click → the first
   epoch done ("epoch 2 of 5" or later, or the result);
4. 20 s later, `home_again_s` and `explore_again_s` (what a browser itself takes: the page's
   JavaScript, the connection), then `training_warm_s`, `epoch_done_warm_s`, the usual case.
Prints one JSON line with every repeat's figures and their medians.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.classroom_load import SHARED_DATA_DIR, Server
from tests.app_server import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.test_browser import VIEWPORT, expect_page

SETTLE_SECONDS = 20  # a class looks at the data for longer than this before the first Train
TIMEOUT_MS = 120_000
LESSON = "/Build_and_train?epochs=5"  # the lesson's model and data, 5 epochs (a few seconds)


def new_tab(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT, base_url=url)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def first_epoch(page) -> tuple[float, float]:
    """Seconds from the Train click to training under way, and to the first epoch done."""
    expect_page(page, "Build_and_train")
    started = time.monotonic()
    page.get_by_role("button", name="▶ Train").click()
    progress = page.locator('[data-testid="stProgress"]')
    result = page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy")
    progress.filter(has_text=re.compile(r"epoch \d of 5")).or_(result).first.wait_for()
    under_way = time.monotonic() - started
    progress.filter(has_text=re.compile(r"epoch [2-5] of 5")).or_(result).first.wait_for()
    return under_way, time.monotonic() - started


def open_home_then_explore(browser, url: str) -> tuple[float, float]:
    """A new tab: seconds to the home page, then to Explore the data by the sidebar."""
    context, page = new_tab(browser, url)
    started = time.monotonic()
    page.goto("/")
    expect_page(page, "")
    home = time.monotonic() - started
    started = time.monotonic()
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Explore the data").click()
    expect_page(page, "Explore_the_data")
    explore = time.monotonic() - started
    context.close()
    return home, explore


def train_in_a_new_tab(browser, url: str) -> tuple[float, float]:
    context, page = new_tab(browser, url)
    page.goto(LESSON)
    times = first_epoch(page)
    context.close()
    return times


def one_visit(browser, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), env, free_port())
        try:
            server.start(60)
            home, explore = open_home_then_explore(browser, server.url)
            now = train_in_a_new_tab(browser, server.url)
            time.sleep(SETTLE_SECONDS)
            again = open_home_then_explore(browser, server.url)
            warm = train_in_a_new_tab(browser, server.url)
        finally:
            server.stop()
    return {"home_s": round(home, 2), "explore_s": round(explore, 2),
            "home_again_s": round(again[0], 2), "explore_again_s": round(again[1], 2),
            "training_now_s": round(now[0], 2), "epoch_done_now_s": round(now[1], 2),
            "training_warm_s": round(warm[0], 2), "epoch_done_warm_s": round(warm[1], 2)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR)
    env = {**os.environ, "FMNIST_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}

    from playwright.sync_api import sync_playwright

    visits = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for repeat in range(args.repeats):
            visits.append(one_visit(browser, env))
            print(f"repeat {repeat + 1}: {visits[-1]}", file=sys.stderr)
        browser.close()
    report = {"repeats": visits, **{f"median_{key}": round(statistics.median(
        visit[key] for visit in visits), 2) for key in visits[0]}}
    print(json.dumps(report), flush=True)
    return report


if __name__ == "__main__":
    main()

"""Instant start: how soon a freshly started server shows its pages, and its first training.

    python -m benchmarks.first_visit [--repeats 3] [--data-dir DIR]

Each repeat starts its own `streamlit run app.py` on 127.0.0.1 and drives one Chromium tab:
1. `home_s`: server healthy → the home page has run to its end (title shown, script idle);
2. `explore_s`: the sidebar's Explore the data → that page done (the first data load: the files
   are read, and the training queue starts loading TensorFlow in the background);
3. `first_epoch_now_s`: on Build & train, Train clicked at once → the first "epoch 1 of" progress
   (the worst case: TensorFlow may still be loading);
4. `first_epoch_warm_s`: in a new tab, 20 s later, the same → the usual case in a class.
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
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port

SETTLE_SECONDS = 20  # a class looks at the data for longer than this before the first Train
TIMEOUT_MS = 120_000
SHORT = "/Build_and_train?train_size=2000&epochs=1"  # the lesson's model, a short run


def rendered(page, title: str) -> None:
    page.get_by_role("heading", name=title, level=1).wait_for(timeout=TIMEOUT_MS)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=TIMEOUT_MS)


def first_epoch(page) -> float:
    """Seconds from the Train click to the first epoch's progress text."""
    rendered(page, "Build & train")
    started = time.monotonic()
    page.get_by_role("button", name="▶ Train").click()
    page.locator('[data-testid="stProgress"]').filter(
        has_text=re.compile(r"epoch 1 of", re.IGNORECASE)).first.wait_for(timeout=TIMEOUT_MS)
    return time.monotonic() - started


def one_visit(browser, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        server = Server(free_port(), env, Path(folder))
        try:
            server.wait_healthy(60)
            context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
            page = context.new_page()
            started = time.monotonic()
            page.goto("/")
            rendered(page, "Fashion-MNIST Classroom")
            home = time.monotonic() - started
            started = time.monotonic()
            page.locator('[data-testid="stSidebar"]').get_by_role(
                "link", name="Explore the data").click()
            rendered(page, "Explore the data")
            explore = time.monotonic() - started
            page.goto(SHORT)
            now = first_epoch(page)
            time.sleep(SETTLE_SECONDS)
            later = browser.new_context(viewport=VIEWPORT, base_url=server.url)
            tab = later.new_page()
            tab.goto(SHORT)
            warm = first_epoch(tab)
            later.close()
            context.close()
        finally:
            server.stop()
    return {"home_s": round(home, 2), "explore_s": round(explore, 2),
            "first_epoch_now_s": round(now, 2), "first_epoch_warm_s": round(warm, 2)}


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

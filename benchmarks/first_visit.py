"""Instant start: how soon a freshly started server shows its pages, and its first training.

    python -m benchmarks.first_visit [--repeats 5] [--warm 1] [--data-dir DIR] [--compare CHECKOUT]

Each repeat starts its own `streamlit run app.py` on 127.0.0.1 and drives new Chromium tabs:
1. `home_s`: server healthy → the home page has run to its end (title shown, script idle);
2. `explore_s`: the sidebar's Explore the data → that page done (the first data load: the files
   are read, and the training queue starts loading TensorFlow in the background);
   `explore_drawn_s`: → every chart on it drawn and every picture loaded;
3. on Build & train (the lesson's model on all 60,000 images, 5 epochs), Train clicked at once
   (the worst case: TensorFlow may still be loading): `feedback_now_s` = click → the page shows
   the training (waiting line or progress bar); `training_now_s` = click → the progress bar says
   "epoch 1 of 5 · step …" (training under way); `epoch_done_now_s` = click → the first epoch
   done ("epoch 2 of 5" or later, or the result); `chart_now_s` = click → the chart holds the
   first epoch's points;
4. 20 s later, `home_again_s` and `explore_again_s` (what a browser itself takes: the page's
   JavaScript, the connection), then the same four for a warm server (`feedback_warm_s`, …),
   the usual case, `--warm` times in new tabs one after another (each counts as a sample).
Prints one JSON line with every repeat's figures and the medians over all samples.

`--compare CHECKOUT` (another checkout of this repository, e.g. a `git worktree` of the commit
before a change) measures its app too, fresh servers of the two alternating (which goes first
alternates too), so that both see the same machine; the line then holds both reports and the
ratio of each median (this checkout's / the other's).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.classroom.server import Server
from tools.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, expect_page
from tools.server import REPO, SHARED_DATA_DIR, free_port

SETTLE_SECONDS = 20  # a class looks at the data for longer than this before the first Train
TIMEOUT_MS = 120_000
# The lesson's model and data, 5 epochs (a few seconds); each tab its own seed, or the server
# would answer a repeat at once with the run it trained before.
LESSON = "/Build_and_train?epochs=5&seed={seed}"


def new_tab(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT, base_url=url)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


# In the page, stamped with performance.now() every animation frame from the Train click on (the
# click's own event: not the time the test tool takes to find the button): when the page first
# shows the training, training under way, the first epoch done, the first epoch on the chart.
WATCH_TRAINING = """() => {
  const seen = window.__training = {};
  const shown = (selector, pattern) => [...document.querySelectorAll(selector)].some(
      (element) => !element.closest('[data-stale="true"]') && pattern.test(element.innerText));
  document.addEventListener('click', (event) => {
    if (!seen.click && event.target.closest('button')?.innerText.includes('Train')) {
      seen.click = performance.now();
    }
  }, true);
  const look = () => {
    const now = performance.now();
    const result = shown('[data-testid="stAlert"]', /test accuracy/);
    const stamp = (key, yes) => { if (seen.click && !(key in seen) && yes) seen[key] = now - seen.click; };
    stamp('feedback', result || shown('[data-testid="stProgress"]', /./)
          || shown('[data-testid="stAlert"]', /waiting for /));
    stamp('training', result || shown('[data-testid="stProgress"]', /epoch \\d of 5/));
    stamp('epoch_done', result || shown('[data-testid="stProgress"]', /epoch [2-5] of 5/));
    stamp('chart', [...document.querySelectorAll('.js-plotly-plot')].some((plot) =>
        (plot.data || []).some((trace) => trace.legendgroup && trace.x && trace.x.length > 0)));
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}"""


def first_epoch(page) -> dict:
    """Seconds from the Train click to: the page showing the training, training under way, the
    first epoch done, and that epoch on the chart (the page's own clock)."""
    expect_page(page, "Build_and_train")
    page.evaluate(WATCH_TRAINING)
    page.get_by_role("button", name="▶ Train").click()
    page.wait_for_function("() => ['feedback', 'training', 'epoch_done', 'chart'].every("
                           "(key) => key in window.__training)")
    return {key: value / 1000 for key, value in page.evaluate("() => window.__training").items()
            if key != "click"}


# Every chart drawn (Plotly's SVG in place) and every picture loaded. Until an element's code has
# loaded Streamlit shows a skeleton in its place (a page may be done while its charts are not).
DRAWN = """() => !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')
  && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(
    (chart) => chart.querySelector('.main-svg'))
  && [...document.querySelectorAll('[data-testid="stMain"] img')].every(
    (image) => image.complete && image.naturalWidth > 0)"""


def open_home_then_explore(browser, url: str) -> tuple[float, float, float]:
    """A new tab: seconds to the home page, then to Explore the data by the sidebar, and to
    everything on it drawn."""
    context, page = new_tab(browser, url)
    started = time.monotonic()
    page.goto("/")
    expect_page(page, "")
    home = time.monotonic() - started
    started = time.monotonic()
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Explore the data").click()
    expect_page(page, "Explore_the_data")
    explore = time.monotonic() - started
    page.wait_for_function(DRAWN)
    drawn = time.monotonic() - started
    context.close()
    return home, explore, drawn


def train_in_a_new_tab(browser, url: str, seed: int) -> dict:
    context, page = new_tab(browser, url)
    page.goto(LESSON.format(seed=seed))
    times = first_epoch(page)
    page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy").wait_for()
    context.close()
    return times


def one_visit(browser, env: dict, warm_tabs: int, app_dir: Path = REPO) -> dict:
    """One fresh server of the app in `app_dir`: its first pages and first training, then warm
    ones."""
    with tempfile.TemporaryDirectory() as folder:
        server = Server(Path(folder), env, free_port(), app_dir)
        try:
            server.start(60)
            home, explore, drawn = open_home_then_explore(browser, server.url)
            now = train_in_a_new_tab(browser, server.url, seed=1)
            time.sleep(SETTLE_SECONDS)
            again = open_home_then_explore(browser, server.url)
            warm = [train_in_a_new_tab(browser, server.url, seed=2 + tab) for tab in range(warm_tabs)]
        finally:
            server.stop()
    visit = {"home_s": home, "explore_s": explore, "explore_drawn_s": drawn, "home_again_s": again[0],
             "explore_again_s": again[1], "explore_drawn_again_s": again[2],
             **{f"{key}_now_s": value for key, value in now.items()}}
    for key in now:
        visit[f"{key}_warm_s"] = [times[key] for times in warm]
    return {key: [round(v, 2) for v in value] if isinstance(value, list) else round(value, 2)
            for key, value in visit.items()}


def report(visits: list[dict]) -> dict:
    """Every visit's figures, and the median of each over all its samples."""
    def samples(key):
        return [value for visit in visits
                for value in (visit[key] if isinstance(visit[key], list) else [visit[key]])]

    return {"repeats": visits, **{f"median_{key}": round(statistics.median(samples(key)), 2)
                                  for key in visits[0]}}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh servers, one after another")
    parser.add_argument("--warm", type=int, default=1, help="warm trainings per server, in new tabs")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--compare", type=Path, default=None, metavar="CHECKOUT",
                        help="another checkout whose app is measured too, servers alternating")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR)
    env = {**os.environ, "FMNIST_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    checkouts = [REPO] if args.compare is None else [REPO, args.compare.resolve()]

    from playwright.sync_api import sync_playwright

    visits = {checkout: [] for checkout in checkouts}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for repeat in range(args.repeats):
            # Each checkout first in every other repeat, so neither always follows the other.
            for checkout in checkouts[::-1] if repeat % 2 else checkouts:
                visits[checkout].append(one_visit(browser, env, args.warm, checkout))
                print(f"repeat {repeat + 1}, {checkout}: {visits[checkout][-1]}", file=sys.stderr)
        browser.close()
    result = report(visits[REPO])
    if args.compare is not None:
        other = report(visits[checkouts[1]])
        result = {"this": {"checkout": str(REPO), **result},
                  "compared": {"checkout": str(checkouts[1]), **other},
                  "ratio": {key: round(value / other[key], 2) for key, value in result.items()
                            if key.startswith("median_") and other.get(key)}}
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()

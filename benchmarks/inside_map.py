"""How soon Inside the network draws its map, and what an open page with the map costs the server.

    python -m benchmarks.inside_map [--opens 5] [--tabs 5] [--data-dir DIR]

One warm server (`tools.server.AppServer`, a SQLite store of its own), one Chromium. A run is trained
through the page, as a learner does (Build & train with 2,000 training images and 3 epochs, ▶ Train,
its result), so its model is in the server's memory as a learner's newest run is. Then:
1. Inside the network is opened once: the server works the map out (`cold_map_drawn_s`); the tab stays.
2. `--tabs` more tabs are opened on the page and kept open: the server's RSS (its process tree, from
   /proc; the median of a few readings) just before and once they all show the map, divided by the
   tabs, is `server_mb_per_page`. No tab has closed yet, so no session is let go meanwhile.
3. With those tabs closed, the page is opened `--opens` times, each a fresh page load in a new tab of
   the same browser (its HTTP cache warm, as a learner's), the map in the server's cache. Each is timed
   by the page's own clock from navigation start: `map_drawn_s`, to the map's 4,000 points (2,000
   before and 2,000 after training) in the map component's SVG at an animation frame;
   `first_chart_drawn_s`, to the page's first Plotly chart drawn (the charts below the map, which wait
   for Plotly's own JavaScript). After each, `from_sidebar_map_drawn_s`: on Build & train with the
   run's chart drawn, from a click on the sidebar's Inside the network to the map.
`points` counts the test images on the map after training, as drawn (2,000);
`map_message_bytes` is the size of the websocket message that carries the map (its data as JSON inside
Streamlit's protobuf). Prints one JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.soak import server_rss_mb
from tools.browser import CHROMIUM, CHROMIUM_ARGS, TRAINING_MS, VIEWPORT, expect_page, sidebar_link
from tools.server import SHARED_DATA_DIR, AppServer

TRAIN = "/Build_and_train?train_size=2000&epochs=3"
INSIDE = "/Inside_the_network"
MAP_POINTS = 4000
TIMEOUT_MS = 120_000
SETTLE_SECONDS = 3.0  # after the tabs are drawn, before the RSS is read
READINGS = 5  # RSS readings, 0.5 s apart, whose median is taken
MAP_NAME = b"Map of 2,000 test images"  # in the message that carries the map's figure

# The points drawn on each map (its SVG's data-drawn) by the map component.
DRAWN = """() => [...document.querySelectorAll('.point-map svg[data-drawn]')].map(
    (svg) => Number(svg.dataset.drawn))"""

# From navigation start, every animation frame: when a Plotly chart is first drawn, and when the map
# component first holds all the map's points; and when a link was last clicked.
WATCH_THE_MAP = f"""
window.__mapDrawn = null;
window.__firstChartDrawn = null;
window.__clicked = null;  // a link clicked: the page that follows is drawn by the same document
document.addEventListener('click', (event) => {{
  if (event.target.closest('a')) window.__clicked = performance.now();
}}, true);
const look = () => {{
  if (window.__firstChartDrawn === null && document.querySelector('.js-plotly-plot .main-svg')) {{
    window.__firstChartDrawn = performance.now();
  }}
  if (window.__mapDrawn === null && ({DRAWN})().reduce((sum, n) => sum + n, 0) >= {MAP_POINTS}) {{
    window.__mapDrawn = performance.now();
  }}
  if (window.__mapDrawn === null || window.__firstChartDrawn === null) requestAnimationFrame(look);
}};
requestAnimationFrame(look);
"""

def train_a_run(context) -> str:
    """Trains a run through Build & train; returns the link's query: the settings and the seat."""
    page = context.new_page()
    page.goto(TRAIN)
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy").wait_for(timeout=TRAINING_MS)
    query = page.url.partition("?")[2]
    page.close()
    return query


def from_the_sidebar(context, query: str) -> float:
    """Seconds from a click on the sidebar's Inside the network, on Build & train with the run's chart
    drawn (Plotly's code already loaded, as when a learner comes from training), to the map drawn."""
    page = context.new_page()
    page.goto(f"{TRAIN.partition('?')[0]}?{query}")
    expect_page(page, "Build_and_train")
    page.wait_for_function("() => window.__firstChartDrawn !== null", timeout=TIMEOUT_MS)
    sidebar_link(page, "Inside the network").click()
    page.wait_for_function("() => window.__mapDrawn !== null", timeout=TIMEOUT_MS)
    seconds = page.evaluate("() => window.__mapDrawn - window.__clicked") / 1000
    page.close()
    return seconds


def open_with_the_map(context, link: str, messages: list[int] | None = None):
    """A new tab on `link`, once its map is drawn; returns it and the seconds from navigation start to
    the map drawn and to its first chart drawn. `messages` receives the size of each websocket message
    that carries the map."""
    page = context.new_page()
    if messages is not None:
        page.on("websocket", lambda socket: socket.on(
            "framereceived", lambda payload: messages.append(len(payload)) if MAP_NAME in (
                payload if isinstance(payload, bytes) else payload.encode()) else None))
    page.goto(link)
    page.wait_for_function("() => window.__mapDrawn !== null && window.__firstChartDrawn !== null",
                           timeout=TIMEOUT_MS)
    drawn = page.evaluate("() => [window.__mapDrawn, window.__firstChartDrawn]")
    return page, drawn[0] / 1000, drawn[1] / 1000


def steady_rss_mb(pid: int) -> float:
    """The median of READINGS readings of the server's RSS, MB."""
    readings = []
    for _ in range(READINGS):
        readings.append(server_rss_mb(pid))
        time.sleep(0.5)
    return statistics.median(readings)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=5, help="fresh page loads, timed one after another")
    parser.add_argument("--tabs", type=int, default=5, help="tabs kept open for the memory per page")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(os.environ.get("FMNIST_DATA_DIR") or SHARED_DATA_DIR)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="fmnist-inside-map-") as folder:
        server = AppServer(Path(folder), {"FMNIST_DATA_DIR": str(data_dir)}).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
                context.set_default_timeout(TIMEOUT_MS)
                context.add_init_script(WATCH_THE_MAP)
                report = measure(context, train_a_run(context), server.process.pid, args)
                browser.close()
        finally:
            server.stop()
    print(json.dumps(report), flush=True)
    return report


def measure(context, query: str, pid: int, args) -> dict:
    """The cold open, the tabs kept open, then the timed opens; the report."""
    link, messages = f"{INSIDE}?{query}", []
    first, cold, _ = open_with_the_map(context, link, messages)
    points = first.evaluate(DRAWN)[-1]  # on the map after training
    time.sleep(SETTLE_SECONDS)
    before = steady_rss_mb(pid)
    tabs = [open_with_the_map(context, link)[0] for _ in range(args.tabs)]
    time.sleep(SETTLE_SECONDS)
    after = steady_rss_mb(pid)
    print(f"{args.tabs} tabs open: server {before:.0f} → {after:.0f} MB", file=sys.stderr, flush=True)
    for tab in [first, *tabs]:
        tab.close()
    drawn, charts, sidebar = [], [], []
    for number in range(args.opens):
        page, seconds, chart = open_with_the_map(context, link, messages)
        page.close()
        drawn.append(round(seconds, 2))
        charts.append(round(chart, 2))
        sidebar.append(round(from_the_sidebar(context, query), 2))
        print(f"open {number + 1}: first chart {chart:.2f} s, map {seconds:.2f} s; from the sidebar "
              f"{sidebar[-1]:.2f} s", file=sys.stderr, flush=True)
    return {"map_drawn_s_median": round(statistics.median(drawn), 2), "map_drawn_s": drawn,
            "first_chart_drawn_s_median": round(statistics.median(charts), 2), "first_chart_drawn_s": charts,
            "from_sidebar_map_drawn_s_median": round(statistics.median(sidebar), 2),
            "from_sidebar_map_drawn_s": sidebar, "cold_map_drawn_s": round(cold, 2), "points": points,
            "server_mb_per_page": round((after - before) / args.tabs, 1),
            "server_rss_mb_before_tabs": round(before, 1), "server_rss_mb_with_tabs": round(after, 1),
            "tabs": args.tabs, "map_message_bytes": max(messages, default=None),
            "goals": {"map_drawn_s_median": 1.5, "server_mb_per_page": 50}}


if __name__ == "__main__":
    main()

"""The teacher's computer in `classroom_load --class`: the class board open in a browser of its own.

    python -m benchmarks.board_watch BOARD_LINK OUT_JSON [CHROMIUM_FLAG …]

Opens the board link in a Chromium of its own (at the priority it is started with: the load
benchmark starts it at normal priority while the students' browsers run at a lower one, as a
teacher's laptop beside 30 students' would), notes (Date.now()) each time the number of points on
the class figure changes, and writes the list [[ms, points], …] to OUT_JSON when OUT_JSON.stop
appears (or after an hour). The Chromium flags are added to its own (classroom_load's trust of
a stack's certificate).
"""

import json
import sys
import time
from pathlib import Path

from tools.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, expect_page

BOARD_JS = r"""
(() => {
  if (window.__board) return;
  const seen = window.__board = [];
  setInterval(() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')]
      .find((div) => div.data && div.data[0] && div.data[0].name === "a student's run");
    const points = plot ? plot.data[0].y.length : 0;
    if (!seen.length || seen[seen.length - 1][1] !== points) seen.push([Date.now(), points]);
  }, 100);
})();
"""
LONGEST_SECONDS = 3600


def main(link: str, out: Path, chromium_flags: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    stop = out.with_name(out.name + ".stop")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *chromium_flags])
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(120_000)
        context.add_init_script(BOARD_JS)
        page = context.new_page()
        page.goto(link)
        expect_page(page, "Class_board")
        out.with_name(out.name + ".ready").touch()
        deadline = time.monotonic() + LONGEST_SECONDS
        while not stop.exists() and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        page.wait_for_timeout(3000)  # the board's last redraws
        out.write_text(json.dumps(page.evaluate("() => window.__board")))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])

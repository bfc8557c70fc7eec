"""Inside the network's map in a real browser: a 3-epoch run trained through the page, its map of 2,000
points in 10 classes before and after training, a point's picture in its hover label, a click that
follows the point's test image below, and axe's audit of the page with the map."""

import re

import pytest
from playwright.sync_api import expect

from fmnist_core.data import CLASS_NAMES
from fmnist_core.figures.map import INK, PICTURE_ROWS
from tools.accessibility import violations
from tools.browser import TRAINING_MS, expect_page, screenshot, sidebar_link

pytestmark = pytest.mark.browser

# The map's figure: the Plotly chart whose traces hold test-image numbers.
MAP = """() => [...document.querySelectorAll('.js-plotly-plot')].find((plot) =>
    (plot.data || []).some((trace) => String(trace.hovertemplate).startsWith('test image')))"""

# Each map's points (a row of customdata each: the figure's x and y arrive base64-encoded) and
# classes, from the figure's own data; and the points drawn in its SVG.
COUNTS = f"""() => {{
  const plot = ({MAP})();
  const maps = {{}};
  for (const trace of plot.data) {{
    if (!String(trace.hovertemplate).startsWith('test image')) continue;
    const map = maps[trace.xaxis || 'x'] ||= {{points: 0, classes: []}};
    map.points += trace.customdata.length;
    const name = trace.legendgroup;
    if (trace.customdata.length && !map.classes.includes(name)) map.classes.push(name);
  }}
  return {{maps, drawn: plot.querySelectorAll('.scatterlayer .point').length}};
}}"""

# The after map's point farthest from any other (so that the hover and the click are surely its own),
# in the page's pixels: Plotly's axes turn data into pixels of the plot area (d2p), offset by the
# area's place in the figure and the figure's on the page. Its traces as Plotly drew them (_fullData:
# x and y decoded).
LONELY_POINT = f"""() => {{
  const plot = ({MAP})();
  const box = plot.getBoundingClientRect(), xa = plot._fullLayout.xaxis2, ya = plot._fullLayout.yaxis2;
  const points = [];
  for (const trace of plot._fullData) {{
    if ((trace.xaxis || 'x') !== 'x2' || !String(trace.hovertemplate).startsWith('test image')) continue;
    for (let k = 0; k < trace.x.length; k++) {{
      points.push({{number: trace.customdata[k][0], x: box.left + xa._offset + xa.d2p(trace.x[k]),
                    y: box.top + ya._offset + ya.d2p(trace.y[k])}});
    }}
  }}
  let best = null;
  for (const point of points) {{
    let gap = Infinity;
    for (const other of points) {{
      if (other !== point) gap = Math.min(gap, Math.hypot(point.x - other.x, point.y - other.y));
    }}
    if (!best || gap > best.gap) best = {{...point, gap}};
  }}
  return best;
}}"""

HOVER_LINES = """() => [...document.querySelectorAll('.hoverlayer .hovertext text tspan.line')].map(
    (line) => line.textContent)"""


def test_the_map_shows_2000_points_their_pictures_and_follows_a_click(page):
    page.goto("/Build_and_train?train_size=2000&epochs=3")
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy").wait_for(timeout=TRAINING_MS)

    sidebar_link(page, "Inside the network").click()
    expect_page(page, "Inside_the_network")
    page.wait_for_function(f"() => ({MAP})() && ({COUNTS})().drawn >= 4000")
    counts = page.evaluate(COUNTS)
    assert counts["drawn"] == 4000
    for axis in ("x", "x2"):  # before training, after training
        assert counts["maps"][axis]["points"] == 2000
        assert sorted(counts["maps"][axis]["classes"]) == sorted(CLASS_NAMES)
    page.get_by_text("the classes separate further").wait_for()

    the_map = page.locator(".js-plotly-plot").filter(has=page.locator(".scatterlayer .point"))
    the_map.scroll_into_view_if_needed()
    point = page.evaluate(LONELY_POINT)
    assert point["gap"] > 3, point
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function(f"() => ({HOVER_LINES})().some((line) => line.startsWith('test image'))")
    lines = page.evaluate(HOVER_LINES)
    assert lines[0] == f"test image {point['number']}", lines
    picture = [line for line in lines if re.fullmatch(f"[{re.escape(INK)}]{{28}}", line)]
    assert len(picture) == PICTURE_ROWS and len(set("".join(picture))) > 2, lines
    assert any(line.startswith("true: ") for line in lines) and any("predicted" in line for line in lines)
    screenshot(page, "inside-map-hover")

    the_map.scroll_into_view_if_needed()  # the screenshot made the page as tall as itself, then put it back
    point = page.evaluate(LONELY_POINT)
    page.mouse.click(point["x"], point["y"])
    expect(page.get_by_label("Test image number")).to_have_value(str(point["number"]), timeout=30_000)
    expect_page(page, "Inside_the_network")
    page.get_by_text(re.compile(rf"^test image {point['number']}: ")).first.wait_for()
    screenshot(page, "inside-map-clicked")
    assert violations(page) == []

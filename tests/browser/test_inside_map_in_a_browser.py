"""Inside the network's map in a real browser: a 3-epoch run trained through the page, its map of 2,000
points in 10 classes before and after training, a point's image and answer in its hover label, a click
(or the arrow keys and Enter) that follows the point's test image below, and axe's audit of the page
with the map."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from fmnist_core.data import CLASS_NAMES
from fmnist_core.figures.map import LEVELS
from tools.accessibility import violations
from tools.browser import TRAINING_MS, expect_page, screenshot, sidebar_link

pytestmark = pytest.mark.browser

WHITE = "rgb(255, 255, 255)"  # the page's background

# Every point of a map (0 before training, 1 after) as drawn: its test-image number (a path's
# data-numbers, in the order of its points), its class (the path's class kN), and where it is on the
# page (a point's "M x,y" in the SVG's own units, through the SVG's screen matrix).
POINTS = """(map) => {
  const svg = document.querySelector(`.point-map svg[data-map="${map}"]`);
  const matrix = svg.getScreenCTM();
  const points = [];
  for (const path of svg.querySelectorAll('path.points')) {
    const numbers = path.dataset.numbers.split(' ').map(Number);
    const label = Number(path.getAttribute('class').match(/\\bk(\\d+)/)[1]);
    const starts = [...path.getAttribute('d').matchAll(/M([-\\d.]+),([-\\d.]+)/g)];
    starts.forEach((start, k) => {
      const at = new DOMPoint(Number(start[1]), Number(start[2])).matrixTransform(matrix);
      points.push({number: numbers[k], label, wrong: path.classList.contains('wrong'), x: at.x, y: at.y,
                   paths: starts.length, numbers: numbers.length});
    });
  }
  return points;
}"""

# How each class's points (right and wrong answers) of the after map are painted.
PAINT = """() => [...document.querySelectorAll('.point-map svg[data-map="1"] path.points')].map((path) => ({
  wrong: path.classList.contains('wrong'), fill: getComputedStyle(path).fill,
  stroke: getComputedStyle(path).stroke}))"""

# The hover label's image, a grey level per pixel.
LABEL_PIXELS = """() => {
  const canvas = document.querySelector('.point-map .label canvas');
  const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  return Array.from({length: rgba.length / 4}, (_, p) => rgba[4 * p]);
}"""

# Where the ring of the chosen image is on the after map, on the page.
CHOSEN_RING = """() => {
  const ring = document.querySelector('.point-map svg[data-map="1"] .ring.chosen');
  if (ring.getAttribute('visibility') !== 'visible') return null;
  const box = ring.getBoundingClientRect();
  return {x: box.x + box.width / 2, y: box.y + box.height / 2};
}"""


def lonely(points: list[dict]) -> dict:
    """The point farthest from any other, so that the hover and the click are surely its own."""
    places = np.array([[point["x"], point["y"]] for point in points])
    gaps = np.linalg.norm(places[:, np.newaxis] - places[np.newaxis], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    best = int(gaps.min(axis=1).argmax())
    return points[best] | {"gap": float(gaps[best].min())}


def test_the_map_shows_2000_points_their_images_and_follows_a_click(page, real_data):
    page.goto("/Build_and_train?train_size=2000&epochs=3")
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    page.locator('[data-testid="stAlert"]').filter(has_text="test accuracy").wait_for(timeout=TRAINING_MS)

    sidebar_link(page, "Inside the network").click()
    expect_page(page, "Inside_the_network")
    expect(page.locator(".point-map svg[data-drawn]")).to_have_count(2)
    for the_map in (0, 1):  # before training, after training
        points = page.evaluate(POINTS, the_map)
        assert len(points) == 2000 and len({point["number"] for point in points}) == 2000
        assert all(point["paths"] == point["numbers"] for point in points)  # a number for each point
        numbers = [point["number"] for point in points]
        assert [point["label"] for point in points] == real_data.test_labels[numbers].tolist()
        assert sorted({point["label"] for point in points}) == list(range(len(CLASS_NAMES)))
    assert any(point["wrong"] for point in points) and not all(point["wrong"] for point in points)
    paint = page.evaluate(PAINT)
    assert all(p["fill"] == p["stroke"] != WHITE for p in paint if not p["wrong"])  # filled in its colour
    assert all(p["fill"] == WHITE != p["stroke"] for p in paint if p["wrong"])  # hollow
    assert len({p["stroke"] for p in paint}) == len(CLASS_NAMES)
    page.get_by_text("the classes separate further").wait_for()

    page.locator('.point-map svg[data-map="1"]').scroll_into_view_if_needed()
    point = lonely(page.evaluate(POINTS, 1))
    assert point["gap"] > 3, point
    page.mouse.move(point["x"], point["y"])
    label = page.locator(".point-map .label")
    expect(label).to_be_visible()
    lines = label.inner_text().splitlines()
    number = point["number"]
    truth = CLASS_NAMES[real_data.test_labels[number]]
    assert lines[:2] == [f"test image {number}", f"true: {truth}"], lines
    assert lines[2] == "predicted: the same ✓ right" if not point["wrong"] else lines[2].endswith("✗ wrong")
    shades = np.rint(real_data.test_images[number].astype(np.float64) * (LEVELS - 1) / 255)
    drawn = np.array(page.evaluate(LABEL_PIXELS)).reshape(28, 28)
    assert np.array_equal(drawn, 255 - np.rint(shades * 255 / (LEVELS - 1)))  # dark clothes on white
    screenshot(page, "inside-map-hover")

    page.locator('.point-map svg[data-map="1"]').scroll_into_view_if_needed()  # the screenshot moved it
    point = next(p for p in page.evaluate(POINTS, 1) if p["number"] == number)
    page.mouse.click(point["x"], point["y"])
    expect(page.get_by_label("Test image number")).to_have_value(str(number), timeout=30_000)
    expect_page(page, "Inside_the_network")
    page.get_by_text(re.compile(rf"^test image {number}: ")).first.wait_for()
    page.locator('.point-map svg[data-map="1"]').scroll_into_view_if_needed()
    point = next(p for p in page.evaluate(POINTS, 1) if p["number"] == number)
    ring = page.evaluate(CHOSEN_RING)
    assert ring and abs(ring["x"] - point["x"]) < 1.5 and abs(ring["y"] - point["y"]) < 1.5, (ring, point)
    screenshot(page, "inside-map-clicked")

    # By keyboard: the map takes the focus; the first arrow shows the chosen image, the next moves to
    # the image nearest on its right; Enter follows that one below, and the focus stays on the map.
    page.locator('.point-map svg[data-map="1"]').focus()
    said = page.locator(".point-map .said")
    page.keyboard.press("ArrowRight")
    expect(said).to_have_text(re.compile(rf"^test image {number}, true: {re.escape(truth)}, predicted: "))
    page.keyboard.press("ArrowRight")
    expect(said).not_to_have_text(re.compile(rf"^test image {number},"))
    by_keys = int(re.match(r"test image (\d+), ", said.inner_text())[1])
    on_its_right = next(p for p in page.evaluate(POINTS, 1) if p["number"] == by_keys)
    assert on_its_right["x"] > point["x"], (on_its_right, point)
    expect(label).to_be_visible()
    assert label.inner_text().splitlines()[0] == f"test image {by_keys}"
    screenshot(page, "inside-map-keyboard")
    page.locator('.point-map svg[data-map="1"]').focus()  # the screenshot resized the page
    page.keyboard.press("Enter")
    expect(page.get_by_label("Test image number")).to_have_value(str(by_keys), timeout=30_000)
    page.get_by_text(re.compile(rf"^test image {by_keys}: ")).first.wait_for()
    assert page.evaluate("() => document.activeElement.dataset.map") == "1"
    assert violations(page) == []

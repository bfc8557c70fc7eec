"""Every student, every school device: axe-core's audit on every page before and after a training,
the whole lesson with the keyboard alone, and the lesson on a laptop, a tablet and a phone by touch.

The violations inside Streamlit's own widgets that the app cannot fix are excluded by rule and
element, each with its reason and upstream issue: they are read from docs/accessibility.md, so the
document and the tests cannot disagree. Screenshots go to artifacts/screenshots/ (git-ignored),
named a11y-….
"""

import re
from pathlib import Path

import pytest

from tools.accessibility import ACCESSIBILITY_DOC, exclusions, violations
from tools.browser import PAGE_MS, TITLES, TRAINING_MS, expect_page, screenshot, sidebar_link
from tools.lesson import start_class

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
DEVICES = {
    "laptop-1366x768": dict(viewport=LAPTOP),
    "tablet-1024x768-touch": dict(viewport={"width": 1024, "height": 768}, has_touch=True),
    "phone-390x844-touch": dict(viewport={"width": 390, "height": 844}, has_touch=True,
                                is_mobile=True),
}
QUICK = "epochs=1&train_size=5000"  # a training of a few seconds
RESULT = re.compile(r"Run \d+: test accuracy \d+\.\d\d%")
RING_PX = 6  # around a focused element, where its focus ring is drawn
GRID = 'canvas[data-testid="data-grid-canvas"]'  # st.dataframe draws its cells on a canvas
MAX_FRAMES = 50  # screenshots of a data grid until two in a row are alike
PAST_THE_END = "(past the end of the page)"


def result(page):
    return page.locator('[data-testid="stAlert"]').filter(has_text=RESULT)


def test_the_exclusions_name_their_upstream_issue():
    rows = [line for line in ACCESSIBILITY_DOC.read_text().splitlines()
            if re.match(r"^\| `[\w-]+` \| `", line)]
    assert len(rows) == len(exclusions())
    for row in rows:
        assert re.search(r"https://github\.com/[\w.-]+/[\w.-]+/(issues|pull)/\d+", row), row


@pytest.mark.parametrize("path", sorted(TITLES), ids=lambda path: path or "Home")
def test_every_page_passes_the_audit_before_a_training(page, path):
    page.goto(f"/{path}")
    expect_page(page, path)
    assert violations(page) == []


def test_every_page_passes_the_audit_after_a_training(page):
    page.goto(f"/Build_and_train?{QUICK}")
    expect_page(page, "Build_and_train")
    page.get_by_role("button", name="▶ Train").click()
    result(page).wait_for(timeout=TRAINING_MS)
    page.mouse.move(0, 0)  # no tooltip left open by the click
    found = {"Build_and_train": violations(page)}
    for label, path in [("Predictions", "Predictions"), ("Compare runs", "Compare_runs"),
                        ("Learn: six questions", "Learn"), ("Inside the network", "Inside_the_network"),
                        ("Your own picture", "Your_picture"), ("Write-up", "Write_up"),
                        ("Explore the data", "Explore_the_data"), ("Home", "")]:
        sidebar_link(page, label).click()
        expect_page(page, path)
        found[path or "Home"] = violations(page)
    # Your own picture with a picture (its steps, the answer, the nearest images), then drawing.
    sidebar_link(page, "Your own picture").click()
    expect_page(page, "Your_picture")
    page.get_by_test_id("stRadioGroup").get_by_text("Use a test image").click()
    page.get_by_text(re.compile(r"Run 1 \(test accuracy [\d.]+%\) says ")).wait_for()
    expect_page(page, "Your_picture")
    found["Your_picture, a test image"] = violations(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Draw one").click()
    page.locator("canvas.upper-canvas").wait_for()
    found["Your_picture, drawing"] = violations(page)
    # The class board, as its teacher opens it.
    page.goto(start_class(page))
    expect_page(page, "Class_board")
    page.get_by_text("Joined").wait_for()
    found["Class_board, its teacher's"] = violations(page)
    assert found == {name: [] for name in found}


class Keyboard:
    """A page driven by keys alone, which checks at every stop that the focus can be seen: the
    focused element's surroundings look different with the focus than without it."""

    def __init__(self, page):
        self.page = page
        self.path: list[str] = []  # every stop, in order
        self.unseen: list[str] = []  # stops where the focus could not be seen

    def focused(self) -> str:
        """The focused element's name, as a screen reader says it (icons are aria-hidden)."""
        return self.page.evaluate("""pastTheEnd => {
            const element = document.activeElement;
            if (element === document.body) return pastTheEnd;
            const copy = element.cloneNode(true);
            copy.querySelectorAll('[aria-hidden="true"]').forEach(hidden => hidden.remove());
            return (element.getAttribute('aria-label') || copy.textContent).trim();
        }""", PAST_THE_END)

    def tab_to(self, name: str | re.Pattern, *, backwards: bool = False, most: int = 150) -> None:
        """Tab (or Shift+Tab) until the focused element is named `name` (or matches it)."""
        for _ in range(most):
            grids = self.grid_pictures()
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.path.append(self.focused())
            if self.path[-1] == PAST_THE_END:
                continue  # as a browser's Tab leaves the page for its address bar after the last element
            if (grid := self.focused_grid()) is not None:
                self.check_grid_focus_shows(self.path[-1], grid, grids[grid])
            else:
                self.check_focus_shows(self.path[-1])
            if re.fullmatch(name, self.path[-1]):
                return
        raise AssertionError(f"{name!r} not reached in {most} stops: {self.path[-most:]}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.path.append(key)

    def check_focus_shows(self, name: str) -> None:
        """Compares the focused element's surroundings with the same place once it is blurred,
        then gives it its focus back (the next Tab goes on from it)."""
        box = self.page.evaluate("""() => {
            const r = document.activeElement.getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight];
        }""")
        left, top, right, bottom, width, height = box
        clip = {"x": max(0, left - RING_PX), "y": max(0, top - RING_PX)}
        clip["width"] = min(width, right + RING_PX) - clip["x"]
        clip["height"] = min(height, bottom + RING_PX) - clip["y"]
        if clip["width"] < 1 or clip["height"] < 1:
            self.unseen.append(f"{name} (off screen)")
            return
        element = self.page.evaluate_handle("document.activeElement")
        with_focus = self.page.screenshot(clip=clip, animations="disabled")
        element.evaluate("element => element.blur()")
        without = self.page.screenshot(clip=clip, animations="disabled")
        element.evaluate("element => element.focus()")
        if with_focus == without:
            self.unseen.append(name)

    def focused_grid(self) -> int | None:
        """Which data grid on the page holds the focus (its canvas, or a cell inside it), if any."""
        index = self.page.evaluate("""grid => [...document.querySelectorAll(grid)]
            .indexOf(document.activeElement.closest(grid))""", GRID)
        return None if index < 0 else index

    def grid_pictures(self) -> list[bytes]:
        grids = self.page.locator(GRID)
        return [self.drawn(grids.nth(index)) for index in range(grids.count())]

    def check_grid_focus_shows(self, name: str, grid: int, before: bytes) -> None:
        """A data grid shows its focus as the selected cell, drawn on its canvas, which each Tab
        moves: the grid must look different than before the Tab. (Blurring tells nothing here:
        the cell the grid keeps for screen readers, which may hold the focus, is not drawn, and
        the drawing stays as it was.)"""
        if self.drawn(self.page.locator(GRID).nth(grid)) == before:
            self.unseen.append(name)

    def drawn(self, grid) -> bytes:
        """The grid once it has drawn what the focus changed, a frame or more later (later on a
        slow machine): two pictures in a row alike, each one a new frame."""
        shot = grid.screenshot(animations="disabled")
        for _ in range(MAX_FRAMES):
            again = grid.screenshot(animations="disabled")
            if again == shot:
                return shot
            shot = again
        raise AssertionError(f"a data grid was still redrawing after {MAX_FRAMES} frames")


def test_the_whole_lesson_by_keyboard_alone(page):
    from playwright.sync_api import expect

    page.set_viewport_size(LAPTOP)
    keys = Keyboard(page)
    page.goto("/")
    expect_page(page, "")

    keys.tab_to("Build & train")
    keys.press("Enter")
    expect_page(page, "Build_and_train")
    keys.tab_to("Neurons in hidden layer 1")
    keys.press("ArrowRight")  # 128 → 192
    keys.press("ArrowRight")  # → 256
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_text("203,530")
    keys.tab_to("Epochs")
    keys.press("Home")  # 1 epoch
    for _ in range(4):
        keys.press("ArrowRight")  # → 5: long enough to watch it redraw on a fast machine too
    page.get_by_text("Training for 5 epochs").wait_for()
    screenshot(page, "a11y-keyboard-1-set")
    keys.tab_to("▶ Train")
    page.evaluate("() => { document.activeElement.dataset.marked = 'focus'; }")
    keys.press("Space")

    # Train becomes the training's own button (Cancel while it waits for a trainer, then Stop) in
    # place: the same element, which keeps the focus. Had the page drawn a new one, the focus would
    # have fallen to the page's body, however fast the machine.
    stop = re.compile("Stop|Cancel")
    page.get_by_role("button", name=stop).wait_for(timeout=TRAINING_MS)
    focus = page.evaluate("() => [document.activeElement.dataset.marked, document.activeElement.isConnected]")
    assert focus == ["focus", True] and re.fullmatch(stop, keys.focused()), (focus, keys.focused())
    keys.check_focus_shows(keys.focused())
    # While it trains, the live view redraws every second in place: the focus stays where the
    # student put it, and the progress bar is the same element (redrawn, not replaced: no flash).
    progress = page.locator('[data-testid="stProgress"]')
    progress.wait_for(timeout=TRAINING_MS)
    progress.evaluate("bar => { bar.dataset.marked = 'progress'; }")
    shown = [progress.inner_text()]
    for _ in range(2):  # two redraws, each seen as new text in the marked bar itself
        redrawn = page.wait_for_function(
            """shown => { const bar = document.querySelector('[data-marked="progress"]');
                          return bar !== null && !shown.includes(bar.innerText) && bar.innerText; }""",
            arg=shown, timeout=TRAINING_MS)
        shown.append(redrawn.json_value())
    assert page.evaluate("() => document.activeElement.dataset.marked") == "focus"
    assert re.fullmatch(stop, keys.focused())
    result(page).wait_for(timeout=TRAINING_MS)
    # Trained, the button is ▶ Train again, still the focused element: the student can train again.
    assert page.evaluate("() => document.activeElement.dataset.marked") == "focus"
    assert keys.focused() == "▶ Train"
    screenshot(page, "a11y-keyboard-2-trained")

    keys.tab_to("Predictions", backwards=True)
    keys.press("Enter")
    expect_page(page, "Predictions")
    answer = page.get_by_text(re.compile(r"^The model says .+ confidence; the label is "))
    said, label, verdict = re.search(r"says (.+) with \d+% confidence; the label is (.+) — ([✓✗] \w+)\.",
                                     answer.inner_text()).groups()
    assert label == "Ankle boot" and verdict == ("✓ right" if said == label else "✗ wrong")
    screenshot(page, "a11y-keyboard-3-predictions")

    keys.tab_to("Compare runs")
    keys.press("Enter")
    expect_page(page, "Compare_runs")
    keys.tab_to("Table as CSV")
    with page.expect_download() as download:
        keys.press("Enter")
    lines = Path(download.value.path()).read_text().strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Run 1,MLP,256,203530,5,"), lines
    screenshot(page, "a11y-keyboard-4-compare")
    assert keys.unseen == [], f"the focus could not be seen on {keys.unseen}; the path: {keys.path}"


LAYOUT_PROBLEMS = """() => {
    const problems = [];
    const main = document.querySelector('[data-testid="stMain"]');
    for (const box of [document.scrollingElement, main]) {
        if (box.scrollWidth > box.clientWidth + 1)
            problems.push(`the page scrolls sideways: ${box.scrollWidth} px in ${box.clientWidth} px`);
    }
    // Every piece of text: is all of it inside every box that hides what overflows it?
    const texts = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    for (let text; (text = texts.nextNode());) {
        const holder = text.parentElement;
        // Not text on show: inside a chart's SVG, hidden from everyone, or in a closed expander.
        if (!text.textContent.trim() || holder.closest('svg, [aria-hidden="true"]')
            || holder.closest('details:not([open]) > :not(summary)')) continue;
        const range = document.createRange();
        range.selectNodeContents(text);
        const shown = range.getBoundingClientRect();
        if (shown.width === 0 || shown.height === 0) continue;  // not drawn (a closed expander)
        for (let box = holder; box !== main; box = box.parentElement) {
            const style = getComputedStyle(box), edges = box.getBoundingClientRect();
            const clips = value => value === 'hidden' || value === 'clip';
            // Outside the box, in a direction the box's own layout overflows (not a glyph's ink).
            const across = box.scrollWidth > box.clientWidth + 1
                && (shown.left < edges.left - 1 || shown.right > edges.right + 1);
            const down = box.scrollHeight > box.clientHeight + 1
                && (shown.top < edges.top - 1 || shown.bottom > edges.bottom + 1);
            if ((clips(style.overflowX) && across) || (clips(style.overflowY) && down)) {
                problems.push(`text cut off: "${text.textContent.trim().slice(0, 60)}"`);
                break;
            }
        }
        const scrolls = box => ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
        let scroller = holder;
        while (scroller !== main && !scrolls(scroller)) scroller = scroller.parentElement;
        // Beyond the screen's edge, unless in a box of its own that scrolls (a code block).
        if ((shown.right > innerWidth + 1 || shown.left < -1) && scroller === main)
            problems.push(`text beyond the screen's edge: "${text.textContent.trim().slice(0, 60)}"`);
    }
    return problems;
}"""


def test_the_write_up_by_keyboard_alone(page):
    """A run, then an answer written, its evidence ticked and the write-up downloaded, with keys
    alone; the page passes the audit with its evidence shown."""
    from playwright.sync_api import expect

    keys = Keyboard(page)
    page.goto(f"/?{QUICK}")
    expect_page(page, "")
    keys.tab_to("Build & train")
    keys.press("Enter")
    expect_page(page, "Build_and_train")
    keys.tab_to("▶ Train")
    keys.press("Space")
    result(page).wait_for(timeout=TRAINING_MS)
    keys.tab_to("Write-up", backwards=True)
    keys.press("Enter")
    expect_page(page, "Write_up")
    keys.tab_to(re.compile(re.escape("Your answer (Markdown)")))
    page.keyboard.type("Fashion-MNIST is 70,000 small grey images of clothing in 10 classes.")
    keys.press("Tab")  # leaving the box saves the answer and ticks its hints
    page.get_by_text("✓ images of clothing").wait_for()
    keys.tab_to(re.compile(r"Put “.+” in my write-up"))
    ticked = keys.focused()
    keys.press("Space")
    expect(page.get_by_role("checkbox", name=ticked, exact=True)).to_be_checked()
    keys.tab_to(re.compile(re.escape("Download my write-up (.zip)")))
    with page.expect_download() as download:
        keys.press("Enter")
    assert download.value.suggested_filename == "write-up.zip"
    assert keys.unseen == [], keys.unseen
    assert violations(page) == []
    screenshot(page, "a11y-writeup-keyboard")


def draw_by_touch(page, box: dict, strokes) -> None:
    """Each stroke a finger on the screen, from its first point to its last: touch events, as a
    tablet's or a phone's screen sends them (through Chromium's DevTools protocol)."""
    touch = page.context.new_cdp_session(page)
    for (x0, y0), (x1, y1) in strokes:
        points = [{"x": box["x"] + (x0 + (x1 - x0) * step / 8) * box["width"],
                   "y": box["y"] + (y0 + (y1 - y0) * step / 8) * box["height"]} for step in range(9)]
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points[:1]})
        for point in points[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    touch.detach()


@pytest.fixture(params=DEVICES)
def device(request, browser, server):
    """A new tab on one of the devices: its name, its settings and the tab."""
    context = browser.new_context(**DEVICES[request.param], base_url=server)
    context.set_default_timeout(PAGE_MS)
    yield request.param, DEVICES[request.param], context.new_page()
    context.close()


def test_the_lesson_on_a_laptop_a_tablet_and_a_phone(device):
    device, settings, page = device
    touch = settings.get("has_touch", False)
    for path in sorted(TITLES):
        page.goto(f"/{path}")
        expect_page(page, path)
        screenshot(page, f"a11y-{device}-{path or 'Home'}")
        assert page.evaluate(LAYOUT_PROBLEMS) == [], path or "Home"

    # Train: within the screen's width, and it answers a tap.
    page.goto(f"/Build_and_train?{QUICK}")
    expect_page(page, "Build_and_train")
    train = page.get_by_role("button", name="▶ Train")
    train.scroll_into_view_if_needed()
    box = train.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= settings["viewport"]["width"]
    train.tap() if touch else train.click()
    result(page).wait_for(timeout=TRAINING_MS)
    screenshot(page, f"a11y-{device}-trained")
    assert page.evaluate(LAYOUT_PROBLEMS) == []

    # Your own picture, through the navigation (a phone folds it away behind a button).
    folded = page.get_by_test_id("stExpandSidebarButton").is_visible()
    if folded:
        page.get_by_test_id("stExpandSidebarButton").tap()
        screenshot(page, f"a11y-{device}-navigation")
    picture = sidebar_link(page, "Your own picture")
    picture.tap() if touch else picture.click()
    expect_page(page, "Your_picture")
    if folded:
        # Streamlit folds its own navigation away on a phone once a page is chosen, not
        # st.page_link's (docs/accessibility.md): the student closes it, with one tap.
        page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").tap()
    if not touch:
        return  # drawing with a mouse: tests/browser/test_browser.py
    page.get_by_test_id("stRadioGroup").get_by_text("Draw one").tap()
    square = page.locator("canvas.upper-canvas")
    square.scroll_into_view_if_needed()
    box = square.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= settings["viewport"]["width"]
    # A pair of trousers: a waistband and two legs.
    draw_by_touch(page, box, [((0.3, 0.15), (0.7, 0.15)), ((0.35, 0.15), (0.3, 0.9)),
                              ((0.4, 0.15), (0.38, 0.9)), ((0.65, 0.15), (0.7, 0.9)),
                              ((0.6, 0.15), (0.62, 0.9)), ((0.45, 0.15), (0.55, 0.15))])
    page.get_by_text(re.compile(r"Run 1 \(test accuracy [\d.]+%\) says .+ with \d+% confidence")).wait_for()
    expect_page(page, "Your_picture")
    screenshot(page, f"a11y-{device}-drawn")
    assert page.evaluate(LAYOUT_PROBLEMS) == []

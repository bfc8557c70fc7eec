"""The app in a real browser, for the browser tests and the benchmarks: the Chromium that drives it
(Debian's; Playwright cannot download browsers here), its viewport and waits, and what it takes to
find one's way round the app's pages."""

import re
from pathlib import Path

from tools.server import REPO
from ui.page import LESSON_PAGES

SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
PAGE_MS = 60_000  # a page's first run may read the dataset
TRAINING_MS = 240_000  # a short training in a fresh server, TensorFlow start included
EXCEPTION = '[data-testid="stException"]'
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out, and this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def url_path(page_file: str) -> str:
    """The address Streamlit gave a page file by its name, before the app listed its pages itself
    (pages/2_Build_and_train.py -> Build_and_train; the home page ""): the links people have."""
    name = Path(page_file).stem
    return "" if name == "0_Home" else re.sub(r"^\d+_", "", name)


# Every page, by URL path, with its title; and those in the menu.
TITLES = {url_path(page.file): page.title for page in LESSON_PAGES.values()}
IN_MENU = {url_path(page.file) for page in LESSON_PAGES.values() if page.in_menu}


def screenshot(page, name: str) -> Path:
    """The whole page, not just the viewport: Streamlit scrolls inside its main section, so the
    viewport is made as tall as the page (at its own width) for the picture, then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # settle: Plotly draws its charts just after they arrive
    viewport = page.viewport_size
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": viewport["width"],
                            "height": max(viewport["height"], min(height, 12_000))})
    page.wait_for_timeout(300)  # and redraws them at the new size
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(viewport)
    return path


def sidebar_links(page) -> list[tuple[str, str]]:
    """The navigation's links: (label, URL path), in their order."""
    links = page.locator('[data-testid="stSidebar"] a')
    links.first.wait_for()
    return [(link.inner_text().split("\n")[-1].strip(),
             (link.get_attribute("href") or "").split("?")[0].strip("/")) for link in links.all()]


def sidebar_link(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label)


def expect_page(page, path: str) -> None:
    """The page's title, then its script run to the end, with no exception box."""
    page.get_by_role("heading", name=TITLES[path], level=1).wait_for()
    # The heading shows once the page's run has begun; this says when it has ended.
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()


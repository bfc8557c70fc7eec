"""axe-core's audit of the page a browser shows, for the browser tests: WCAG 2.1 A and AA and
axe's best practices, but the violations inside Streamlit's own widgets that the app cannot fix,
each excluded by rule and element in docs/accessibility.md with its reason and upstream issue (so
the document and the tests cannot disagree)."""

import re

from axe_playwright_python.base import AXE_SCRIPT
from axe_playwright_python.sync_playwright import Axe

from tools.server import REPO

ACCESSIBILITY_DOC = REPO / "docs" / "accessibility.md"
# WCAG 2.1 A and AA, and axe's best practices (headings in order, landmarks, …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def exclusions() -> list[tuple[str, str]]:
    """(axe rule, CSS selector of the element) of each row of the document's exclusions table."""
    return re.findall(r"^\| `([\w-]+)` \| `([^`]+)` \|", ACCESSIBILITY_DOC.read_text(), re.MULTILINE)


def violations(page) -> list[str]:
    """axe-core's violations on the page as it is now, one line per element, but the documented
    exclusions."""
    page.wait_for_timeout(500)  # Plotly draws its charts just after they arrive
    for frame in page.frames[1:]:  # a component's iframe: axe looks inside it too
        frame.evaluate(AXE_SCRIPT)
    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                     "resultTypes": ["violations"]}).response["violations"]
    return [f"{violation['id']} ({violation['impact']}) at {node['target']}: "
            + node["failureSummary"].replace("\n", " ")
            for violation in found for node in violation["nodes"]
            if not excluded(page, violation["id"], node["target"])]


def excluded(page, rule: str, target: list) -> bool:
    selectors = [selector for excluded_rule, selector in exclusions() if excluded_rule == rule]
    if not selectors or len(target) != 1 or not isinstance(target[0], str):
        return False  # inside a frame or a shadow root: never excluded
    return page.evaluate("""([target, selectors]) => {
        const element = document.querySelector(target);
        return !!element && selectors.some(selector => element.matches(selector));
    }""", [target[0], selectors])

"""Fixtures of the browser tests: Debian's Chromium (Playwright), the app served on a free port,
and a new tab of it. The tests' own fixtures (the real data, the databases) are in tests/conftest.py.
"""

import pytest

from tools.browser import CHROMIUM, CHROMIUM_ARGS, PAGE_MS, VIEWPORT
from tools.server import AppServer


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (which cannot download browsers here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def app_server(real_data, tmp_path_factory):
    """The app served on a free port, with the real data and a run store of its own: one per test
    module, whose tests may measure its process, kill it or start it again."""
    app = AppServer(tmp_path_factory.mktemp("streamlit")).start()  # FMNIST_DATA_DIR: by real_data
    yield app
    app.stop()


@pytest.fixture(scope="module")
def server(app_server):
    """The served app's URL."""
    return app_server.url


@pytest.fixture
def page(browser, server):
    """A new tab (a new Streamlit session) with generous timeouts."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server, accept_downloads=True)
    context.set_default_timeout(PAGE_MS)
    tab = context.new_page()
    yield tab
    context.close()

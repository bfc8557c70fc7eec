"""Fashion-MNIST Classroom: `streamlit run app.py` serves the lesson (navigation.py: pages/).

The server warms up before it takes its first visitor (Streamlit's `st.App` lifespan): the pages'
modules imported, the run store opened, the dataset read. Without it, the class's first visitor
would wait for all that on top of the page itself. While it runs, the same lifespan lets the learners
who have left go from memory (`forget_who_left`). At its stop (SIGTERM, Ctrl+C) the same lifespan
closes the run store: the writes still waiting go in, or onto local disk for the next start.
"""

import asyncio
from contextlib import asynccontextmanager

import streamlit as st


@asynccontextmanager
async def warmed_up(app: st.App):
    # `streamlit run` reads this file first: what the pages import is imported once started.
    import pandas  # noqa: F401  (the pages' tables)
    from streamlit.runtime.pages_manager import PagesManager

    import fmnist_core.figures  # noqa: F401
    import ui.classroom  # noqa: F401
    import ui.estimates  # noqa: F401
    import ui.live  # noqa: F401
    import ui.page  # noqa: F401
    from ui.resources import close_store, forget_who_left, warm_up

    # With a pages/ folder beside the main script, Streamlit serves its files by itself (its older
    # way, with other addresses: Home at /Home) until some session runs st.navigation: the lesson's
    # list (navigation.py) from the first request on.
    PagesManager.uses_pages_directory = False
    warm_up()
    upkeep = asyncio.create_task(forget_who_left())
    yield
    upkeep.cancel()
    await asyncio.to_thread(close_store)


app = st.App("navigation.py", lifespan=warmed_up)

"""The script `app.py` serves: the lesson's pages, in one list (ui/page.py)."""

from ui.page import navigation

navigation().run()

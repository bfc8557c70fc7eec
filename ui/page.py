"""The lesson's pages, in one list, and the frame each is drawn in: the wide layout, the menu, the
learner's seat and the page's title."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import streamlit as st

from fmnist_core.store import TooManySeats
from ui import classroom, session
from ui.resources import store_writer
from ui.text import plain


@dataclass(frozen=True)
class LessonPage:
    """One page of the lesson: its file in pages/, its address (the one links have always used),
    its title, and its entry in the menu (the board's is not in it: a teacher opens it by link)."""

    file: str
    url_path: str
    title: str
    label: str
    icon: str
    in_menu: bool = True
    keeps: tuple[str, ...] = ()  # link parameters of the page's own, kept in its address


# In the lesson's order: the menu follows it.
LESSON_PAGES = {page.file: page for page in (
    LessonPage("pages/0_Home.py", "", "Fashion-MNIST Classroom", "Home", ":material/home:"),
    LessonPage("pages/1_Explore_the_data.py", "Explore_the_data", "Explore the data", "Explore the data",
               ":material/image_search:"),
    LessonPage("pages/2_Build_and_train.py", "Build_and_train", "Build & train", "Build & train",
               ":material/model_training:"),
    LessonPage("pages/3_Predictions.py", "Predictions", "Predictions", "Predictions", ":material/target:"),
    LessonPage("pages/4_Compare_runs.py", "Compare_runs", "Compare runs", "Compare runs",
               ":material/compare_arrows:"),
    LessonPage("pages/5_Learn.py", "Learn", "Learn: the six questions", "Learn: six questions",
               ":material/school:"),
    LessonPage("pages/6_Inside_the_network.py", "Inside_the_network", "Inside the network",
               "Inside the network", ":material/neurology:"),
    LessonPage("pages/7_Your_picture.py", "Your_picture", "Your own picture", "Your own picture",
               ":material/add_photo_alternate:"),
    LessonPage("pages/9_Write_up.py", "Write_up", "Your write-up", "Write-up", ":material/edit_note:"),
    LessonPage("pages/8_Class_board.py", "Class_board", "Class board", "Class board", ":material/groups:",
               in_menu=False, keeps=("class", "key")),
)}
REPO = Path(__file__).resolve().parent.parent
HOME, EXPLORE, TRAIN, PREDICTIONS, COMPARE, LEARN, INSIDE, PICTURE, WRITEUP, BOARD = LESSON_PAGES


# Focus always visible (WCAG 2.4.7): Streamlit marks a focused page link only by a faint
# background, the current page's own, and draws no ring around its focused main area; a table's
# toolbar and a chart's buttons stay transparent (shown on hover only) while they have the focus.
FOCUS_STYLE = (":focus-visible {{ outline: 3px solid {colour} !important; outline-offset: 1px; }}"
               ' [data-testid="stElementToolbar"]:focus-within,'
               " .js-plotly-plot .modebar-group:focus-within {{ opacity: 1 !important; }}")


# A browser that loses its server reconnects, maybe to another one that has never drawn its page
# (the balancer's survivor, or this server restarted). Streamlit's browser then asks for the page
# again only if the page holds a fragment that reruns by itself; without one, the old drawing stays
# and its fragments' buttons (▶ Train) do nothing on the new server, which does not know them.
RECONNECT_PULSE_SECONDS = 60


@st.fragment(run_every=RECONNECT_PULSE_SECONDS)
def _redraw_after_reconnecting() -> None:
    """Draws nothing: by being there, it makes a reconnected browser ask for its page again."""


def notes():
    """A place for notes that come and go (said once, or while something is wrong): one block on
    the page however many it holds, so that what follows keeps its place. The browser rebuilds an
    element that a rerun moves, and a keyboard's focus on it (▶ Train's, say) falls to the page."""
    return st.container()


def page_link(page: str, label: str, icon: str) -> None:
    """A link to another page of the app that keeps this tab's link (settings and seat)."""
    st.page_link(page, label=label, icon=icon, query_params=session.link_params())


def board_link(code: str, key: str) -> str:
    """The teacher's link to a class's board, absolute: the app's address (this page's, without
    its path but Streamlit's base path) and the board's."""
    address = urlsplit(st.context.url or "")
    base = "/".join(filter(None, [f"{address.scheme}://{address.netloc}" if address.netloc else "",
                                  st.get_option("server.baseUrlPath").strip("/")]))
    return f"{base}/{LESSON_PAGES[BOARD].url_path}?{urlencode({'class': code, 'key': key})}"


def switch_to(page: str) -> None:
    st.switch_page(page, query_params=session.link_params())


def navigation() -> st.navigation:
    """The lesson's pages for `st.navigation`; the menu is drawn by `frame`, with the learner's link."""
    return st.navigation([st.Page(page.file, title=page.label, icon=page.icon, url_path=page.url_path,
                                  default=page.file == HOME) for page in LESSON_PAGES.values()],
                         position="hidden")


def frame(page_file: str) -> None:
    """Everything a page is drawn in; each page calls it first with its `__file__`. (Not the router:
    with a pages/ folder beside the main script, AppTest runs a page file by itself, without it; the
    server is told not to in app.py.)"""
    page = LESSON_PAGES[Path(page_file).resolve().relative_to(REPO).as_posix()]
    st.set_page_config(page_title=f"{page.title} · Fashion-MNIST Classroom", page_icon=":material/checkroom:",
                       layout="wide")
    st.html(f"<style>{FOCUS_STYLE.format(colour=st.get_option('theme.primaryColor'))}</style>")
    with st.sidebar:
        st.markdown("### :material/checkroom: Fashion-MNIST Classroom")
        for shown in LESSON_PAGES.values():
            if shown.in_menu:
                page_link(shown.file, shown.label, shown.icon)
        _redraw_after_reconnecting()
    session.keep_in_link(page.keeps)
    try:
        session.desk()
    except TooManySeats as refused:
        st.error(str(refused), icon=":material/block:")
        st.stop()
    classroom.follow_membership()
    with st.sidebar:
        classroom.watch_the_class()
    session.collect_finished()
    problem = store_writer().problem
    with notes():
        if problem:
            st.warning(f"**Your runs are not being saved right now** ({problem}). They are kept "
                       "here and saved as soon as the database answers again.",
                       icon=":material/cloud_off:")
    st.title(page.title)
    with notes():
        for note in session.seat_notes():
            st.warning(plain(note), icon=":material/link:")
        if ended := classroom.ended_note():
            st.warning(plain(ended), icon=":material/door_open:")

"""What every page starts with: the wide layout, the navigation and the page's title."""

from urllib.parse import urlencode

import streamlit as st

from fmnist_core.store import TooManySeats
from ui import classroom, session
from ui.resources import store_writer

PAGES = {
    "home": "home.py",
    "explore": "pages/1_Explore_the_data.py",
    "train": "pages/2_Build_and_train.py",
    "predictions": "pages/3_Predictions.py",
    "compare": "pages/4_Compare_runs.py",
    "learn": "pages/5_Learn.py",
    "inside": "pages/6_Inside_the_network.py",
    "picture": "pages/7_Your_picture.py",
    "board": "pages/8_Class_board.py",
}
# Drawn by hand (Streamlit's own list would call the home page "app"), in the lesson's order.
NAVIGATION = (
    ("home", "Home", ":material/home:"),
    ("explore", "Explore the data", ":material/image_search:"),
    ("train", "Build & train", ":material/model_training:"),
    ("predictions", "Predictions", ":material/target:"),
    ("compare", "Compare runs", ":material/compare_arrows:"),
    ("learn", "Learn: six questions", ":material/school:"),
    ("inside", "Inside the network", ":material/neurology:"),
    ("picture", "Your own picture", ":material/add_photo_alternate:"),
    ("board", "Class board", ":material/groups:"),
)


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
    """The teacher's link to a class's board, absolute (drawn on the home page, whose address is
    the app's own)."""
    base = (st.context.url or "").split("?", 1)[0].rstrip("/")
    return f"{base}/Class_board?{urlencode({'class': code, 'key': key})}"


def switch_to(page: str) -> None:
    st.switch_page(page, query_params=session.link_params())


def setup(title: str, keeps: tuple[str, ...] = ()) -> None:
    """The page's frame; `keeps` names link parameters of this page's own (kept in its address)."""
    st.set_page_config(page_title=f"{title} · Fashion-MNIST Classroom", page_icon=":material/checkroom:",
                       layout="wide")
    st.html(f"<style>{FOCUS_STYLE.format(colour=st.get_option('theme.primaryColor'))}</style>")
    with st.sidebar:
        st.markdown("### :material/checkroom: Fashion-MNIST Classroom")
        for page, label, icon in NAVIGATION:
            page_link(PAGES[page], label, icon)
        _redraw_after_reconnecting()
    session.keep_in_link(keeps)
    try:
        session.desk()
    except TooManySeats as refused:
        st.error(str(refused), icon=":material/block:")
        st.stop()
    classroom.follow_membership()
    session.collect_finished()
    problem = store_writer().problem
    with notes():
        if problem:
            st.warning(f"**Your runs are not being saved right now** ({problem}). They are kept "
                       "here and saved as soon as the database answers again.",
                       icon=":material/cloud_off:")
    st.title(title)
    with notes():
        for note in session.seat_notes():
            st.warning(note, icon=":material/link:")
        if ended := classroom.ended_note():
            st.warning(ended, icon=":material/door_open:")

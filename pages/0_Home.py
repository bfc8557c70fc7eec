"""The home page: the lesson, the path, the session (`streamlit run app.py` serves it first)."""

import streamlit as st

from ui import classroom, session
from ui.page import COMPARE, EXPLORE, PREDICTIONS, TRAIN, board_link, frame, page_link
from ui.resources import startup_notes
from ui.text import plain

frame(__file__)

st.markdown(
    "Teach a small neural network to tell a **sneaker** from a **sandal**, and watch it learn. "
    "This is the Keras lesson *Classify images of clothing* — 70,000 small grey pictures of "
    "clothes, a network of two dense layers, about **88 %** right after 10 epochs — made into "
    "something you can touch."
)

for note in startup_notes():
    st.warning(f"**This server's settings:** {note}", icon=":material/settings_alert:")

st.header("The path")
steps = st.columns(4)
for column, (page, title, text) in zip(steps, [
    (EXPLORE, "1 · Explore the data", "The 10 classes, the images, their pixel "
     "values, and why we scale them to 0–1."),
    (TRAIN, "2 · Build & train", "Choose layers, neurons and epochs; see the model "
     "summary; train and watch accuracy grow epoch by epoch."),
    (PREDICTIONS, "3 · Predictions", "Which test images does it get right (green) "
     "and wrong (red)? What does it confuse?"),
    (COMPARE, "4 · Compare runs", "64 or 256 neurons? More epochs? A second layer? "
     "Put your runs side by side."),
]):
    with column.container(border=True):
        st.markdown(f"**{title}**")
        st.caption(text)
        page_link(page, "Open", ":material/arrow_forward:")

st.header("Your runs")
runs = session.runs()
jobs = session.jobs()
status = st.columns(3)
status[0].metric("Runs trained", len(runs))
status[1].metric("Best test accuracy",
                 f"{max(run.test_accuracy for run in runs):.1%}" if runs else "—")
status[2].metric("Trainings under way", len(jobs))
seat = session.seat()
with st.container(border=True):
    code, other = st.columns(2, gap="large")
    code.markdown(f"Your code: **`{seat.shown_code or '—'}`**")
    code.caption("Your runs are saved. This page's link brings them back — bookmark it — and on "
                 "another computer, type this code there. Nobody else in the class sees your "
                 "runs.")
    with other.form("code_form", border=False):
        typed = st.text_input("Continue from another device: type its code", max_chars=12,
                              placeholder="K7PQ-2QX9")
        if st.form_submit_button("Bring back my runs", icon=":material/sync:"):
            problem = session.move_to_code(typed)
            if problem:
                st.error(plain(problem))
            else:
                st.rerun()
st.header("A class together")
joining, starting = st.columns(2, gap="large")
with joining.container(border=True):
    member, info = classroom.membership()
    if member is not None and info is not None:
        st.markdown(f"You are in class **`{info.shown_code}`** as **{plain(member.nickname)}**.")
        if part := classroom.experiment_part():
            st.markdown(part)
        if st.button("Leave the class", icon=":material/logout:"):
            classroom.leave()
            st.rerun()
    else:
        with st.form("join_form", border=False):
            st.markdown("**Join a class**: type the code on the board.")
            code = st.text_input("Class code", max_chars=12, placeholder="K7P-2QX")
            nickname = st.text_input("Nickname", value=session.suggested_nickname(), max_chars=24,
                                     help="Shown to your teacher. Not your real name: any "
                                     "nickname no classmate has will do.")
            st.caption("Use a nickname, not your real name.")
            if st.form_submit_button("Join the class", icon=":material/group_add:"):
                if problem := classroom.join(code, nickname):
                    st.error(plain(problem))
                else:
                    st.rerun()
with starting.container(border=True):
    st.markdown("**For teachers: start a class.** You get a code to write on the board and a "
                "private link to the class board, which shows every student's runs live.")
    if st.button("Start a class", icon=":material/co_present:"):
        started = classroom.start_class()
        if started is None:
            st.error("A class cannot be started right now: the database does not answer.")
        else:
            st.session_state["started_class"] = started
    if "started_class" in st.session_state:
        info, key = st.session_state["started_class"]
        with st.container(border=True):
            st.markdown(f"Class code: **`{info.shown_code}`** — write it on the board for the class.")
        board = board_link(info.code, key)
        with st.expander("Your teacher link: for you alone", icon=":material/key:"):
            st.warning("Do not project or share this link: whoever has it sees every student's runs "
                       "and can change or end the class. Bookmark it.", icon=":material/visibility_off:")
            st.code(board, language=None)
        st.link_button("Open the class board", board, icon=":material/groups:")


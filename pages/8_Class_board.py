"""The class board: every student's runs live, as one experiment, for the teacher to project."""

import pandas as pd
import streamlit as st

from fmnist_core import figures
from fmnist_core.classroom.board import KNOBS, ClassBoard, knob_for_plan, settings_text
from fmnist_core.classroom.handins import HandIns
from fmnist_core.classroom.plans import PLANS, plan_of
from fmnist_core.config import SETTINGS
from fmnist_core.run import REFERENCES
from ui import classroom
from ui.charts import chart
from ui.page import frame
from ui.resources import dataset
from ui.text import plain

frame(__file__)
HAND_INS_SECONDS = 10.0  # how often the board looks for new write-ups

names = dataset().class_names
info = classroom.teachers_class()
if isinstance(info, str):
    st.info(plain(info), icon=":material/lock:")  # may quote the link's class code
    st.stop()
code, key = info.code, st.query_params["key"]


st.markdown(f"## Class code: `{info.shown_code}`")
st.caption("Students join on the Home page: Join a class, then this code and a nickname.")

with st.expander("The class experiment and the board's settings", expanded=not info.plan_setting):
    plan_now = plan_of(info.plan_setting, info.plan_values)
    choices = ["No experiment: each student chooses", *PLANS]
    chosen = st.selectbox("Experiment", choices, choices.index(plan_now.name) if plan_now else 0,
                          help="Each student who joins gets one value, in turn, with a seed of "
                          "their own; their Build & train page shows it set and locked.")
    if chosen in PLANS:
        st.caption(f"{PLANS[chosen].question} Values: "
                   + ", ".join(PLANS[chosen].value_label(n) for n in range(len(PLANS[chosen].values)))
                   + ".")
    if (PLANS.get(chosen) != plan_now) and st.button("Give the class this experiment", type="primary"):
        plan = PLANS.get(chosen)
        classroom.set_plan(code, key, plan and plan.setting, plan.values if plan else ())
        st.rerun()
    left, right = st.columns(2)
    anonymous = left.toggle("Anonymous board (for projecting)", info.anonymous,
                            help="Shows Student 1, Student 2, … instead of the nicknames.")
    standing = right.toggle("Show each student where they stand", info.show_standing,
                            help="A student then sees e.g. “your run 88.1 % — class median 87.6 %”.")
    write_first = right.toggle("Write first", info.write_first,
                               help="Learn's answers stay folded for each student until they hand "
                               "in their write-up.")
    setting_names = [setting.name for setting in SETTINGS]
    locked = left.multiselect("Lock for the whole class", setting_names,
                              [n for n, mode in dict(info.controls).items() if mode == "lock"])
    hidden = right.multiselect("Hide for the whole class", [n for n in setting_names if n not in locked],
                               [n for n, mode in dict(info.controls).items()
                                if mode == "hide" and n not in locked])
    controls = {name: "lock" for name in locked} | {name: "hide" for name in hidden}
    if (anonymous, standing, controls, write_first) != (info.anonymous, info.show_standing,
                                                        dict(info.controls), info.write_first):
        classroom.set_class_options(code, key, controls=controls, show_standing=standing,
                                    anonymous=anonymous, write_first=write_first)
        st.rerun()

knob = st.selectbox("Test accuracy against", list(KNOBS), list(KNOBS).index(
    knob_for_plan(info.plan_setting, info.plan_values)), format_func=lambda name: KNOBS[name].label)


@st.fragment(run_every=1.0)
def live() -> None:
    """The class now: redrawn every second while the board is open."""
    found = classroom.class_now(code, key)
    if isinstance(found, str):
        st.warning(found)
        return
    counts, runs = found
    board = ClassBoard(runs, anonymous=info.anonymous)
    numbers = st.columns(4)
    for column, (label, value) in zip(numbers, [
            ("Joined", counts.joined), ("Training now", counts.training),
            ("Waiting", counts.waiting), ("Runs finished", counts.finished)]):
        column.metric(label, value)
    values = board.by_value(knob)
    # Drawn from the start, empty: the first points then appear at once (the browser has the
    # chart's code loaded already).
    chart(figures.class_results(board.points(knob), values, KNOBS[knob].label,
                                references=REFERENCES), key="class_results")
    if not board.finished:
        return
    best = board.best()
    st.markdown(f"**Best run: {best.test_accuracy:.2%}** by {plain(board.who(best))} — "
                f"{plain(settings_text(best.config))}.")
    pairs = board.confused()
    if pairs:
        st.markdown("What the class's models confuse most (each student's latest run): " + "; ".join(
            f"**{names[t]}** taken for **{names[p]}** ({n:,} times)" for t, p, n in pairs[:3]) + ".")
    st.dataframe(board.leaderboard(), hide_index=True, width="stretch", column_config={
        "test accuracy": st.column_config.NumberColumn(format="percent")})
    st.download_button("Download the class's results (CSV)", board.csv(), f"class-{code}.csv",
                       "text/csv", icon=":material/download:", key="class_csv")


live()


@st.fragment(run_every=HAND_INS_SECONDS)
def hand_ins() -> None:
    """The write-ups handed in, each opened read-only as plain text, and all of them as a .zip."""
    st.header("Write-ups handed in")
    found = classroom.class_writeups(code, key)
    if isinstance(found, str):
        st.warning(found)
        return
    if not found:
        st.caption("None yet: students hand in on their Write-up page.")
        return
    handed = HandIns(found, anonymous=info.anonymous)
    st.table(pd.DataFrame(handed.rows()), hide_index=True, alt="The write-ups handed in")
    opened = st.selectbox("Open a write-up", range(len(found)), key="open_writeup",
                          format_func=lambda index: handed.who(found[index]))
    st.code(handed.as_text(found[opened]), language=None, wrap_lines=True)
    st.markdown("**Its hints**")
    st.text("\n".join(handed.hints_text(opened)))
    st.download_button("Download every write-up (.zip)", handed.zip, f"write-ups-{code}.zip",
                       "application/zip", icon=":material/download:", key="writeups_zip")


hand_ins()

with st.expander("End the class"):
    st.markdown("Deletes the class from the database at once: its students' nicknames, the board's "
                "settings and every run trained in the class. The students keep their seats and the "
                "runs they trained outside it; their pages then say that the class has ended.")
    if st.checkbox("Yes, end the class and delete its data", key="confirm_end"):
        if st.button("End class and delete its data", type="primary", icon=":material/delete:"):
            classroom.end_class(code, key)
            st.success("The class has ended and its data are deleted.")
            st.stop()

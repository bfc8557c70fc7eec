"""A tab's part in a class: joining, the class's locks and experiment on this student's knobs,
the teacher's board (its credentials, the teacher's changes, the class now), and the news that a
class has ended (its runs gone from this tab, the seat and its other runs kept). Every change to a
class goes through here, to the run store's front."""

import time
from collections.abc import Mapping, Sequence
from contextlib import suppress

import streamlit as st

from fmnist_core.classroom.board import standing as board_standing
from fmnist_core.classroom.nicknames import NicknameTaken, check_nickname
from fmnist_core.classroom.plans import member_config, plan_of
from fmnist_core.store import (
    ClassCounts,
    ClassFull,
    ClassInfo,
    ClassNotFound,
    ClassRun,
    ClassWriteup,
    Membership,
    NotTheTeacher,
    StoreUnavailable,
)
from ui import session, settings
from ui.resources import desks, store_writer

MEMBERSHIP, ENDED = "class_membership", "class_ended"
CHECK_SECONDS = 3.0  # how often a page asks the database about the student's class
FLUSH_SECONDS = 2.0  # how long a page waits for this server's writes when the class has ended
WATCH_SECONDS = 5.0  # how often a tab in a class looks by itself whether the teacher has ended it


def follow_membership() -> None:
    """Keeps this tab in step with its class: its locks and experiment on the knobs; when the
    teacher has ended the class, its runs leave the page and one sentence says so."""
    checked, known, info = st.session_state.get(MEMBERSHIP, (0.0, None, None))
    if time.monotonic() - checked < CHECK_SECONDS:
        return
    seat = session.seat()
    try:
        membership, info = session.store().membership_and_class(seat)
    except StoreUnavailable:
        return  # the database is down: keep what we knew
    if known is not None and membership is None and info is None and _has_ended(known.code):
        _class_ended(known)
        return
    st.session_state[MEMBERSHIP] = (time.monotonic(), membership, info)
    _apply(membership, info)


def watch_the_class() -> None:
    """While this tab is in a class, a fragment (drawing nothing) that looks every WATCH_SECONDS
    whether the teacher has ended it, and if so redraws the page, whose check then takes the class's
    runs away and says so. Without it the news waited for the learner's next rerun that came
    CHECK_SECONDS after the last check and found this server's writes flushed: a click on a page
    soon after one of those showed nothing, and nothing came after."""
    _, known, _ = st.session_state.get(MEMBERSHIP, (0.0, None, None))
    if known is not None:
        _watch(known.code)


@st.fragment(run_every=WATCH_SECONDS)
def _watch(code: str) -> None:
    if _has_ended(code):
        _, known, info = st.session_state[MEMBERSHIP]
        st.session_state[MEMBERSHIP] = (0.0, known, info)  # the redrawn page checks at once
        st.rerun(scope="app")


def _has_ended(code: str) -> bool:
    """Whether the class is gone from the store; False while the database does not answer."""
    try:
        return session.store().class_of_code(code) is None
    except StoreUnavailable:
        return False


def _apply(membership: Membership | None, info: ClassInfo | None) -> None:
    """The class's locks and hides, and the student's part of its experiment, on the knobs."""
    if membership is None or info is None:
        session.set_class_controls({})
        return
    controls = dict(info.controls)
    part = None
    if info.plan_setting and membership.slot is not None:
        controls |= {info.plan_setting: "lock", "seed": "lock"}
        part = info.plan_setting, info.plan_values[membership.slot], membership.seed
    wanted = member_config(session.config(), [name for name, mode in info.controls if mode == "lock"], part)
    if wanted != session.config():
        settings.apply(wanted)  # the widgets then show the class's values and the student's part
    session.set_class_controls(controls)


def _class_ended(known: Membership) -> None:
    """The runs trained in the class leave this seat's desk; the seat and its other runs stay. A
    run the store lacks once this server's writes are all in it went with the class; until then
    (or while the store cannot be read) the next check tries again."""
    if not store_writer().flush(FLUSH_SECONDS) or not desks().drop_gone(session.seat()):
        return
    st.session_state.pop(session.EVALUATIONS, None)  # by the runs' ids, which may be reused
    st.session_state.pop(MEMBERSHIP, None)
    session.set_class_controls({})
    st.session_state[ENDED] = known.code


def ended_note() -> str | None:
    """Once, after the teacher ended this student's class."""
    code = st.session_state.pop(ENDED, None)
    return code and ("Your class has ended: the teacher deleted its data, the runs you trained in it "
                     "included; your seat and your other runs are still here.")


def membership() -> tuple[Membership | None, ClassInfo | None]:
    """This student's class membership and the class, as last checked."""
    _, membership, info = st.session_state.get(MEMBERSHIP, (0.0, None, None))
    return membership, info


def experiment_part() -> str | None:
    """"Your part of the class experiment: 256 neurons", for a student with a part."""
    membership_now, info = membership()
    if membership_now is None or info is None or membership_now.slot is None:
        return None
    plan = plan_of(info.plan_setting, info.plan_values)
    value = info.plan_values[membership_now.slot]
    label = plan.value_label(membership_now.slot) if plan else f"{info.plan_setting} = {value}"
    return f"Your part of the class experiment: **{label}** (seed {membership_now.seed})."


def join(code: str, nickname: str) -> str | None:
    """Joins the class with this code; returns what was wrong, in one sentence (for a nickname a
    classmate has, with one to take instead)."""
    try:
        nickname = check_nickname(nickname)
    except ValueError as error:
        return str(error)
    seat = session.seat()
    try:
        session.store().join_class(seat, code, nickname)
    except (ClassNotFound, ClassFull, NicknameTaken) as error:
        return str(error)
    except StoreUnavailable:
        return "The class cannot be joined right now: the database does not answer. Try again soon."
    st.session_state.pop(MEMBERSHIP, None)
    follow_membership()
    return None


def leave() -> None:
    seat = session.seat()
    with suppress(StoreUnavailable):
        session.store().leave_class(seat)
    st.session_state.pop(MEMBERSHIP, None)
    session.set_class_controls({})


def start_class() -> tuple[ClassInfo, str] | None:
    """A new class and its teacher key; None while the database does not answer."""
    try:
        return session.store().start_class()
    except StoreUnavailable:
        return None


def teachers_class() -> ClassInfo | str:
    """The class whose board this tab's link opens (its class code and teacher key), or why not."""
    code, key = st.query_params.get("class"), st.query_params.get("key")
    if not code or not key:
        return ("This board is for a class's teacher: open it with the teacher link you got "
                "when you started the class (Home → Start a class).")
    try:
        return session.store().teachers_class(code, key)
    except (ClassNotFound, NotTheTeacher) as error:
        return str(error)
    except StoreUnavailable:
        return "The class cannot be read right now: the database does not answer. Try again soon."


def set_plan(code: str, key: str, setting: str | None, values: Sequence[str]) -> None:
    """The teacher gives the class an experiment, or none (the store checks the key); nothing
    while the database does not answer."""
    with suppress(StoreUnavailable):
        session.store().set_plan(code, key, setting, values)


def set_class_options(code: str, key: str, *, controls: Mapping[str, str], show_standing: bool,
                      anonymous: bool, write_first: bool) -> None:
    """The teacher's locks and hides for the class, where students stand, an anonymous board, and
    whether the students write first; nothing while the database does not answer."""
    with suppress(StoreUnavailable):
        session.store().set_class_options(code, key, controls=controls, show_standing=show_standing,
                                          anonymous=anonymous, write_first=write_first)


def class_now(code: str, key: str) -> tuple[ClassCounts, list[ClassRun]] | str:
    """The class's counts and runs, for its board; else why not, in one sentence (the class has
    ended, or the database does not answer)."""
    front = session.store()
    try:
        return front.class_counts(code), front.class_runs(code, key)
    except (ClassNotFound, NotTheTeacher):
        return "This class has ended: its data are deleted."
    except StoreUnavailable:
        return "The board cannot read the class right now: the database does not answer."


def class_writeups(code: str, key: str) -> list[ClassWriteup] | str:
    """The write-ups the class handed in, for its board; else why not, in one sentence."""
    try:
        return session.store().class_writeups(code, key)
    except (ClassNotFound, NotTheTeacher):
        return "This class has ended: its data are deleted."
    except StoreUnavailable:
        return "The board cannot read the write-ups right now: the database does not answer."


def end_class(code: str, key: str) -> None:
    """Deletes the class, its memberships and the runs trained in it (never a seat, nor another
    run); nothing while the database does not answer."""
    with suppress(StoreUnavailable):
        session.store().end_class(code, key)


def standing(accuracy: float) -> str | None:
    """Where this run stands in the class, if the teacher shows it."""
    member, info = membership()
    if member is None or info is None or not info.show_standing:
        return None
    try:
        accuracies = session.store().class_accuracies(info.code)
    except StoreUnavailable:
        return None
    return board_standing(accuracy, accuracies)

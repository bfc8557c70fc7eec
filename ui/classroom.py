"""A tab's part in a class: joining, the class's locks and experiment on this student's knobs,
the teacher's board credentials, and the news that a class has ended."""

import time

import streamlit as st

from fmnist_core.classroom.board import standing as board_standing
from fmnist_core.classroom.nicknames import check_nickname
from fmnist_core.classroom.plans import part_config, plan_of
from fmnist_core.store import ClassFull, ClassInfo, ClassNotFound, Membership, NotTheTeacher
from ui import session, settings
from ui.resources import desks, store_writer

MEMBERSHIP, ENDED = "class_membership", "class_ended"
CHECK_SECONDS = 3.0  # how often a page asks the database about the student's class
_UNREADABLE = object()


def follow_membership() -> None:
    """Keeps this tab in step with its class: its locks and experiment on the knobs; when the
    teacher has ended the class, a fresh seat and one sentence saying so."""
    checked, known, info = st.session_state.get(MEMBERSHIP, (0.0, None, None))
    if time.monotonic() - checked < CHECK_SECONDS:
        return
    seat = session.seat()
    found = store_writer().read(lambda store: _membership_and_class(store, seat), _UNREADABLE)
    if found is _UNREADABLE:
        return  # the database is down: keep what we knew
    membership, info = found
    if known is not None and membership is None and info is None \
            and store_writer().read(lambda store: store.class_of_code(known.code), _UNREADABLE) is None:
        _class_ended(known)
        return
    st.session_state[MEMBERSHIP] = (time.monotonic(), membership, info)
    _apply(membership, info)


def _membership_and_class(store, seat) -> tuple[Membership | None, ClassInfo | None]:
    membership = store.membership_of(seat)
    return membership, membership and store.class_of_code(membership.code)


def _apply(membership: Membership | None, info: ClassInfo | None) -> None:
    """The class's locks and hides, and the student's part of its experiment, on the knobs."""
    if membership is None or info is None:
        session.set_class_controls({})
        return
    controls = dict(info.controls)
    if info.plan_setting and membership.slot is not None:
        controls |= {info.plan_setting: "lock", "seed": "lock"}
        wanted = part_config(session.config(), info.plan_setting, info.plan_values[membership.slot],
                             membership.seed)
        if wanted != session.config():
            settings.apply(wanted)  # the widgets then show the student's part
    session.set_class_controls(controls)


def _class_ended(known: Membership) -> None:
    desks().forget(session.seat())
    session.start_afresh()
    st.session_state.pop(MEMBERSHIP, None)
    session.set_class_controls({})
    st.session_state[ENDED] = known.code


def ended_note() -> str | None:
    """Once, after the teacher ended this student's class."""
    code = st.session_state.pop(ENDED, None)
    return code and ("Your class has ended: the teacher deleted its data, your runs in it "
                     "included. You can go on here on your own, with a new seat.")


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
    """Joins the class with this code; returns what was wrong, in one sentence."""
    try:
        nickname = check_nickname(nickname)
    except ValueError as error:
        return str(error)
    seat = session.seat()
    try:
        joined = store_writer().read(lambda store: _join(store, seat, code, nickname), _UNREADABLE)
    except (ClassNotFound, ClassFull) as error:
        return str(error)
    if joined is _UNREADABLE:
        return "The class cannot be joined right now: the database does not answer. Try again soon."
    st.session_state.pop(MEMBERSHIP, None)
    follow_membership()
    return None


def _join(store, seat, code: str, nickname: str) -> Membership:
    if seat.code:  # a seat made while the database was down may not be saved yet
        store.create_seat(seat)
    return store.join_class(seat, code, nickname)


def leave() -> None:
    seat = session.seat()
    store_writer().read(lambda store: store.leave_class(seat))
    st.session_state.pop(MEMBERSHIP, None)
    session.set_class_controls({})


def start_class() -> tuple[ClassInfo, str] | None:
    """A new class and its teacher key; None while the database does not answer."""
    return store_writer().read(lambda store: store.start_class())


def teachers_class() -> ClassInfo | str:
    """The class whose board this tab's link opens (its class code and teacher key), or why not."""
    code, key = st.query_params.get("class"), st.query_params.get("key")
    if not code or not key:
        return ("This board is for a class's teacher: open it with the teacher link you got "
                "when you started the class (Home → Start a class).")
    try:
        info = store_writer().read(lambda store: store.teachers_class(code, key), _UNREADABLE)
    except (ClassNotFound, NotTheTeacher) as error:
        return str(error)
    if info is _UNREADABLE:
        return "The class cannot be read right now: the database does not answer. Try again soon."
    return info


def standing(accuracy: float) -> str | None:
    """Where this run stands in the class, if the teacher shows it."""
    member, info = membership()
    if member is None or info is None or not info.show_standing:
        return None
    accuracies = store_writer().read(lambda store: store.class_accuracies(info.code))
    return None if accuracies is None else board_standing(accuracy, accuracies)

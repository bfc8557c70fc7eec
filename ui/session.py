"""Everything one browser tab keeps: its settings, its seat (whose desk holds the runs and the
trainings under way), and the link that brings them back.

The keys live here, in one place. A tab sees only its seat's runs; the dataset, the trainers and
the run store are shared (see resources).
"""

from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st
from streamlit import runtime
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from fmnist_core.classroom import Desk
from fmnist_core.classroom.nicknames import suggest_nickname
from fmnist_core.classroom.saving import SeatRecorder
from fmnist_core.config import ExperimentConfig, teacher_controls, teacher_query
from fmnist_core.evaluation import Evaluation
from fmnist_core.lesson.words import count
from fmnist_core.run import TrainingRun
from fmnist_core.run_list import RunList
from fmnist_core.store import Seat, StoreFront, StoreUnavailable, TooManyCodes, normalise_seat_code
from fmnist_core.store.seats import is_token, shown_code
from fmnist_core.training.jobs import QueueFull, TrainingJob
from ui import resources
from ui.resources import dataset, desks, server_name, store_writer

# A closed tab's training stops because Runtime.is_active_session says so (not public API).
if not callable(getattr(Runtime, "is_active_session", None)):
    raise RuntimeError("This Streamlit has no Runtime.is_active_session: closed tabs would keep "
                       "training. Check ui/session.liveness before upgrading.")

CONFIG, RUNS, JOBS, URL_NOTES = "config", "runs", "jobs", "url_notes"
EVALUATIONS, ERRORS = "evaluations", "training_errors"
STOPS, EARLIER = "training_stops", "answered_earlier"
TEACHER, CURVES, SEAT, MODEL = "teacher_controls", "training_curves", "seat", "stored_model"
SEAT_NOTES, KEPT, CLASS_CONTROLS = "seat_notes", "kept_params", "class_controls"
MAX_TRAININGS = 3  # a student's (a browser's, all its tabs) trainings waiting or running at once
SEAT_PARAM = "seat"  # the link's parameter that brings a learner's runs back
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's, set on the browser's first request


def store() -> StoreFront:
    """The run store, as the pages read and write it."""
    return StoreFront(store_writer())


def desk() -> Desk:
    """This tab's desk: the seat of the link it was opened with (or a new one), with its runs.

    The first call in a tab reads the seat from the link; `RUNS` and `JOBS` in the session state
    show the desk's runs and trainings (for tests that read them).
    """
    fresh = SEAT not in st.session_state
    if fresh:
        st.session_state[SEAT], st.session_state[SEAT_NOTES] = _seat_of_link()
        store().touch_seat(st.session_state[SEAT])  # a seat in use is not deleted as unused
    _write_link()  # a page switch clears the address's parameters
    the_desk = desks().desk(st.session_state[SEAT], fresh=fresh)
    context = get_script_run_ctx()
    if context is not None:
        the_desk.attach(context.session_id)
    st.session_state[RUNS], st.session_state[JOBS] = the_desk.runs, the_desk.jobs
    return the_desk


def _seat_of_link() -> tuple[Seat, list[str]]:
    token = st.query_params.get(SEAT_PARAM)
    if not token:
        return _new_seat(), []
    if is_token(token):
        try:
            seat = store().seat_of_token(token)
        except StoreUnavailable:
            return Seat(token), []  # the database is down: keep the link, its runs come back later
        if seat is not None:
            return seat, []
    return _new_seat(), ["This link's seat was not found (mistyped, or its runs were deleted): "
                         "your runs start afresh here, with a new link."]


def _new_seat() -> Seat:
    """A seat saved at once (its code is then surely its own); while the database is down, it is
    saved as soon as it answers. TooManySeats when this browser started too many lately."""
    seat, front, browser = Seat.new(), store(), _browser()
    try:
        return front.create_seat(seat, client=browser)
    except StoreUnavailable:
        front.create_seat_later(seat)
        return seat


def _browser() -> str | None:
    """This browser's own id, the same in all its tabs: the token in Streamlit's XSRF cookie (the
    cookie's text changes with every page, the token it masks does not); else its address."""
    parts = st.context.cookies.get(XSRF_COOKIE, "").split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            masked = b""
        if masked and mask:
            return "browser:" + bytes(byte ^ mask[i % len(mask)] for i, byte in enumerate(masked)).hex()
    address = st.context.ip_address
    return f"address:{address}" if isinstance(address, str) and address else None  # AppTest's: a mock


def suggested_nickname() -> str:
    """A random nickname for this tab, the same on every rerun."""
    return st.session_state.setdefault("nickname_suggestion", suggest_nickname())


def seat_notes() -> list[str]:
    """What was wrong with the seat in the link this tab was opened with (shown once)."""
    desk()
    return st.session_state.pop(SEAT_NOTES, [])


def seat() -> Seat:
    return desk().seat


def move_to_code(text: str) -> str | None:
    """Makes this tab the seat whose code was typed; returns what was wrong, in one sentence."""
    code = normalise_seat_code(text)
    if code is None:
        return "A code is 8 letters and digits, like K7PQ-2QX9."
    try:
        found = store().seat_of_code(code, client=_browser())
    except StoreUnavailable:
        return "Codes cannot be looked up right now: the database does not answer. Try again soon."
    except TooManyCodes as wait:
        return f"{wait}. Your link (the one with ?seat= in it) brings your runs back at any time."
    if found is None:
        return f"No seat has the code {shown_code(code)}. Check it on the other device's Home page."
    st.session_state[SEAT] = found
    st.session_state.pop(EVALUATIONS, None)
    _write_link()
    return None


def delete_runs() -> None:
    """Deletes this seat's runs from the database and from this server, at once."""
    the_desk = desk()
    store().delete_runs_of_seat(the_desk.seat)
    the_desk.forget_runs()
    st.session_state.pop(EVALUATIONS, None)
    desk()


def config() -> ExperimentConfig:
    """The session's settings; the first call reads them from the link the tab was opened with."""
    if CONFIG not in st.session_state:
        query = st.query_params.to_dict()
        st.session_state[CONFIG], notes = ExperimentConfig.from_query(query)
        st.session_state[TEACHER], teacher_notes = teacher_controls(query)
        st.session_state[URL_NOTES] = notes + teacher_notes
    return st.session_state[CONFIG]


def controls() -> dict[str, str]:
    """The settings the teacher locks or hides: {name: "lock" or "hide"}, from the link and from
    the class (whose choices win)."""
    config()
    return st.session_state[TEACHER] | st.session_state.get(CLASS_CONTROLS, {})


def set_class_controls(new: dict[str, str]) -> None:
    """The locks and hides the student's class sets (its board, its experiment)."""
    st.session_state[CLASS_CONTROLS] = new


def keep_in_link(names: tuple[str, ...]) -> None:
    """This page's own link parameters (the class board's class and key), kept in its address."""
    st.session_state[KEPT] = {name: st.query_params[name] for name in names if name in st.query_params}


def set_controls(new: dict[str, str]) -> None:
    st.session_state[TEACHER] = new
    set_config(config())


def set_config(new: ExperimentConfig) -> None:
    """Keeps the settings and puts them in the link."""
    st.session_state[CONFIG] = new
    _write_link()


def lesson_params() -> dict[str, str]:
    """The link's lesson: the settings that differ from the lesson's, and the locks (no seat)."""
    return config().differences() | teacher_query(st.session_state.get(TEACHER, {}))


def lesson_link(page_url: str) -> str:
    """This page's address with the lesson's parameters only: the link a teacher shares."""
    base = page_url.split("?", 1)[0]
    params = lesson_params()
    return f"{base}?{urlencode(params)}" if params else base


def link_params() -> dict[str, str]:
    """What this tab's link holds: the lesson and the seat. Page links carry it along."""
    params = lesson_params()
    if SEAT in st.session_state:
        params[SEAT_PARAM] = st.session_state[SEAT].token
    return params


def _write_link() -> None:
    wanted = link_params() | st.session_state.get(KEPT, {})
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def url_notes() -> list[str]:
    """What was wrong with the settings in the link this session was opened with (shown once)."""
    config()  # the session's first call reads the link
    notes = st.session_state.pop(URL_NOTES, [])
    if notes:
        set_config(config())  # the link's bad values leave the URL
    return notes


def runs() -> RunList:
    return desk().runs


def jobs() -> list[TrainingJob]:
    """This seat's trainings that are waiting or running."""
    return desk().jobs


def runs_with_model() -> list[TrainingRun]:
    """The runs whose model is here or in the store (the newest few)."""
    return desk().runs_with_model()


def _name(run: TrainingRun) -> str:
    return run.name


def choose_run(label: str, runs: list[TrainingRun], describe: Callable[[TrainingRun], str] = _name, *,
               where=st, **widget) -> TrainingRun:
    """A selectbox of `runs`, newest first. Its options are the runs' ids, not the runs: Streamlit
    deep-copies a widget's value at every rerun, and a run's Keras model deep-copied is the model
    saved and loaded again (0.13–0.4 s a rerun of Inside the network, and a model a tab, measured)."""
    newest_first = {run.run_id: run for run in reversed(runs)}
    chosen = where.selectbox(label, list(newest_first),
                             format_func=lambda run_id: describe(newest_first[run_id]), **widget)
    return newest_first[chosen]


def latest_with_model() -> TrainingRun | None:
    return next(reversed(runs_with_model()), None)


def model_of(run: TrainingRun):
    """The run's Keras model: in memory for a run trained here, else loaded from the store (the
    last one loaded is kept for reruns); None when it has none."""
    if run.model is not None:
        return run.model
    return last_made(MODEL, run.run_id, lambda: _stored_model(run))


def _stored_model(run: TrainingRun):
    try:
        weights = store().weights_of_run(seat(), run.run_id)
    except StoreUnavailable:
        return None
    if weights is None:
        return None
    from fmnist_core.training.model import model_with_weights  # imports TensorFlow, needed only here

    return model_with_weights(run.config, weights)


def start(configs: dict[str, ExperimentConfig]) -> str | None:
    """Queues one training per config (the names become the runs' names); returns why not, in one
    sentence, when that would make more than MAX_TRAININGS of this student's at once, or while the
    database is down and this server already holds as much as it may of results waiting for it."""
    writer = store_writer()
    if writer.full:
        return (f"No new training can start on this server until the database answers again: "
                f"{writer.pending_bytes / 2**20:,.0f} MB of the class's results are already waiting "
                f"in its memory to be saved (it holds at most {writer.max_pending_bytes / 2**20:,.0f} "
                "MB), so press Train again once the warning above has gone.")
    the_desk, alive = desk(), presence()
    # The queue by the module's name, at call time: a test puts a queue of its own there.
    queue, student = resources.training_queue(), _browser() or the_desk.seat.token
    here = max(queue.active_of(student), sum(job.active for job in the_desk.jobs))
    try:  # the same seat's link may be open on another device, which the balancer sent elsewhere
        elsewhere = store().runs_under_way_elsewhere(the_desk.seat, server_name())
    except StoreUnavailable:
        elsewhere = 0
    if here + elsewhere + len(configs) > MAX_TRAININGS:
        return (f"You can have at most {MAX_TRAININGS} trainings waiting or running at once, in "
                "all your tabs and devices, so the whole class gets its turn: wait for one to finish.")
    recorder = SeatRecorder(store_writer(), the_desk.seat, dataset().test_labels, server_name())
    for name, config in configs.items():
        name = the_desk.runs.new_name(name, coming=tuple(job.name for job in the_desk.jobs))
        try:
            the_desk.jobs.append(queue.submit(config, is_alive=alive, name=name, observer=recorder,
                                              owner=student))
        except QueueFull as full:
            return str(full)
    return None


def collect_finished() -> None:
    """Moves ended trainings into the run list (their error into `errors()`, and why the queue
    stopped one into `stops()`)."""
    for job in desk().collect_ended():
        if job.error:
            st.session_state.setdefault(ERRORS, []).append(job.error)
        if job.earlier:
            st.session_state.setdefault(EARLIER, set()).add(job.run_id)
        if job.stopped_because and job.result:
            st.session_state.setdefault(STOPS, []).append(
                f"{job.name} stopped after {count(job.result.epochs_done, 'epoch')} of "
                f"{job.config.epochs}: {job.stopped_because}. Its epochs are kept.")


def never_started() -> str | None:
    """What became of the trainings that were waiting on a server that stopped (said once)."""
    the_desk = desk()
    names, the_desk.never_started = the_desk.never_started, []
    if not names:
        return None
    one = len(names) == 1
    return (f"**{' and '.join(names)} {'was' if one else 'were'} waiting for a trainer on a server "
            f"that stopped**, and never started. Press Train to queue {'it' if one else 'them'} "
            "again; your finished runs are all here.")


def errors() -> list[str]:
    """Training failures not yet shown; reading them clears them."""
    return st.session_state.pop(ERRORS, [])


def answered_earlier(run: TrainingRun) -> bool:
    """Whether `run` was not trained for this learner but copied from an identical earlier one."""
    return run.run_id in st.session_state.get(EARLIER, ())


def stops() -> list[str]:
    """Why the server stopped trainings, not yet shown; reading them clears them."""
    return st.session_state.pop(STOPS, [])


def presence() -> Callable[[], bool]:
    """Says whether the learner is still here (a tab of the seat connected, or reloading): when
    every tab is closed, the seat's trainings stop."""
    if get_script_run_ctx() is None or not runtime.exists():
        return lambda: True  # not served (AppTest): nobody can close the tab
    server, the_desk = runtime.get_instance(), desk()
    return lambda: the_desk.is_present(server.is_active_session)


def evaluation(run: TrainingRun, test_labels) -> Evaluation:
    """The run's predictions on the test set, worked out once per run."""
    cache = st.session_state.setdefault(EVALUATIONS, {})
    # By identity, not by name: the runs stay in the session's list, so ids are not reused.
    if id(run) not in cache:
        cache[id(run)] = Evaluation.from_logits(run.test_logits, test_labels)
    return cache[id(run)]


def last_made(name: str, key, make: Callable):
    """`make()`, unless the value kept under `name` was made for the same `key`: a page that
    reruns often (a live chart) rebuilds only what changed."""
    kept = st.session_state.get(name)
    if kept is None or kept[0] != key:
        st.session_state[name] = kept = (key, make())
    return kept[1]

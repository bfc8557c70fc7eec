"""Everything one browser session keeps: its settings, its runs, its trainings under way.

The keys live here, in one place. Each session sees only its own runs; the dataset and the
trainer are shared (see resources).
"""

from collections.abc import Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from fmnist_core.config import ExperimentConfig, teacher_controls, teacher_query
from fmnist_core.evaluation import Evaluation
from fmnist_core.jobs import TrainingJob
from fmnist_core.run import TrainingRun
from fmnist_core.run_list import RunList

# A closed tab's training stops because Runtime.is_active_session says so (not public API).
if not callable(getattr(Runtime, "is_active_session", None)):
    raise RuntimeError("This Streamlit has no Runtime.is_active_session: closed tabs would keep "
                       "training. Check ui/session.liveness before upgrading.")

CONFIG, RUNS, JOBS, URL_NOTES = "config", "runs", "jobs", "url_notes"
EVALUATIONS, ERRORS, OUTPUTS = "evaluations", "training_errors", "layer_outputs"
TEACHER, CURVES = "teacher_controls", "training_curves"


def config() -> ExperimentConfig:
    """The session's settings; the first call reads them from the link the tab was opened with."""
    if CONFIG not in st.session_state:
        query = st.query_params.to_dict()
        st.session_state[CONFIG], notes = ExperimentConfig.from_query(query)
        st.session_state[TEACHER], teacher_notes = teacher_controls(query)
        st.session_state[URL_NOTES] = notes + teacher_notes
    return st.session_state[CONFIG]


def controls() -> dict[str, str]:
    """The settings the teacher's link locks or hides: {name: "lock" or "hide"}."""
    config()
    return st.session_state[TEACHER]


def set_controls(new: dict[str, str]) -> None:
    st.session_state[TEACHER] = new
    set_config(config())


def set_config(new: ExperimentConfig) -> None:
    """Keeps the settings; the link holds those that differ from the lesson's, and the locks."""
    st.session_state[CONFIG] = new
    wanted = new.differences() | teacher_query(st.session_state.get(TEACHER, {}))
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
    return st.session_state.setdefault(RUNS, RunList())


def jobs() -> list[TrainingJob]:
    """This session's trainings that are waiting or running."""
    return st.session_state.setdefault(JOBS, [])


def start(configs: dict[str, ExperimentConfig]) -> None:
    """Queues one training per config; the names become the runs' names."""
    from ui.resources import training_queue

    alive = liveness()
    jobs().extend(training_queue().submit(config, is_alive=alive, name=name)
                  for name, config in configs.items())


def collect_finished() -> None:
    """Moves ended trainings into the run list (or their error into `errors()`)."""
    for job in [job for job in jobs() if not job.active]:
        jobs().remove(job)
        if job.result is not None:
            runs().add(job.result, job.name)
        if job.error:
            st.session_state.setdefault(ERRORS, []).append(job.error)


def errors() -> list[str]:
    """Training failures not yet shown; reading them clears them."""
    return st.session_state.pop(ERRORS, [])


def liveness() -> Callable[[], bool]:
    """Says whether this browser tab is still connected: a closed tab's training stops."""
    context = get_script_run_ctx()
    if context is None or not runtime.exists():
        return lambda: True  # not served (AppTest): nobody can close the tab
    server, session_id = runtime.get_instance(), context.session_id
    return lambda: server.is_active_session(session_id)


def evaluation(run: TrainingRun, test_labels) -> Evaluation:
    """The run's predictions on the test set, worked out once per run."""
    cache = st.session_state.setdefault(EVALUATIONS, {})
    # By identity, not by name: the runs stay in the session's list, so ids are not reused.
    if id(run) not in cache:
        cache[id(run)] = Evaluation.from_logits(run.test_logits, test_labels)
    return cache[id(run)]


def layer_outputs(run: TrainingRun, index: int, image) -> dict:
    """Every layer's output for one test image; the last one asked for is kept for reruns."""
    from fmnist_core.model import layer_outputs  # imports TensorFlow, needed only here

    return last_made(OUTPUTS, (id(run), index), lambda: layer_outputs(run.model, image))


def last_made(name: str, key, make: Callable):
    """`make()`, unless the value kept under `name` was made for the same `key`: a page that
    reruns often (a live chart) rebuilds only what changed."""
    kept = st.session_state.get(name)
    if kept is None or kept[0] != key:
        st.session_state[name] = kept = (key, make())
    return kept[1]

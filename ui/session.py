"""Everything one browser session keeps: its settings, its runs, its training job.

The keys live here, in one place. Each session sees only its own runs; the dataset and the
trainer are shared (see resources).
"""

from collections.abc import Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from fmnist_core.config import ExperimentConfig
from fmnist_core.evaluation import Evaluation
from fmnist_core.jobs import TrainingJob
from fmnist_core.run import TrainingRun

CONFIG, RUNS, JOB, URL_NOTES, EVALUATIONS = "config", "runs", "job", "url_notes", "evaluations"
MODELS_KEPT = 3  # older runs keep their history and figures; their models are released


def config() -> ExperimentConfig:
    if CONFIG not in st.session_state:
        st.session_state[CONFIG], st.session_state[URL_NOTES] = ExperimentConfig.from_query(
            st.query_params.to_dict())
    return st.session_state[CONFIG]


def set_config(new: ExperimentConfig) -> None:
    """Keeps the settings and puts those that differ from the lesson's in the page URL."""
    st.session_state[CONFIG] = new
    default = ExperimentConfig().to_query()
    wanted = {k: v for k, v in new.to_query().items() if v != default[k]}
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def url_notes() -> list[str]:
    """What was wrong with the settings in the link this session was opened with (shown once)."""
    config()
    return st.session_state.pop(URL_NOTES, [])


def runs() -> list[TrainingRun]:
    return st.session_state.setdefault(RUNS, [])


def latest_model_run() -> TrainingRun | None:
    """The newest run that still holds its model."""
    return next((run for run in reversed(runs()) if run.model is not None), None)


def add_run(run: TrainingRun) -> None:
    all_runs = runs()
    run.name = run.name or f"Run {len(all_runs) + 1}"
    all_runs.append(run)
    for old in all_runs[:-MODELS_KEPT]:
        old.model = None


def job() -> TrainingJob | None:
    return st.session_state.get(JOB)


def set_job(new: TrainingJob | None) -> None:
    st.session_state[JOB] = new


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
    if run.name not in cache:
        cache[run.name] = Evaluation.from_logits(run.test_logits, test_labels)
    return cache[run.name]

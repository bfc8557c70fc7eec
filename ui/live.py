"""Trainings under way, drawn live: the waiting line, progress bars, Stop, the growing chart."""

import streamlit as st

from fmnist_core import figures
from fmnist_core.lesson.words import count, duration
from fmnist_core.run import REFERENCES
from fmnist_core.training.jobs import JobState, TrainingJob
from ui import session
from ui.charts import chart
from ui.resources import training_queue


def training_row() -> tuple:
    """A training's row: what it does, and beside it its one button, which Build & train's
    ▶ Train becomes (Cancel while it waits, Stop once it runs)."""
    return st.columns([6, 1], vertical_alignment="bottom")


def button_key(row: int) -> str:
    """The key of the button in the `row`-th training row (▶ Train's is row 0's): one key, and one
    place on the page, make one element in the browser, which keeps a keyboard's focus as its words
    change (a new element would drop the focus, and the student's place, to the page's top)."""
    return f"training_button_{row}"


def _progress(job: TrainingJob, row: int) -> None:
    """The job's place in the queue, then its progress bar; beside it its button, Cancel while it
    waits and Stop once it runs. Primary, like ▶ Train, which it replaces: a button of another
    kind is another element in the browser."""
    label = f"**{job.name}**" if job.name else "Training"
    state, button = training_row()
    if job.state is JobState.WAITING:
        queue = training_queue()
        ahead, getting_ready = queue.ahead_of(job), queue.getting_ready
        why = (f"waiting for {job.waiting_for}" if job.waiting_for else
               f"waiting for a trainer to get ready ({getting_ready}, once after the server "
               "starts)" if getting_ready else
               "waiting for a free trainer")
        place = f"**{count(ahead, 'training')} ahead of you**" if ahead else "**you are next**"
        start = queue.expected_start(job)
        when = (f"should start in {duration(start)}" if start else
                "should start in a few seconds" if getting_ready else "should start in a moment")
        state.info(f"{label}: {why} — {place}; it {when}, by itself.",
                   icon=":material/hourglass_top:")
        button.button("Cancel", icon=":material/cancel:", key=button_key(row), type="primary",
                      help="Takes this training out of the queue.", on_click=job.cancel)
    else:
        epoch, step, steps = job.progress
        left = job.seconds_left
        where = (f"epoch {epoch} of {job.config.epochs} · step {step:,} of {steps:,}" if steps
                 else "building and compiling the model")
        state.progress(job.fraction_done, text=(
            f"{label} · {where} · {job.elapsed:.0f} s so far"
            + (f" · about {left:.0f} s left" if left else "")))
        # on_click, not the click's return: the rerun after ▶ Train's click sees this same
        # button clicked.
        button.button("Stop", icon=":material/stop_circle:", key=button_key(row), type="primary",
                      help="Ends this training now; the epochs done are kept.", on_click=job.cancel)


def curves(histories: dict, val_name: str, epochs: int | None = None,
           best_epochs: dict | None = None) -> None:
    """The accuracy and loss chart, with its last epochs in words and every epoch in a table;
    rebuilt only when a curve grows (building one takes ≈ 0.1 s)."""
    key = ({name: tuple(records) for name, records in histories.items()}, val_name, epochs,
           best_epochs)
    chart(session.last_made(session.CURVES, key, lambda: figures.training_curves(
        histories, val_name=val_name, references=REFERENCES, epochs=epochs,
        best_epochs=best_epochs)))


def under_way(jobs: list[TrainingJob]) -> None:
    """Each training's place in the queue or its progress bar, with its Cancel or Stop."""
    for row, job in enumerate(jobs):
        _progress(job, row)


@st.fragment(run_every=1.0)
def follow() -> None:
    """Redraws this session's trainings; when the last one ends, records the runs and redraws."""
    jobs = session.jobs()
    if not any(job.active for job in jobs):
        session.collect_finished()
        st.rerun()
    under_way(jobs)
    if not any(job.history for job in jobs):
        # A chart is the slowest thing the browser draws (a long task of 0.3–0.5 s here, which
        # held back the progress bar): an empty one waits for the first epoch.
        st.caption("The chart appears after the first epoch.")
        return
    val_names = {job.config.held_out_name for job in jobs}
    curves({job.name or "this run": list(job.history) for job in jobs},
           " / ".join(sorted(val_names)), max(job.config.epochs for job in jobs))

"""Trainings under way, drawn live: the waiting line, progress bars, Stop, the growing chart."""

import streamlit as st

from fmnist_core import figures
from fmnist_core.jobs import JobState, TrainingJob
from fmnist_core.run import REFERENCES
from fmnist_core.words import count, duration
from ui import session
from ui.charts import chart
from ui.resources import training_queue


def _progress(job: TrainingJob) -> None:
    """The job's place in the queue, then its progress bar; beside it one button, Cancel while it
    waits and Stop once it runs: the same element, so a keyboard's focus on it stays as it starts."""
    label = f"**{job.name}**" if job.name else "Training"
    state, button = st.columns([6, 1], vertical_alignment="bottom")
    if job.state is JobState.WAITING:
        ahead = training_queue().ahead_of(job)
        why = (f"waiting for {job.waiting_for}" if job.waiting_for
               else "waiting for a free trainer")
        place = f"**{count(ahead, 'training')} ahead of you**" if ahead else "**you are next**"
        start = training_queue().expected_start(job)
        when = f"should start in {duration(start)}" if start else "should start in a moment"
        state.info(f"{label}: {why} — {place}; it {when}, by itself.",
                   icon=":material/hourglass_top:")
        stop = button.button("Cancel", icon=":material/cancel:", key=f"stop_{id(job)}",
                             help="Takes this training out of the queue.")
    else:
        epoch, step, steps = job.progress
        left = job.seconds_left
        where = (f"epoch {epoch} of {job.config.epochs} · step {step:,} of {steps:,}" if steps
                 else "building and compiling the model")
        state.progress(job.fraction_done, text=(
            f"{label} · {where} · {job.elapsed:.0f} s so far"
            + (f" · about {left:.0f} s left" if left else "")))
        stop = button.button("Stop", icon=":material/stop_circle:", key=f"stop_{id(job)}",
                             help="Ends this training now; the epochs done are kept.")
    if stop:
        job.cancel()


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
    for job in jobs:
        _progress(job)


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

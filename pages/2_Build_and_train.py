"""Build & train: the knobs, the model summary they give, and a live training."""

import streamlit as st

from fmnist_core import figures
from fmnist_core.architecture import layer_table, parameter_count
from fmnist_core.jobs import TrainingJob
from fmnist_core.run import REFERENCES, TrainingRun
from ui import session
from ui.page import PAGES, setup
from ui.resources import dataset, training_queue
from ui.settings import settings_widgets

setup("Build & train")
data = dataset()
for note in session.url_notes():
    st.warning(note, icon=":material/link:")

knobs, summary = st.columns([2, 3], gap="large")
with knobs:
    st.subheader("Build")
    config = settings_widgets()
with summary:
    st.subheader("Model summary")
    st.table(layer_table(config).set_index("layer"))
    total = parameter_count(config)
    st.metric("Trainable parameters", f"{total:,}",
              help="Weights and biases the optimizer adjusts. The lesson's model has 101,770.")
    st.markdown(
        f"**One epoch** = one pass over all **{config.fit_images:,}** training images, in "
        f"batches of **{config.batch_size}**: **{config.steps_per_epoch:,} update steps** "
        f"({config.fit_images:,} ÷ {config.batch_size}, rounded up). Training for "
        f"**{config.epochs} epochs** shows each image {config.epochs} times: "
        f"{config.steps_per_epoch * config.epochs:,} steps in all."
    )
    st.caption(f"After each epoch the network is measured on the {config.held_out_name} images "
               "it never trains on — that is the dashed line in the chart.")


def chart(history, val_name: str, epochs: int):
    st.plotly_chart(figures.training_curves({"this run": history}, val_name=val_name,
                                            references=REFERENCES, epochs=epochs))


def show_progress(job: TrainingJob) -> None:
    """The waiting line, or the progress bar, times and the growing chart."""
    if job.state == "waiting":
        ahead = training_queue().ahead_of(job)
        st.info(f"⏳ Waiting for a free trainer — **{ahead} ahead of you**. "
                "Your training starts by itself.")
        if st.button("Cancel", key="cancel_waiting"):
            job.cancel()
        return
    epoch, step, steps = job.progress
    left = job.seconds_left
    st.progress(job.fraction_done, text=(
        f"Epoch {max(epoch, 1)} of {job.config.epochs} · step {step:,} of {steps:,} · "
        f"{job.elapsed:.0f} s so far" + (f" · about {left:.0f} s left" if left else "")))
    if st.button("⏹ Stop", key="stop", help="Ends training now; the epochs done are kept."):
        job.cancel()
    chart(list(job.history), job.config.held_out_name, job.config.epochs)


@st.fragment(run_every=0.7)
def live(job: TrainingJob) -> None:
    """Redraws the training's progress; when it ends, records the run and redraws the page."""
    if job.active:
        show_progress(job)
        return
    if job.run is not None:
        session.add_run(job.run)
    if job.error:
        st.session_state["train_error"] = job.error
    session.set_job(None)
    st.rerun()


def show_result(run: TrainingRun) -> None:
    chart(run.history, run.config.held_out_name, run.config.epochs)
    lesson, human = REFERENCES.values()
    verdict = ("above the lesson's ≈ 88 %" if run.test_accuracy >= lesson else
               "above human performance (83.5 %)" if run.test_accuracy >= human else
               "below the lesson's ≈ 88 % — try more epochs, more training images or "
               "normalised pixels")
    stopped = f" (stopped after {run.epochs_done} of {run.config.epochs} epochs)" \
        if run.stopped else ""
    st.success(f"**{run.name}{stopped}: test accuracy {run.test_accuracy:.2%}**, {verdict}. "
               f"Trained in {run.seconds:.0f} s.", icon=":material/check_circle:")
    st.page_link(PAGES["predictions"], label="See its predictions", icon=":material/target:")


st.subheader("Train")
job = session.job()
if job is None:
    if st.button("▶ Train", type="primary", help="Starts training with the settings above."):
        job = training_queue().submit(config, is_alive=session.liveness())
        session.set_job(job)
        st.rerun()
if job is not None:
    st.caption(f"Training {job.config.architecture.upper()} "
               f"{' × '.join(map(str, job.config.hidden_layers))} for {job.config.epochs} "
               "epochs. You can change the knobs meanwhile: they apply to your next run.")
    live(job)
elif error := st.session_state.pop("train_error", None):
    st.error(f"Training failed: {error}")
elif session.runs():
    show_result(session.runs()[-1])
else:
    st.caption("Press Train: the chart grows after every epoch. With the lesson's settings "
               "expect about 88 % test accuracy after 10 epochs.")

"""Build & train: the knobs, the model summary they give, and a live training."""

import secrets

import streamlit as st

from fmnist_core.architecture import layer_table, trainable_count
from fmnist_core.figures import image_grid
from fmnist_core.lesson.words import count, times
from fmnist_core.run import REFERENCES, RunState, TrainingRun
from fmnist_core.training.augmentation import NOTATION, previews
from ui import classroom, session
from ui.charts import chart
from ui.estimates import time_to_train
from ui.live import button_key, curves, follow, training_row, under_way
from ui.page import PREDICTIONS, frame, notes, page_link
from ui.resources import dataset
from ui.settings import apply, settings_widgets, teacher_panel
from ui.take_home import take_home_buttons
from ui.text import plain

frame(__file__)

REFUSED = "train_refused"
SEEDS = 10_000  # a new seed is drawn from 0–9,999: short enough to read and type

data = dataset()

with notes():
    for note in session.url_notes():  # they quote the link: plain text, never markup
        st.warning(plain(note), icon=":material/link:")
    if part := classroom.experiment_part():
        st.info(part + " Your teacher set it for the class; train it and the board shows your "
                "point.", icon=":material/groups:")

knobs, summary = st.columns([2, 3], gap="large")
with knobs:
    st.header("Build")
    config = settings_widgets()
    teacher_panel()
with summary:
    st.header("Model summary")
    st.table(layer_table(config).set_index("layer"))
    total = trainable_count(config)
    st.metric("Trainable parameters", f"{total:,}",
              help="Weights and biases the optimizer adjusts. The lesson's model has 101,770.")
    st.markdown(
        f"**One epoch** = one pass over all **{count(config.fit_images, 'training image')}**, in "
        f"batches of **{config.batch_size}**: **{count(config.steps_per_epoch, 'update step')}** "
        f"({config.fit_images:,} ÷ {config.batch_size}, rounded up). Training for "
        f"**{count(config.epochs, 'epoch')}** shows each image {times(config.epochs)}: "
        f"{count(config.steps_per_epoch * config.epochs, 'step')} in all."
    )
    st.caption(f"After each epoch the network is measured on the {config.held_out_name} images "
               "it never trains on — that is the dashed line in the chart.")
    if config.augments:
        st.markdown("**What the network is fed:** augmentation moves every training image at "
                    "random, anew in each epoch. Eight versions of the first one:")
        chart(image_grid(*previews(data.train_images[0], config), columns=4),
              words=f"Under each: {NOTATION}. The test images are never moved.")


def show_result(run: TrainingRun) -> None:
    curves({run.name: run.history}, run.config.held_out_name, run.config.epochs,
           {run.name: run.best_epoch} if run.best_epoch else None)
    if run.state is RunState.INTERRUPTED:
        st.warning(f"**{run.name} was interrupted** after {run.epochs_done} of {run.config.epochs} "
                   "epochs: the server stopped while it trained. Its finished epochs are kept.",
                   icon=":material/restart_alt:")
        if st.button("Train again with these settings", icon=":material/replay:"):
            apply(run.config)
            if problem := session.start({"": run.config}):
                st.warning(problem)
            else:
                st.rerun()
        return
    lesson, human = REFERENCES.values()
    verdict = ("above the lesson's ≈ 88 %" if run.test_accuracy >= lesson else
               "above human performance (83.5 %)" if run.test_accuracy >= human else
               "below the lesson's ≈ 88 % — try more epochs, more training images or "
               "normalised pixels")
    stopped = (f" ({run.ending})" if run.best_epoch else
               f" (stopped after {run.epochs_done} of {run.config.epochs} epochs)" if run.stopped
               else "")
    st.success(f"**{run.name}{stopped}: test accuracy {run.test_accuracy:.2%}**, {verdict}. "
               f"Trained in {run.seconds:.0f} s.", icon=":material/check_circle:")
    if session.answered_earlier(run):
        st.info("**Trained earlier with exactly these settings and seed**: here is its result. "
                "Train with a new seed to see how much runs differ.", icon=":material/history:")
        st.button("Train with a new seed", icon=":material/casino:", on_click=train,
                  args=(run.config.with_changes(seed=secrets.randbelow(SEEDS)),))
    if line := classroom.standing(run.test_accuracy):
        st.info(line, icon=":material/leaderboard:")
    page_link(PREDICTIONS, "See its predictions", ":material/target:")
    take_home_buttons(run)


def train(config) -> None:
    """Train's click: queued before the page reruns, so that one run already shows it under way."""
    if config != session.config():
        apply(config)  # the knobs show what trains (a new seed, say)
    if problem := session.start({"": config}):
        st.session_state[REFUSED] = problem


st.header("Train")
with notes():
    for error in session.errors():
        st.error(f"Training failed: {error}")
    for stop in session.stops():
        st.warning(stop, icon=":material/timer:")
    if lost := session.never_started():
        st.warning(lost, icon=":material/restart_alt:")
    if problem := st.session_state.pop(REFUSED, None):
        st.warning(problem)
    if session.jobs():
        st.caption("You can change the knobs meanwhile: they apply to your next run.")


@st.fragment
def train_panel(config) -> None:
    """Train and the last result. A click reruns only this part, which shows the training under
    way at once (the browser took ≈ 0.5 s to redraw the whole page), then the whole page reruns
    to follow it. ▶ Train is drawn where its training's Cancel and Stop are (the first row,
    `button_key(0)`): the same button, so a keyboard's focus stays on it as it changes."""
    if session.jobs():
        under_way(session.jobs())
        st.rerun()
    estimate, button = training_row()
    with estimate:
        time_to_train(config)
    button.button("▶ Train", key=button_key(0), type="primary",
                  help="Starts training with the settings above.", on_click=train, args=(config,))
    if problem := st.session_state.pop(REFUSED, None):  # its click reran only this part
        st.warning(problem)
    if session.runs():
        show_result(session.runs()[-1])
    else:
        st.caption("Press Train: the chart grows after every epoch. With the lesson's settings "
                   "expect about 88 % test accuracy after 10 epochs.")
        curves({}, config.held_out_name, config.epochs)  # drawn now, the chart appears at once later


# The panel keeps its place on the page (every note above it is in a `notes()` block): the
# browser keeps its elements, ▶ Train becoming Cancel and Stop and back, and the focus on it.
with st.container(key="training"):
    if session.jobs():
        follow()
    else:
        train_panel(config)

"""Compare runs: every run of this session side by side, and the lesson's exercises in one click."""

import pandas as pd
import streamlit as st

from fmnist_core.lesson import BASELINE, EXERCISES, exercise_config
from fmnist_core.run_list import MODELS_KEPT
from ui import session
from ui.live import curves
from ui.page import TRAIN, frame, switch_to
from ui.resources import dataset
from ui.settings import apply
from ui.take_home import take_home_buttons

frame(__file__)

def _model_bytes(run) -> bytes:
    from fmnist_core.training.model import model_file_bytes  # imports TensorFlow: only on a click

    return model_file_bytes(session.model_of(run))


dataset()
runs = session.runs()

st.header("The lesson's exercises")
st.markdown("Each button trains the lesson's model with one change. Run the baseline too, then "
            "compare: does the change help on the **test** images?")
quick = st.toggle("Quick version: 10,000 training images", True,
                  help="About six times faster; accuracy a little lower. Off: all 60,000, "
                  "exactly the lesson.")
busy = bool(session.jobs())
buttons = st.container(horizontal=True, gap="small")  # one row when it fits, else it wraps
for name in EXERCISES:
    if buttons.button(name, disabled=busy, type="primary" if name == BASELINE else "secondary"):
        config = exercise_config(name, session.config().with_changes(train_size=10_000)
                                 if quick else None)
        apply(config)
        if problem := session.start({name: config}):
            st.warning(problem)
        else:
            switch_to(TRAIN)
if busy:
    st.caption("A training is running: follow it on Build & train.")

st.header("Your runs")
if not runs:
    st.info("No runs yet: train one on Build & train, or press an exercise above.")
    st.stop()
table = pd.DataFrame([run.summary() for run in runs])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"test accuracy": st.column_config.NumberColumn(format="percent")})
best = runs.best()
st.markdown(f"Best so far: **{best.name}** — {best.summary()['hidden layers']} neurons, "
            f"{best.epochs_done} epochs, test accuracy **{best.test_accuracy:.2%}**.")

names = [run.name for run in runs]
shown = st.multiselect("Curves to overlay", names, default=names[-4:])
by_name = {run.name: run for run in runs}
held_out = {by_name[name].config.held_out_name for name in shown}
curves({name: by_name[name].history for name in shown}, " / ".join(sorted(held_out)) or "test",
       best_epochs={name: by_name[name].best_epoch for name in shown if by_name[name].best_epoch})

downloads = st.columns(2)
downloads[0].download_button("Table as CSV", table.to_csv(index=False), "runs.csv",
                             "text/csv", icon=":material/download:")
with_model = session.runs_with_model()
if with_model:
    pick = session.choose_run("Model to download", with_model, where=downloads[1])
    downloads[1].download_button(
        f"{pick.name} as .keras", lambda: _model_bytes(pick), f"{pick.name}.keras",
        "application/octet-stream", icon=":material/download:",
        help="Open it with keras.models.load_model(); it takes raw 0–255 pixels.")
st.caption(f"Models are kept for your last {MODELS_KEPT} runs; older runs keep their "
           "figures.")

st.header("Take a run home")
home = session.choose_run("Run", runs, key="take_home_run",
                          help="Its network and training as plain Keras code, for your own notebook.")
take_home_buttons(home)

with st.expander("Delete my runs"):
    st.markdown(f"Deletes all {len(runs)} of your runs, with their charts and models, from this "
                "app's database at once. Nobody can bring them back.")
    if st.checkbox("Yes, delete all my runs", key="confirm_delete"):
        if st.button("Delete my runs", type="primary", icon=":material/delete:"):
            session.delete_runs()
            st.rerun()

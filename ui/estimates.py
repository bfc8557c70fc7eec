"""Before Train: how long the training should take on this server, and what fits its time limit."""

import streamlit as st

from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson.words import duration
from fmnist_core.training.estimate import estimated_seconds, nearest_that_fits
from ui import session
from ui.resources import training_queue
from ui.settings import apply


def time_to_train(config: ExperimentConfig) -> None:
    """The estimate, from the server's own measured speed; above the time limit for one training,
    says so and offers the nearest setting that fits (none that changes a locked knob)."""
    queue = training_queue()
    seconds = estimated_seconds(config, queue.pace.calibration)
    limit = queue.max_seconds
    if limit is None or seconds <= limit:
        st.caption(f"Estimated training time on this server: {duration(seconds)}.")
        return
    st.warning(f"This training would take {duration(seconds)}, and one training may take at most "
               f"{duration(limit).removeprefix('about ')} here, so the whole class gets its turn: "
               "it would stop then, keeping the epochs done.", icon=":material/timer:")
    nearest = nearest_that_fits(config, queue.pace.calibration, limit)
    locked = {name for name, control in session.controls().items() if control == "lock"}
    if nearest and not locked & set(config.differences(nearest)):
        st.button(f"Use {config.changes_in_words(nearest)}", icon=":material/timer:",
                  help=f"The nearest settings that train within the limit: "
                       f"{duration(estimated_seconds(nearest, queue.pace.calibration))}.",
                  on_click=apply, args=(nearest,))

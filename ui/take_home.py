"""A run as code to take home: its notebook and its script, two download buttons."""

import re

import streamlit as st

from fmnist_core.lesson.notebook import as_notebook, as_script
from fmnist_core.run import TrainingRun


def take_home_buttons(run: TrainingRun, where=st) -> None:
    """Download buttons for `run` as a Jupyter notebook and as a Python script, in `where`."""
    header = dict(title=f"{run.name} from Fashion-MNIST Classroom", measured=run.test_accuracy)
    file = re.sub(r"[^\w-]+", "-", run.name).strip("-").lower() or "run"
    notebook, script = where.columns(2)
    notebook.download_button("Download as notebook", lambda: as_notebook(run.config, **header),
                             f"{file}.ipynb", "application/x-ipynb+json", icon=":material/description:",
                             key=f"notebook_{run.run_id}",
                             help="Plain Keras in the lesson's own style: opens in Colab or Jupyter "
                             "and trains this network.")
    script.download_button("Download as a Python script", lambda: as_script(run.config, **header),
                           f"{file}.py", "text/x-python", icon=":material/code:",
                           key=f"script_{run.run_id}")

"""What every page starts with: the wide layout and its title."""

import streamlit as st

PAGES = {
    "home": "app.py",
    "explore": "pages/1_Explore_the_data.py",
    "train": "pages/2_Build_and_train.py",
    "predictions": "pages/3_Predictions.py",
    "compare": "pages/4_Compare_runs.py",
}


def setup(title: str) -> None:
    st.set_page_config(page_title=f"{title} · Fashion-MNIST Classroom", page_icon="👕",
                       layout="wide")
    st.title(title)

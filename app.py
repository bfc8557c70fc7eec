"""Fashion-MNIST Classroom: `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="Fashion-MNIST Classroom", page_icon="👕", layout="wide")

PAGES = {
    "Lesson": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/explore.py", title="Explore the data", icon="🔍"),
        st.Page("pages/train.py", title="Build & train", icon="🏋️"),
        st.Page("pages/predictions.py", title="Predictions", icon="🎯"),
        st.Page("pages/compare.py", title="Compare runs", icon="📊"),
    ],
}

st.navigation(PAGES).run()

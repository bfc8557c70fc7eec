"""Predictions: the test images the model gets right and wrong, and what it confuses."""

import numpy as np
import streamlit as st

from fmnist_core import figures
from ui import session
from ui.charts import chart
from ui.page import TRAIN, frame, page_link
from ui.resources import dataset

frame(__file__)

data = dataset()
names = data.class_names
runs = session.runs().with_predictions()
if not runs:
    st.info("No trained model yet. Train one first — with the lesson's settings it takes "
            "under a minute.", icon=":material/model_training:")
    page_link(TRAIN, "Go to Build & train", ":material/arrow_forward:")
    st.stop()

run = session.choose_run("Model", runs, lambda r: f"{r.name} — test accuracy {r.test_accuracy:.2%}")
result = session.evaluation(run, data.test_labels)
images, labels = data.test_images, data.test_labels

st.header("The first test image")
first = 0
image, bars = st.columns([1, 2])
chart(figures.image_heatmap(images[first], "test image 0"), where=image, key="first_image")
predicted, confidence = result.predicted[first], result.confidence[first]
verdict = "✓ right" if predicted == labels[first] else "✗ wrong"
bars.markdown(f"The model says **{names[predicted]}** with **{confidence:.0%}** confidence; "
              f"the label is **{names[labels[first]]}** — {verdict}. "
              "(The lesson's question 5: `np.argmax(predictions[0])` against `test_labels[0]`.)")
chart(figures.probability_bars(result.probabilities[first], labels[first], names), where=bars,
      key="first_bars")

st.header("A grid of test predictions")
controls = st.columns([2, 2, 1])
show = controls[0].segmented_control("Show", ["all", "mistakes only", "one class"],
                                     default="all")
shown_class = controls[1].selectbox("Class", range(10), format_func=names.__getitem__,
                                    disabled=show != "one class")
count = controls[2].slider("Images", 5, 50, 20, 5)
pool = {"mistakes only": result.mistakes(),
        "one class": np.flatnonzero(labels == shown_class)}.get(show, np.arange(len(labels)))
chosen = pool[:count]
right = int((result.predicted[chosen] == labels[chosen]).sum())
st.markdown(f"Showing {len(chosen)} images: **{right} right, {len(chosen) - right} wrong**.")
if len(chosen):
    chart(figures.predictions_grid(images[chosen], labels[chosen], result.predicted[chosen],
                                   result.confidence[chosen], names, columns=5, numbers=chosen),
          words="Each caption: ✓ or ✗, the predicted class, the model's confidence, and (in "
          "brackets) the true class; the frame is green when right, red when wrong.",
          table_label="The grid's captions, as a table")

st.header("One image, up close")
pick = st.number_input("Test image number", 0, len(labels) - 1,
                       int(chosen[0]) if len(chosen) else 0)
left, right_col = st.columns([1, 2])
chart(figures.image_heatmap(images[pick], f"test image {pick}: {names[labels[pick]]}"),
      where=left, key="picked_image")
chart(figures.probability_bars(result.probabilities[pick], labels[pick], names), where=right_col,
      key="picked_bars")

st.header("What it confuses")
matrix_col, table_col = st.columns([3, 2])
chart(figures.confusion_matrix_figure(result.confusion_matrix(), names), where=matrix_col)
per_class = result.per_class_accuracy()
table_col.dataframe({"class": names, "accuracy": per_class}, hide_index=True,
                    column_config={"accuracy": st.column_config.ProgressColumn(
                        format="percent", min_value=0, max_value=1)})
pairs = [f"**{names[t]}** taken for **{names[p]}** ({n} times)"
         for t, p, n in result.most_confused(3)]
table_col.markdown("Most confused: " + "; ".join(pairs) + ".")

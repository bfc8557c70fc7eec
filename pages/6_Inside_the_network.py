"""Inside the network: a map of what the whole network learned, what its first layer learned, and the
path from pixels to a prediction, down to one neuron's arithmetic."""

import numpy as np
import streamlit as st

from fmnist_core import figures
from fmnist_core.evaluation import all_alike, conv_filters, first_layer_weight_images, softmax
from ui import inside, session
from ui.charts import chart
from ui.page import TRAIN, frame, page_link
from ui.point_map import load_point_map
from ui.resources import dataset

frame(__file__)
load_point_map()

WEIGHT_IMAGES = 32

data = dataset()
names = data.class_names
with_model = session.runs_with_model()
if not with_model:
    st.info("No trained model yet: train one on Build & train (a short run is enough).",
            icon=":material/model_training:")
    page_link(TRAIN, "Go to Build & train", ":material/arrow_forward:")
    st.stop()

run = session.choose_run("Model", with_model, lambda r: f"{r.name} — "
                         f"{r.config.architecture.upper()}, test accuracy {r.test_accuracy:.2%}")
model, cnn = session.model_of(run), run.config.architecture == "cnn"
if model is None:
    st.warning("This run's model cannot be loaded from the database right now; try again soon.")
    st.stop()

inside.draw_map(run, model, data)  # first: the whole network at a glance, drawn before any Plotly chart

if cnn:
    st.header("What the first convolution learned")
    st.markdown("Each 3×3 filter slides over the image and lights up where the pixels match "
                "it: blue weights want light pixels, red weights want dark ones. Edges and "
                "corners appear after a few epochs.")
    filters = conv_filters(model)
    chart(figures.image_grid(filters, [f"filter {n + 1}" for n in range(len(filters))],
                             columns=8, colorscale=figures.WEIGHT_COLORSCALE, zmid=0,
                             show_scale=True),
          words=f"The {len(filters)} filters of the first convolution, each 3×3 weights: blue "
          "squares are positive weights, red ones negative.")
else:
    st.header("What the first hidden layer learned")
    st.markdown("Each neuron of the first hidden layer weighs all 784 pixels. Drawn as a 28×28 "
                "picture, its weights show what it looks for: **blue** pixels push it up when "
                "they are light, **red** pixels push it down. Some neurons look like a trouser "
                "or a shoe outline; many look like noise — it is their combination that counts.")
    every_neuron = first_layer_weight_images(model)
    if all_alike(every_neuron):
        st.warning(f"**All {len(every_neuron)} neurons have exactly the same weights.** This run "
                   "started from all-zero weights: every neuron computed the same and got the same "
                   "update, so they stayed copies of one neuron. Learn (question 6, starting "
                   "weights) says why random starting weights are needed.",
                   icon=":material/content_copy:")
    weights = every_neuron[:WEIGHT_IMAGES]
    limit = float(np.abs(weights).max()) or 1.0  # all zeros: any scale draws them white
    chart(figures.image_grid(weights, [f"neuron {n + 1}" for n in range(len(weights))],
                             columns=8, colorscale=figures.WEIGHT_COLORSCALE, zmid=0,
                             zmin=-limit, zmax=limit, show_scale=True),
          words=f"The first {len(weights)} of {run.config.hidden_layers[0]} neurons, each one's "
          "784 weights as a 28×28 picture: blue squares are positive weights, red ones negative.")

st.header("From pixels to a prediction")
index = inside.image_number(len(data.test_labels))
image, label = data.test_images[index], data.test_labels[index]
title = f"test image {index}: {names[label]}"
outputs = inside.layer_outputs(run, model, index, image)
left, right = st.columns([1, 2])
chart(figures.image_heatmap(image, title), where=left, key="inside_image")
with right:
    for name, values in outputs.items():
        if name.startswith("hidden_"):
            active = int((values > 0).sum())
            chart(figures.activation_bars(values, f"{name}: {active} of {len(values)} neurons fire"),
                  key=f"act_{name}")
scores = outputs["output"]
probabilities = softmax(scores)
st.markdown("The output layer gives one **score** (logit) per class; **softmax** turns the scores "
            "into probabilities that add up to 1.")
logits_col, probabilities_col = st.columns(2)
chart(figures.activation_bars(scores, "scores (logits)", names), where=logits_col,
      key="inside_logits")
chart(figures.probability_bars(probabilities, label, names), where=probabilities_col,
      key="inside_probabilities")
if cnn:
    st.header("Feature maps")
    st.markdown("What each filter of the first convolution sees in this image: light where "
                "its pattern is present.")
    maps = np.moveaxis(outputs["conv_1"], -1, 0)
    chart(figures.image_grid(maps, [f"filter {n + 1}" for n in range(len(maps))], columns=8,
                             colorscale="gray", zmin=0),
          words=f"What each of the {len(maps)} filters sees in test image {index}: lighter squares "
          "are stronger responses.")
    inside.draw_filter(model, image, title, outputs)
else:
    inside.draw_neuron(model, image, title, outputs)
inside.draw_output(model, outputs, names)

"""Explore the data: the classes, sample images, one image's pixels, normalisation, mean images."""

import streamlit as st

from fmnist_core import figures
from fmnist_core.data import class_table, sample_indices
from ui.charts import chart, tiles
from ui.page import frame
from ui.resources import dataset, training_set_summary
from ui.text import markdown_table

frame(__file__)

data = dataset()
st.caption(f"{len(data.train_labels) + len(data.test_labels):,} Fashion-MNIST images, read from "
           f"`{data.source}`.")
names = data.class_names

st.markdown(
    f"**Fashion-MNIST** (Zalando Research, 2017) holds **{len(data.train_labels):,} training** "
    f"and **{len(data.test_labels):,} test** images of clothing. Each is "
    f"{data.train_images.shape[1]}×{data.train_images.shape[2]} grey pixels with a value from "
    "0 (black) to 255 (white), and a label from 0 to 9 that says which of 10 classes it shows. "
    "The network learns from the training images; the test images, never seen in training, "
    "tell how well it really does."
)

st.header("The 10 classes")
st.markdown(markdown_table(class_table(data)))

st.header("Sample images")
controls = st.columns([2, 1, 1, 1])
chosen = controls[0].multiselect("Classes", range(10), format_func=names.__getitem__,
                                 placeholder="All classes")
split = controls[1].radio("Images from", ("train", "test"), horizontal=True)
per_class = controls[2].slider("Per class", 1, 10, 3 if not chosen else 6)
if controls[3].button("Shuffle", icon=":material/shuffle:"):
    st.session_state["explore_seed"] = st.session_state.get("explore_seed", 0) + 1
images, labels = ((data.train_images, data.train_labels) if split == "train"
                  else (data.test_images, data.test_labels))
indices = sample_indices(labels, per_class, seed=st.session_state.get("explore_seed", 0),
                         classes=chosen or None)
tiles(figures.image_tiles(images[indices], [names[labels[i]] for i in indices]))

st.header("One image, pixel by pixel")
left, right = st.columns([1, 2])
index = left.number_input(f"Image number in the {split} set", 0, len(labels) - 1, 0)
show_values = left.toggle("Show the values", False, help="Writes each pixel's value in its square.")
left.markdown(f"Label **{labels[index]}** — **{names[labels[index]]}**")
left.caption("Hover over a square to read its pixel value. This is the tutorial's "
             "`plt.imshow(train_images[0]); plt.colorbar()`.")

st.header("Normalisation: from 0–255 to 0–1")
st.markdown(
    "Before training, the lesson divides every pixel by 255. The picture does not change — only "
    "the numbers do. Small inputs around 0–1 keep the first layer's sums small, so the "
    "gradients are well scaled and training is faster and steadier. Try training with "
    "normalisation off (Build & train → Advanced) to see the difference."
)
before, after = st.columns(2)
stats, class_means = training_set_summary(data)
st.caption(f"All training pixels: mean {stats['mean']:.1f}, standard deviation "
           f"{stats['std']:.1f} on 0–255 — that is {stats['mean'] / 255:.3f} and "
           f"{stats['std'] / 255:.3f} after dividing by 255.")

st.header("The average image of each class")
st.caption("Every training image of a class, averaged pixel by pixel: the 'typical' shape the "
           "network can latch on to.")
tiles(figures.image_tiles(class_means, names))

# The charts last, in the places kept for them: the browser draws the rest of the page first, then
# loads Plotly's code to draw them (4.7 MB, about a second of the browser's time here, measured).
chart(figures.image_heatmap(images[index], f"{split} image {index}: {names[labels[index]]}",
                            show_values=show_values), where=right)
chart(figures.pixel_histogram(images[index], normalised=False), where=before)
chart(figures.pixel_histogram(images[index] / 255, normalised=True), where=after)

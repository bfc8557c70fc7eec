"""Your own picture: a photo made into a Fashion-MNIST image step by step, and what the model says."""

import numpy as np
import streamlit as st

from fmnist_core import figures
from fmnist_core.data import picture
from fmnist_core.data.upload import MAX_UPLOAD_MB, UPLOAD_TYPES, PictureError
from fmnist_core.evaluation import softmax
from ui import session
from ui.charts import chart
from ui.page import TRAIN, frame, page_link
from ui.resources import dataset

frame(__file__)

SHOWN_WIDTH = picture.DISPLAY_SIDE // 2  # half size: crisp on HiDPI screens, 5 px a pixel on others
NEAREST = 8
DRAWING_STROKE = 24  # pixels on the 280-pixel square: about 2.4 Fashion-MNIST pixels
# Pictures whose steps the server keeps, for every tab together: each holds at most 6.5 MB
# (four float32 steps of at most 640×640), so at most about 100 MB in all.
PICTURES_KEPT = 16


@st.cache_data(max_entries=PICTURES_KEPT, show_spinner=False)
def picture_steps(raw: bytes) -> picture.Steps | PictureError:
    """The picture's steps, or why it cannot be used: each picture decoded once, not on every rerun.

    Kept by a hash of the bytes, so a photo, a drawing or a test image is decoded once however
    often the page reruns. A refusal is returned rather than raised: cache_data keeps no exception.
    """
    try:
        return picture.preprocess(raw)
    except PictureError as error:
        return error


data = dataset()
names = data.class_names

st.markdown(
    "Does the model recognise **your** clothes? Upload a photo of one piece of clothing — on a "
    "plain background, much lighter or darker than the clothing — or draw one. The page turns it "
    "into the kind of image the model learned from: 28×28 grey pixels, a light object on a black "
    "background, just as Fashion-MNIST's product photos were made. Every step is shown.")

PHOTO, DRAWING, TEST_IMAGE = "Upload a photo", "Draw one", "Use a test image"
source = st.radio("Your picture", [PHOTO, DRAWING, TEST_IMAGE], horizontal=True,
                  label_visibility="collapsed", key="picture_source")
raw, known, picture_id = None, None, None
if source == PHOTO:
    upload = st.file_uploader(
        "A picture of one piece of clothing", type=list(UPLOAD_TYPES),
        max_upload_size=MAX_UPLOAD_MB,
        help=f"PNG, JPEG, WebP, BMP or a still GIF, up to {MAX_UPLOAD_MB} MB. It is used "
             "on this page only, and never saved.")
    if upload is not None:
        raw, picture_id = upload.getvalue(), upload.file_id
elif source == DRAWING:
    from streamlit_drawable_canvas import st_canvas  # a component: loaded only when drawing

    drawing = st_canvas(stroke_width=DRAWING_STROKE, stroke_color="#ffffff",
                        background_color="#000000", width=picture.DISPLAY_SIDE,
                        height=picture.DISPLAY_SIDE, return_image_data=True, key="drawing")
    st.caption("Draw one piece of clothing, filling the square: light on black, as Fashion-MNIST "
               "shows it. The toolbar above the square undoes a stroke or starts again.")
    if drawing.json_data and drawing.json_data.get("objects"):
        raw = drawing.image_bytes
        picture_id = f"drawing_{len(drawing.json_data['objects'])}"
else:
    example = st.number_input("Test image number", 0, len(data.test_images) - 1, 0,
                              help="A Fashion-MNIST test image made into a 'photo': dark on white, "
                                   "4 times larger, with a white margin. The steps below undo all "
                                   "that.")
    raw, picture_id = picture.photo_of(data.test_images[example]), f"test_{example}"
    known = int(data.test_labels[example])

steps = None
if raw is None:
    st.info("Draw a piece of clothing to begin." if source == DRAWING
            else "Upload a picture to begin.", icon=":material/add_photo_alternate:")
else:
    steps = picture_steps(raw)
    if isinstance(steps, PictureError):
        st.warning(str(steps), icon=":material/broken_image:")
        steps = None

if steps is not None:
    st.header("From your picture to 28×28 pixels")
    with st.container(horizontal=True, gap="small"):  # one row when it fits, else it wraps
        for caption, image in steps.gallery():
            st.image(image, caption=caption, width=SHOWN_WIDTH, alt=f"Your picture, step {caption}")
    width, height = steps.source_size
    background = "light" if steps.background >= 128 else "dark"
    polarity = ("darker than that, so every pixel was negated (255 − value)" if steps.inverted
                else "lighter than that, so it was kept as it is")
    st.markdown(
        f"Your {steps.format} picture is {width:,}×{height:,} pixels. Its border is "
        f"{background} (grey level {steps.background:.0f} of 255) and the object is {polarity}; "
        "then the background level was taken down to black. The crop keeps just the object, "
        "padding makes it square without stretching it, and the resize makes its longest side "
        "28 pixels — like every Fashion-MNIST image. The model is given the 0–255 pixels of "
        "step 5; the lesson's `/ 255.0` gives step 6.")
    st.caption("Shown as the numbers are: 0 is black, 255 white. (Other pages draw Fashion-MNIST "
               "the tutorial's way, dark on white.)")

st.header("What the model says")
run = session.latest_with_model()
if run is None:
    st.info("No trained model yet. Train one first — a short run takes well under a minute — "
            "then come back and upload your picture again.", icon=":material/model_training:")
    page_link(TRAIN, "Go to Build & train", ":material/arrow_forward:")
elif steps is None:
    st.caption(f"{run.name} (test accuracy {run.test_accuracy:.2%}) will answer once there is a "
               "picture.")
else:
    from fmnist_core.training.model import logits  # TensorFlow: loaded already, since a model was trained

    probabilities = softmax(logits(session.model_of(run), steps.small[np.newaxis]))[0]
    predicted = int(probabilities.argmax())
    text, bars = st.columns([1, 2], gap="large")
    with text:
        # One answer per picture: a new picture starts without one (a test image with its label).
        answer = st.selectbox("What is it really?", range(len(names)), index=known,
                              format_func=names.__getitem__, placeholder="Not saying",
                              key=f"answer_{picture_id}",
                              help="Say what it is, and the chart marks the model right or wrong.")
        verdict = "" if answer is None else (" — ✓ right." if answer == predicted
                                             else f" — ✗ wrong: it is a **{names[answer]}**.")
        st.markdown(f"**{run.name}** (test accuracy {run.test_accuracy:.2%}) says "
                    f"**{names[predicted]}** with **{probabilities[predicted]:.0%}** "
                    f"confidence{verdict}")
        st.caption("A model is only sure about what looks like its training images. Photos with "
                   "shadows, creases, folds or busy backgrounds look different from Fashion-MNIST's "
                   "flat product shots — compare yours with the training images below.")
    chart(figures.probability_bars(probabilities, answer, names), where=bars, key="bars")

    st.header("The nearest training images")
    st.markdown(f"Yours beside the {NEAREST} training images of a class closest to it, nearest "
                "first: pixel by pixel, the smallest sum of squared differences of the 784 pixels. "
                "Under each, its number in the training set.")
    classes = {predicted: "the model's answer"}
    if answer is not None and answer != predicted:
        classes[answer] = "your answer"
    for label, whose in classes.items():
        found = picture.nearest_examples(steps.small, data.train_images, data.train_labels, label,
                                         NEAREST)
        st.markdown(f"**{names[label]}** ({whose})")
        chart(figures.image_grid(
            np.concatenate([steps.small[np.newaxis], data.train_images[found]]),
            ["yours", *(f"#{index:,}" for index in found)], columns=(NEAREST + 2) // 2,
            colorscale="gray", zmin=0, zmax=255), key=f"nearest_{label}")

"""Inside the network's views of one run, as the page draws them: the map of what the network learned
(worked out once per run for the whole server, and clickable), the test image followed from pixels to
a prediction, and one neuron's (or one filter's) arithmetic, then the output layer's.

The map is kept in `_run_map`, a server-wide cache of the last MAP_RUNS_KEPT runs drawn: the two
`ActivationMap`s (2 × 2,000 points, ≈ 0.2 MB) and what the map component draws (≈ 1 MB of Python
objects, half of it the points' images, packed), so a rerun or another tab draws it again without
running the network (at most ≈ 20 MB for all 16).
"""

from dataclasses import dataclass

import streamlit as st

from fmnist_core import figures
from fmnist_core.data import FashionMNIST
from fmnist_core.figures.map import PointMaps
from fmnist_core.figures.text import percent
from fmnist_core.inside import (
    MAP_PER_CLASS,
    ActivationMap,
    filter_arithmetic,
    neuron_arithmetic,
    output_arithmetic,
)
from fmnist_core.lesson.words import count
from fmnist_core.run import TrainingRun
from ui import session
from ui.charts import chart
from ui.point_map import point_map

IMAGE = "inside_image_number"  # the test image followed from pixels to a prediction
MAP, OUTPUTS = "inside_map", "inside_layer_outputs"  # the map's click; the image's layer outputs
NEURON, FILTER, ROW, COLUMN = "inside_neuron", "inside_filter", "inside_row", "inside_column"
MAP_RUNS_KEPT = 16  # ≈ 1 MB each
CLEARLY = 0.02  # the share of the spread between classes must grow by more to be called separating


@dataclass(frozen=True)
class RunMap:
    """A run's map before and after training, and what the map component draws."""

    before: ActivationMap
    after: ActivationMap
    figure: PointMaps


@st.cache_resource(max_entries=MAP_RUNS_KEPT, show_spinner="Placing 2,000 test images on the map…")
def _run_map(run_id: str, _config, _model, _data: FashionMNIST) -> RunMap:
    from fmnist_core.inside.map import maps_before_and_after  # imports TensorFlow, loaded with the model

    before, after = maps_before_and_after(_config, _model, _data.test_images, _data.test_labels)
    return RunMap(before, after, figures.map_before_and_after(before, after, _data.class_names,
                                                             images=_data.test_images))


def _follow_the_clicked_image() -> None:
    """The map's click: its point's test image becomes the one followed below (before the number input
    is drawn, so it shows that number)."""
    chosen = st.session_state[MAP].get("chosen")
    if chosen is not None:
        st.session_state[IMAGE] = int(chosen)


def draw_map(run: TrainingRun, model, data: FashionMNIST) -> None:
    """The section "A map of what the network learned": the run's map before and after training."""
    run_map = _run_map(run.run_id, run.config, model, data)
    before, after = run_map.before.separation(), run_map.after.separation()
    if after > before + CLEARLY:
        change = (f"after training (right) **the classes separate further**: {percent(after)} of "
                  f"the spread lies between them, against {percent(before)} before")
    else:
        change = (f"after training (right) the classes are no further apart ({percent(after)} of "
                  f"the spread between them, {percent(before)} before): this run has not yet "
                  "learned to keep them apart")
    layer = run_map.after
    st.header("A map of what the network learned")
    st.markdown(
        f"Each point is a test image — {count(len(layer.indices), 'image')}, {MAP_PER_CLASS} of "
        f"each class — placed by the {layer.features:,} values its last hidden layer ({layer.layer}) "
        "computes for it, flattened onto their two main directions (PCA): images the network sees alike "
        "land close together. Before training (left) the weights are random, yet a random layer already "
        f"keeps some of the pictures' likeness; {change}. Classes that still overlap are the ones the "
        "model mixes up; hollow markers are its wrong answers.")
    st.markdown("**Hover** over a point to see its image and the model's answer; **click** it to follow it "
                "from pixels to a prediction below. By keyboard: Tab to a map, move from point to point with "
                "the **arrow keys**, press **Enter**; or type an image's number in *Test image number*.")
    point_map(run_map.figure, key=MAP, chosen=st.session_state.get(IMAGE, 0),
              on_choose=_follow_the_clicked_image)


def _number_input(label: str, low: int, high: int, default: int, key: str, where=st) -> int:
    """A number input whose value, kept across reruns and runs (a run with fewer neurons, say), stays
    within `low`..`high`; its state is set before it is drawn, as the map's click sets it."""
    st.session_state[key] = min(max(int(st.session_state.get(key, default)), low), high)
    return int(where.number_input(label, low, high, key=key))


def image_number(images: int) -> int:
    """The number input of the test image followed below; a click on the map sets it."""
    return _number_input("Test image number", 0, images - 1, 0, IMAGE)


def layer_outputs(run: TrainingRun, model, index: int, image) -> dict:
    """Every layer's output for one test image, by `model` (a stored run's, loaded); the last one asked
    for is kept for reruns."""
    from fmnist_core.training.model import layer_outputs  # imports TensorFlow, loaded with the model

    return session.last_made(OUTPUTS, (run.run_id, index), lambda: layer_outputs(model, image))


def _number(value: float) -> str:
    return f"{value:.4g}".replace("-", "−")


def _steps(arithmetic, shown: float, where: str) -> None:
    """The arithmetic's steps as metrics in a row, then the model's own value beside it."""
    steps = [(f"Sum of the {arithmetic.inputs.size} products", arithmetic.total), ("Bias", arithmetic.bias),
             ("Sum + bias", arithmetic.pre_activation)]
    if arithmetic.normalised is not None:
        steps.append(("After batch normalisation", arithmetic.normalised))
    steps.append((f"After {arithmetic.activation}: the value", arithmetic.value))
    for column, (label, value) in zip(st.columns(len(steps)), steps):
        column.metric(label, _number(value))
    st.markdown(f"The model's own output ({arithmetic.value_layer}) {where}: **{_number(shown)}** — the "
                "same number.")


def draw_neuron(model, image, title: str, outputs: dict) -> None:
    """A dense network's first-layer neuron on the chosen image: pixels × weights, summed, plus the
    bias, then the activation."""
    neurons, most = len(outputs["hidden_1"]), int(outputs["hidden_1"].argmax()) + 1
    st.header("One neuron's arithmetic")
    st.markdown(
        f"Every bar of hidden_1 above is one neuron's sum. Its {image.size} weights multiply the "
        f"{image.size} pixels of {title} one by one (pixels ÷ 255 when the run normalises them); the "
        "products are added up, the bias is added, and the activation (ReLU: keep the sum if positive, else "
        "0) gives the neuron's value. Blue products push the neuron up, red ones down. For this image, "
        f"neuron {most} of hidden_1 has the highest value.")
    neuron = _number_input(f"Neuron of hidden_1 (1–{neurons})", 1, neurons, most, NEURON)
    arithmetic = neuron_arithmetic(model, image, neuron - 1)
    chart(figures.neuron_pictures(arithmetic, title), key="inside_neuron_pictures")
    _steps(arithmetic, float(outputs[arithmetic.value_layer][neuron - 1]), f"for neuron {neuron}")


def draw_filter(model, image, title: str, outputs: dict) -> None:
    """A convnet's first-convolution filter at one place of the chosen image."""
    kernel = model.get_layer("conv_1").get_weights()[0]  # (3, 3, 1, filters)
    size, filters = kernel.shape[0], kernel.shape[-1]
    last = image.shape[0] - size
    st.header("One filter's arithmetic")
    st.markdown(
        f"Every square of a feature map above is one filter's sum at one place: its {size * size} weights "
        f"multiply the {size}×{size} pixels there, the products are added up, the bias is added, and "
        "the activation gives the square's value. Choose a filter and a place (the patch's top-left "
        "pixel, counted from 0).")
    which, row_column, column_column = st.columns(3)
    unit = _number_input(f"Filter (1–{filters})", 1, filters, 1, FILTER, which) - 1
    row = _number_input(f"Row (0–{last})", 0, last, last // 2, ROW, row_column)
    column = _number_input(f"Column (0–{last})", 0, last, last // 2, COLUMN, column_column)
    arithmetic = filter_arithmetic(model, image, row, column, unit)
    chart(figures.filter_pictures(arithmetic, image, title), key="inside_filter_pictures")
    shown = float(outputs[arithmetic.value_layer][row, column, unit])
    _steps(arithmetic, shown, f"for filter {unit + 1} at row {row}, column {column}")


def draw_output(model, outputs: dict, class_names) -> None:
    """The output layer's 10 scores as sums of the last hidden layer's values × weights, plus biases."""
    from fmnist_core.inside.map import last_hidden_layer  # imports TensorFlow, loaded with the model

    layer = last_hidden_layer(model)
    arithmetic = output_arithmetic(model, outputs[layer])
    st.subheader("From the hidden values to the scores")
    st.markdown(f"The output layer does the same for each class: the {len(arithmetic.hidden)} values of "
                f"{layer} × that class's {len(arithmetic.hidden)} weights, summed, plus its bias, give its "
                "score; softmax turns the 10 scores into the probabilities above.")
    chart(figures.output_sums(arithmetic, class_names), key="inside_output_sums")

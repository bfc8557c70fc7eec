"""Inside the network's map and arithmetic, through Streamlit's AppTest: the map of a dense and of a
convnet run, and of a run whose model is loaded from the store; the test image chosen by number, a
neuron's (and a filter's) value equal to the model's own, the map worked out once per run; and the
images its hover labels show."""

import base64
import dataclasses
import json
import re
import zlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASS_NAMES
from fmnist_core.figures.map import LEVELS
from tests.test_app import (
    APP,
    TIMEOUT,
    assert_renders,
    chart_specs,
    metric,
    open_page,
    plotly_array,
    seat_with,
)
from ui import inside
from ui.session import SEAT
from ui.text import plain

INSIDE = "pages/6_Inside_the_network.py"
CNN = ExperimentConfig(architecture="cnn", train_size=2000, epochs=1)
MAP_JSON_BYTES = 1_000_000  # the map's data as the browser receives it (0.62 MB measured: see the README)


@pytest.fixture(scope="module")
def cnn_run(real_data):
    from fmnist_core.training import train

    run = train(CNN, real_data)
    run.name = "Run 1"
    return run


def model_outputs(model, image) -> dict:
    from fmnist_core.training.model import layer_outputs

    return layer_outputs(model, image)


def shown_number(text: str) -> float:
    return float(text.replace("−", "-"))


def headers(at) -> list[str]:
    return [header.value for header in at.header]


def the_map(at) -> tuple[dict, int]:
    """The data of the map component, as the browser receives it, and the bytes of its JSON (the
    component is mounted twice: empty in the sidebar, to load its code early, and with the map)."""
    mounted = [element.proto for element in at.get("bidi_component")
               if element.proto.component_name == "fmnist_point_map"]
    assert sorted(bool(proto.json) for proto in mounted) == [False, True]
    the_map = next(proto.json for proto in mounted if proto.json)
    return json.loads(the_map), len(the_map.encode())


def own_value(at) -> float:
    """The model's own output as the page says it under the arithmetic."""
    said = next(m.value for m in at.markdown if m.value.startswith("The model's own output"))
    return shown_number(re.search(r"\*\*(.+?)\*\*", said).group(1))


def test_a_dense_run_shows_its_map_and_a_neurons_arithmetic(runs, real_data):
    run = runs[-1]
    at = open_page(INSIDE, runs=runs)
    assert_renders(at, INSIDE)
    shown = headers(at)
    assert shown.index("A map of what the network learned") < shown.index("From pixels to a prediction")
    assert shown.index("From pixels to a prediction") < shown.index("One neuron's arithmetic")
    data, size = the_map(at)
    assert len(data["numbers"]) == len(set(data["numbers"])) == 2000
    assert [CLASS_NAMES[label] for label in data["labels"]] == [
        CLASS_NAMES[label] for label in real_data.test_labels[data["numbers"]]]
    assert [c["name"] for c in data["classes"]] == list(CLASS_NAMES)
    for one in data["maps"]:  # before training, after training
        assert len(one["x"]) == len(one["y"]) == len(one["predicted"]) == 2000
    assert data["images"] and data["chosen"] == 0  # the image followed below, ringed on the map
    assert size < MAP_JSON_BYTES, size
    assert any("the classes separate further" in m.value for m in at.markdown)
    words = plain("2,000 test images (the same ones in both maps)")
    assert any(caption.value.startswith(words) for caption in at.caption)

    # The neuron's value, the model's own and its bar in hidden_1 are one number.
    neuron = at.number_input(key=inside.NEURON).value
    value = shown_number(metric(at, "After relu: the value"))
    bars = next(s for s in chart_specs(at) if s["layout"]["meta"]["name"].startswith("hidden_1:"))
    bar = float(plotly_array(bars["data"][0]["y"])[neuron - 1])
    model = model_outputs(run.model, real_data.test_images[0])["hidden_1"][neuron - 1]
    assert value == pytest.approx(model, rel=1e-3, abs=1e-4)
    assert own_value(at) == pytest.approx(bar, rel=1e-3, abs=1e-4) and bar == pytest.approx(model, abs=1e-6)
    names = [s["layout"]["meta"]["name"] for s in chart_specs(at)]
    assert "The output layer's scores, sum by sum" in names


def test_choosing_an_image_and_a_neuron_updates_the_sections(runs, real_data):
    run = runs[-1]
    at = open_page(INSIDE, runs=runs)
    at.number_input(key=inside.IMAGE).set_value(123).run()
    at.number_input(key=inside.NEURON).set_value(7).run()
    assert_renders(at, INSIDE)
    name = CLASS_NAMES[real_data.test_labels[123]]
    names = [s["layout"]["meta"]["name"] for s in chart_specs(at)]
    assert f"test image 123: {name}" in names
    assert f"How neuron 7 of hidden_1 computes its value for test image 123: {name}" in names
    outputs = model_outputs(run.model, real_data.test_images[123])
    assert own_value(at) == pytest.approx(outputs["hidden_1"][6], rel=1e-3, abs=1e-4)
    sums = next(s for s in chart_specs(at) if s["layout"]["meta"]["name"].startswith("The output layer's"))
    np.testing.assert_allclose(plotly_array(sums["data"][0]["y"]), outputs["output"], rtol=1e-4, atol=1e-5)


def test_a_convnet_run_shows_its_map_and_a_filters_arithmetic(cnn_run, real_data):
    at = open_page(INSIDE, runs=[cnn_run])
    assert_renders(at, INSIDE)
    assert {"A map of what the network learned", "One filter's arithmetic"} <= set(headers(at))
    data, _ = the_map(at)
    assert [len(one["x"]) for one in data["maps"]] == [2000, 2000]
    at.number_input(key=inside.FILTER).set_value(3).run()
    at.number_input(key=inside.ROW).set_value(5).run()
    at.number_input(key=inside.COLUMN).set_value(9).run()
    assert_renders(at, INSIDE)
    conv = model_outputs(cnn_run.model, real_data.test_images[0])["conv_1"][5, 9, 2]
    assert shown_number(metric(at, "After relu: the value")) == pytest.approx(conv, rel=1e-3, abs=1e-4)
    assert own_value(at) == pytest.approx(conv, rel=1e-3, abs=1e-4)
    assert any(s["layout"]["meta"]["name"].startswith("How filter 3 of conv_1 computes its value at row 5, "
                                                      "column 9") for s in chart_specs(at))


def test_a_run_whose_model_comes_from_the_store_shows_its_map_and_arithmetic(runs, real_data, monkeypatch):
    """After a restart, a run's model is in the store only: the page loads it (`session.model_of`) and
    follows the image through that model."""
    from fmnist_core.store.front import StoreFront
    from fmnist_core.training.model import weights_bytes
    from ui.resources import desks

    stored, weights = dataclasses.replace(runs[-1], model=None), weights_bytes(runs[-1].model)
    monkeypatch.setattr(StoreFront, "weights_of_run",
                        lambda self, seat, run_id: weights if run_id == stored.run_id else None)
    seat = seat_with([stored])
    desks().desk(seat).saved_models = {stored.run_id}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[SEAT] = seat
    at.run()
    at.switch_page(INSIDE).run()
    assert_renders(at, INSIDE)
    the_map(at)
    outputs = model_outputs(runs[-1].model, real_data.test_images[0])
    neuron = at.number_input(key=inside.NEURON).value
    assert own_value(at) == pytest.approx(outputs["hidden_1"][neuron - 1], rel=1e-3, abs=1e-4)


def test_the_map_is_worked_out_once_per_run_for_every_tab(runs, real_data, monkeypatch):
    import fmnist_core.inside.map

    made = []
    real = fmnist_core.inside.map.maps_before_and_after
    monkeypatch.setattr(fmnist_core.inside.map, "maps_before_and_after",
                        lambda *args: made.append(args[0]) or real(*args))
    inside._run_map.clear()
    first = open_page(INSIDE, runs=runs)
    first.number_input(key=inside.IMAGE).set_value(5).run()
    open_page(INSIDE, runs=runs)  # another tab
    assert made == [runs[-1].config]


# --- the images the hover labels show -----------------------------------------------------------


def test_the_map_carries_each_points_image_in_16_shades(runs, real_data):
    """The map's images, unpacked as the component does (base64, then zlib), are its points' test
    images, each pixel in one of LEVELS shades."""
    data, _ = the_map(open_page(INSIDE, runs=runs))
    assert data["levels"] == LEVELS
    shades = np.frombuffer(zlib.decompress(base64.b64decode(data["images"])), np.uint8)
    images = real_data.test_images[data["numbers"]]
    assert shades.shape == (images.size,) and shades.max() == LEVELS - 1
    expected = np.rint(images.astype(np.float64) * (LEVELS - 1) / 255).ravel()
    assert np.array_equal(shades, expected)
    assert np.array_equal(shades == 0, images.ravel() < 255 / (2 * (LEVELS - 1)))

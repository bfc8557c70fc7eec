"""The app as a whole, through Streamlit's AppTest: every page, with and without data and runs.

AppTest runs the pages in this process, so the shared dataset and the training queue are this
process's st.cache_resource entries; the no-data case clears them before and after.
"""

import base64
import json
import os
import re
import time

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import fmnist_core.data.dataset
import fmnist_core.data.download
import ui.classroom
from fmnist_core import figures
from fmnist_core.config import ExperimentConfig
from fmnist_core.data.errors import DATA_DIR_ENV
from fmnist_core.host.environment import DATABASE_URL_ENV
from fmnist_core.lesson import QUICK
from fmnist_core.run import RunState
from fmnist_core.run_list import RunList
from fmnist_core.store import RunStore, Seat
from fmnist_core.store.code_tries import FREE_MISSES
from tools.server import REPO
from ui.page import LESSON_PAGES
from ui.session import CONFIG, JOBS, RUNS, SEAT
from ui.text import plain

APP = REPO / "navigation.py"
HOME = "pages/0_Home.py"
# Every page the app has, new ones included: each must at least render.
PAGE_FILES = sorted(path.relative_to(REPO).as_posix() for path in (REPO / "pages").glob("*.py"))
DATA_PAGES = [page for page in PAGE_FILES if page != HOME]
EXPLORE, BUILD, PREDICTIONS, COMPARE = ("pages/1_Explore_the_data.py", "pages/2_Build_and_train.py",
                                        "pages/3_Predictions.py", "pages/4_Compare_runs.py")
TIMEOUT = 90  # seconds for one script run; the first one on a page may read the dataset
TRAINING_TIMEOUT = 180  # seconds for a short training through the UI, TensorFlow start included


def open_page(page: str, *, query: dict | None = None, runs: list | None = None) -> AppTest:
    """A fresh session that opens the home page, then goes to `page`, as a learner would."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    if runs is not None:
        at.session_state[SEAT] = seat_with(runs)
    at.run()
    if page != HOME:
        at.switch_page(page).run()
    return at


def seat_with(runs: list) -> Seat:
    """A new seat whose desk on this server holds `runs` (as if this seat had trained them)."""
    from ui.resources import desks  # the app's own, shared with the AppTest sessions

    seat = Seat.new()
    desks().desk(seat).runs = RunList(runs)
    return seat


def as_shown(markdown: str) -> str:
    """The text a page shows for `plain(text)`: its escapes read, its invisible breaks gone."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("\u200b", ""))


def assert_renders(at: AppTest, page: str) -> None:
    """No exception on the page, and exactly its title."""
    problems = [f"{error.value}\n{''.join(error.stack_trace)}" for error in at.exception]
    assert not problems, f"{page} raised:\n" + "\n".join(problems)
    assert [title.value for title in at.title] == [LESSON_PAGES[page].title]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def chart_specs(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as the JSON Streamlit sends to the browser."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def plotly_array(value) -> np.ndarray:
    """A data array from a figure's JSON: a plain list, or Plotly's base64-encoded typed array."""
    if not isinstance(value, dict):
        return np.asarray(value)
    array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    shape = value.get("shape")
    if isinstance(shape, str):
        shape = tuple(int(size) for size in shape.split(","))
    return array.reshape(shape) if shape else array


def per_class_accuracy(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    predicted = np.asarray(scores).argmax(axis=1)
    return np.array([(predicted[labels == label] == label).mean() for label in range(10)])


def predictions_grid(at: AppTest) -> dict:
    """The predictions grid: the one figure that frames its images (in green or red)."""
    grids = [spec for spec in chart_specs(at) if spec["layout"].get("shapes")]
    assert len(grids) == 1, f"expected one predictions grid, found {len(grids)}"
    return grids[0]


@pytest.fixture
def no_data(tmp_path, monkeypatch, closed_url):
    """No Fashion-MNIST anywhere, and the download refused at once (nothing listens there)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(empty))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # nor in the Keras cache
    # FMNIST_MIRRORS is read at import, and load_fashion_mnist took MIRRORS as its default.
    mirrors = (closed_url,)
    monkeypatch.setattr(fmnist_core.data.download, "MIRRORS", mirrors)
    monkeypatch.setattr(fmnist_core.data.dataset, "MIRRORS", mirrors, raising=False)
    monkeypatch.setitem(fmnist_core.data.load_fashion_mnist.__kwdefaults__, "mirrors", mirrors)
    st.cache_resource.clear()  # forget the dataset (and the trainer holding it)
    yield empty
    st.cache_resource.clear()  # and do not leave the cached error to the next test


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_with_data_and_no_model(real_data, page):
    at = open_page(page)
    assert_renders(at, page)
    assert not at.error
    if page == BUILD:
        assert metric(at, "Trainable parameters") == "101,770"
        assert button(at, "▶ Train")
    elif page == PREDICTIONS:
        assert "No trained model yet" in at.info[0].value
    elif page == COMPARE:
        assert "No runs yet" in at.info[0].value
    elif page == HOME:
        assert metric(at, "Runs trained") == "0"


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_with_trained_models(runs, page):
    at = open_page(page, runs=runs)
    assert_renders(at, page)
    assert not at.error
    if page == BUILD:  # the latest run's result
        assert "Run 2" in at.success[0].value and "test accuracy" in at.success[0].value
    elif page == PREDICTIONS:
        assert predictions_grid(at)
    elif page == COMPARE:
        assert len(at.dataframe[0].value) == 2
    elif page == HOME:
        assert metric(at, "Runs trained") == "2"
        best = max(run.test_accuracy for run in runs)
        assert metric(at, "Best test accuracy") == f"{best:.1%}"


def test_the_home_page_needs_no_data(no_data):
    at = open_page(HOME)  # it opens at once; the first data page says what is missing
    assert_renders(at, HOME)
    assert not at.error


@pytest.mark.parametrize("page", DATA_PAGES)
def test_every_page_without_data_shows_one_clear_error(no_data, page):
    at = open_page(page)
    assert_renders(at, page)
    assert len(at.error) == 1, [error.value for error in at.error]
    message = at.error[0].value
    assert DATA_DIR_ENV in message and "not available" in message, message
    assert str(no_data) in message  # says where it looked


def test_model_summary_follows_the_sliders(real_data):
    at = open_page(BUILD)
    assert metric(at, "Trainable parameters") == "101,770"

    at.select_slider(key="setting_neurons_1").set_value(256).run()
    assert metric(at, "Trainable parameters") == "203,530"
    # The settings live in the URL, beside the seat that brings the runs back.
    assert at.query_params == {"hidden_layers": "256", "seat": at.session_state[SEAT].token}

    at.select_slider(key="setting_neurons_1").set_value(128).run()
    at.slider(key="setting_layers").set_value(2).run()
    assert at.select_slider(key="setting_neurons_2").value == 128
    assert metric(at, "Trainable parameters") == "118,282"
    assert list(at.table[0].value.index) == ["rescaling", "flatten", "hidden_1", "hidden_2", "output"]
    assert not at.exception


def train_in(at: AppTest, label: str = "▶ Train") -> list[str]:
    """Presses Train (or the button `label`) and reruns the page (as its live fragment does) until
    the runs are in; returns the progress bars' texts seen meanwhile."""
    runs_before = len(at.session_state[RUNS])
    button(at, label).click().run()
    progress = []
    deadline = time.monotonic() + TRAINING_TIMEOUT
    while at.session_state[JOBS] or len(at.session_state[RUNS]) == runs_before:
        assert not at.exception, at.exception[0].value
        failures = [error.value for error in at.error]
        assert not failures, failures
        assert time.monotonic() < deadline, f"training still running after {TRAINING_TIMEOUT} s: " \
            f"{at.session_state[JOBS]}"
        progress += [bar.proto.text for bar in at.get("progress")]
        time.sleep(0.2)
        at.run()
    return progress


def test_training_through_the_ui_adds_a_run_with_its_curves(real_data):
    # All 60,000 images, so the training lasts long enough (seconds) to be seen running.
    at = open_page(BUILD, query={"epochs": "3"})
    assert at.slider(key="setting_epochs").value == 3
    assert at.select_slider(key="setting_train_size").value == 60_000

    import keras  # the training imports it anyway

    probe = keras.backend.get_uid("survives_reruns")
    progress = train_in(at)
    assert any(re.search(r"epoch \d+ of 3", text, re.IGNORECASE) for text in progress), \
        "no progress bar was shown while training"
    # Streamlit's clean-up after each rerun (keras.backend.clear_session) is off: Keras's global
    # state survived every fragment rerun during the training.
    assert keras.backend.get_uid("survives_reruns") == probe + 1

    assert_renders(at, BUILD)
    [run] = at.session_state[RUNS]
    assert run.name == "Run 1"
    assert run.config == ExperimentConfig(epochs=3)
    assert [record.epoch for record in run.history] == [1, 2, 3]
    assert "Run 1" in at.success[0].value and "test accuracy" in at.success[0].value
    # The chart draws this run's history: accuracy and loss, train and test, for epochs 1 to 3.
    [chart] = chart_specs(at)
    traces = [trace for trace in chart["data"] if trace.get("legendgroup") == run.name]
    assert len(traces) == 4
    assert all(list(trace["x"]) == [1, 2, 3] for trace in traces)
    train_accuracy = next(trace for trace in traces if trace["name"] == "train"
                          and trace.get("showlegend", True))
    assert train_accuracy["y"] == pytest.approx([record.accuracy for record in run.history])


def test_predictions_grid_colours_match_the_models_answers(runs, real_data):
    run = runs[-1]
    predicted = np.asarray(run.test_logits).argmax(axis=1)  # worked out here, not by the app
    labels = real_data.test_labels
    at = open_page(PREDICTIONS, runs=runs)
    assert_renders(at, PREDICTIONS)
    assert next(box for box in at.selectbox if box.label == "Model").value == run.run_id  # newest
    count = next(slider for slider in at.slider if slider.label == "Images").value

    right = predicted[:count] == labels[:count]
    grid = predictions_grid(at)
    frames = [shape["line"]["color"] for shape in grid["layout"]["shapes"]]
    assert frames == [figures.CORRECT if ok else figures.WRONG for ok in right]
    assert frames.count(figures.CORRECT) == right.sum()
    assert frames.count(figures.WRONG) == count - right.sum()
    marks = [annotation["text"][0] for annotation in grid["layout"]["annotations"]]
    assert marks == ["✓" if ok else "✗" for ok in right]
    assert any(f"{right.sum()} right, {count - right.sum()} wrong" in text.value
               for text in at.markdown)

    at.segmented_control[0].set_value("mistakes only").run()
    mistakes = np.flatnonzero(predicted != labels)[:count]
    frames = [shape["line"]["color"] for shape in predictions_grid(at)["layout"]["shapes"]]
    assert frames == [figures.WRONG] * len(mistakes)
    assert not at.exception


def test_compare_shows_one_row_per_run(runs):
    at = open_page(COMPARE, runs=runs)
    assert_renders(at, COMPARE)
    table = at.dataframe[0].value
    assert list(table["run"]) == ["Run 1", "Run 2"]
    assert list(table["hidden layers"]) == ["128", "64"]
    assert list(table["test accuracy"]) == pytest.approx([round(run.test_accuracy, 4) for run in runs])
    [curves] = chart_specs(at)
    assert {trace.get("legendgroup") for trace in curves["data"]} >= {"Run 1", "Run 2"}


def test_a_garbled_link_is_noted_and_the_lesson_used(real_data):
    at = open_page(BUILD, query={"epochs": "lots", "hidden_layers": "64,9999"})
    assert_renders(at, BUILD)
    notes = " ".join(as_shown(warning.value) for warning in at.warning)
    assert "epochs" in notes and "lots" in notes, notes
    assert "hidden_layers" in notes and "9999" in notes, notes
    assert at.session_state[CONFIG] == ExperimentConfig()
    assert at.slider(key="setting_epochs").value == 10
    assert at.slider(key="setting_layers").value == 1
    assert at.select_slider(key="setting_neurons_1").value == 128
    assert metric(at, "Trainable parameters") == "101,770"


def test_the_normalised_histogram_shows_the_same_pixels_on_0_to_1(real_data):
    at = open_page(EXPLORE)
    assert_renders(at, EXPLORE)
    histograms = [spec for spec in chart_specs(at) if spec["data"][0]["type"] == "histogram"]
    raw, scaled = sorted(histograms, key=lambda spec: -spec["layout"]["xaxis"]["range"][1])
    raw_pixels, scaled_pixels = (plotly_array(spec["data"][0]["x"]) for spec in (raw, scaled))
    assert scaled["layout"]["xaxis"]["range"][1] < 2  # the 0–1 chart
    assert scaled_pixels.max() <= 1
    np.testing.assert_allclose(scaled_pixels * 255, raw_pixels)


def test_predictions_follow_the_chosen_run_when_two_runs_share_a_name(runs, real_data):
    for run in runs:
        run.name = "64 neurons"  # what pressing the same exercise button twice gives
    at = open_page(PREDICTIONS, runs=runs)
    for index, run in enumerate(reversed(runs)):  # the newest run comes first
        next(box for box in at.selectbox if box.label == "Model").select_index(index).run()
        shown = next(table.value for table in at.dataframe if "accuracy" in table.value.columns)
        assert list(shown["accuracy"]) == pytest.approx(
            per_class_accuracy(run.test_logits, real_data.test_labels)), f"run {index}"


def test_a_teachers_link_locks_and_hides_settings(real_data):
    at = open_page(BUILD, query={"epochs": "3", "lock": "epochs,hidden_layers",
                                 "hide": "optimizer,seed,nonsense"})
    assert_renders(at, BUILD)
    epochs = at.slider(key="setting_epochs")
    assert epochs.value == 3 and epochs.disabled
    assert at.slider(key="setting_layers").disabled
    keys = {widget.key for widget in [*at.selectbox, *at.number_input]}
    assert "setting_optimizer" not in keys and "setting_seed" not in keys
    assert "setting_activation" in keys  # not hidden
    assert any("nonsense" in warning.value for warning in at.warning)
    assert at.query_params["lock"] == "epochs,hidden_layers"
    assert at.query_params["hide"] == "optimizer,seed"


def test_augmentation_from_a_link_shows_what_the_network_is_fed_locked_or_hidden(real_data):
    at = open_page(BUILD, query={"shift": "3", "flip": "1", "lock": "shift", "hide": "rotation,zoom"})
    assert_renders(at, BUILD)
    assert at.slider(key="setting_shift").value == 3 and at.slider(key="setting_shift").disabled
    assert at.toggle(key="setting_flip").value and not at.toggle(key="setting_flip").disabled
    assert not {"setting_rotation", "setting_zoom"} & {widget.key for widget in at.slider}
    assert any("What the network is fed" in block.value for block in at.markdown)
    [preview] = [spec for spec in chart_specs(at) if spec["data"][0]["type"] == "heatmap"]
    captions = [note["text"] for note in preview["layout"]["annotations"]]
    assert len(captions) == 8 and any("flipped" in caption for caption in captions)
    plain = open_page(BUILD)
    assert not any("What the network is fed" in block.value for block in plain.markdown)


def test_the_teacher_panel_puts_locks_and_hides_in_the_link(real_data):
    at = open_page(BUILD, query={"hidden_layers": "256"})
    at.multiselect(key="teacher_lock").select("epochs").run()
    at.multiselect(key="teacher_hide").select("optimizer").run()
    assert_renders(at, BUILD)
    assert at.query_params["lock"] == "epochs" and at.query_params["hide"] == "optimizer"
    assert at.query_params["hidden_layers"] == "256"
    assert at.slider(key="setting_epochs").disabled
    assert "setting_optimizer" not in {widget.key for widget in at.selectbox}


def test_learn_answers_with_the_learners_own_model_and_runs(runs, real_data):
    from fmnist_core.training.model import build_model  # imports TensorFlow

    config = ExperimentConfig(hidden_layers=(256,), batch_size=64, epochs=3)
    at = open_page("pages/5_Learn.py", query=config.differences(), runs=runs)
    assert_renders(at, "pages/5_Learn.py")
    text = "\n".join(block.value for block in at.markdown)
    # Question 3: the parameter count of the learner's settings, as Keras counts it.
    shown = int(re.search(r"Your current model .* has \*\*([\d,]+)\*\* parameters", text)[1]
                .replace(",", ""))
    assert shown == build_model(config).count_params() == 203_530
    # Question 4: their batch size, steps per epoch and epochs; the epochs their last run did.
    assert "in batches of **64**, the optimizer makes **938 update steps** per epoch" in text
    assert "**3 epochs** make 2,814 steps" in text
    assert "Your last run trained for **1 epoch**." in text
    # Question 5: the newest model's answer for the first test image, beside its label.
    newest = runs[-1]
    predicted = real_data.class_names[int(newest.test_logits[0].argmax())]
    assert re.search(rf"\*\*Run 2\*\* says \*\*{re.escape(predicted)}\*\* with \*\*\d+%\*\* "
                     r"confidence\. The label is \*\*Ankle boot\*\*", text)
    # Question 6: the best run and what it changed.
    best = max(runs, key=lambda run: run.test_accuracy)
    assert f"Your best run so far is **{best.name}**: test accuracy **{best.test_accuracy:.2%}**" \
        in text


def test_a_ladder_rung_trains_beside_the_baseline_and_shows_its_measured_gain(real_data):
    at = open_page("pages/5_Learn.py", query={"seed": "3"})
    at.selectbox(key="ladder_rung").set_value("Dropout").run()
    train_in(at, "▶ Train it")
    assert_renders(at, "pages/5_Learn.py")
    baseline, dropout = at.session_state[RUNS]
    assert (baseline.name, dropout.name) == ("Ladder: Baseline: the lesson", "Ladder: Dropout")
    assert baseline.config == QUICK.with_changes(seed=3)
    assert dropout.config == QUICK.with_changes(seed=3, dropout=0.2)
    [table] = [table for table in at.table if "gain (points)" in table.value.columns]
    assert list(table.value.index) == ["Baseline: the lesson", "Dropout"]
    gain = (dropout.test_accuracy - baseline.test_accuracy) * 100
    assert table.value.loc["Dropout", "gain (points)"] == f"{gain:+.1f}"
    legend = {trace.get("legendgroup") for spec in chart_specs(at) for trace in spec["data"]}
    assert {"Baseline: the lesson", "Dropout"} <= legend  # overlaid on one chart
    # The next rung trains alone: the baseline with this seed is already there.
    at.selectbox(key="ladder_rung").set_value("He initialisation").run()
    train_in(at, "▶ Train it")
    assert len(at.session_state[RUNS]) == 3


def pictures(at: AppTest) -> list:
    """The page's st.image pictures, in order: each proto has its url, caption and alt."""
    return [picture for image in at.image for picture in image.proto.imgs]


def test_explore_shows_samples_and_class_means_as_pictures_with_their_words(real_data):
    at = open_page(EXPLORE)
    assert_renders(at, EXPLORE)
    # 3 samples of each class by default, then the 10 class means: each captioned with its class
    # and described for screen readers.
    classes = [name for name in real_data.class_names for _ in range(3)] + list(real_data.class_names)
    shown = pictures(at)
    assert [picture.caption for picture in shown] == [plain(name) for name in classes]
    for picture, name in zip(shown, classes, strict=True):
        assert picture.alt.startswith(f"{name}: 28×28 pixels with values from "), picture.alt
    table = next(block.value for block in at.markdown if block.value.startswith("| label | name |"))
    assert "| 0 | T\\-shirt/top | 6,000 | 1,000 |" in table.splitlines()
    # The one image to read pixel by pixel is still a chart, with a value on hover.
    [heatmap] = [spec for spec in chart_specs(at) if spec["data"][0]["type"] == "heatmap"]
    assert "value" in heatmap["data"][0]["hovertemplate"]


def test_shuffle_draws_other_sample_images(real_data):
    at = open_page(EXPLORE)
    before = [picture.url for picture in pictures(at)]
    button(at, "Shuffle").click().run()
    assert_renders(at, EXPLORE)
    after = [picture.url for picture in pictures(at)]
    assert after[:-10] != before[:-10]  # the samples
    assert after[-10:] == before[-10:]  # the class means stay


@pytest.fixture
def app_on(monkeypatch):
    """Points the app's run store at another database for one test (then back at the session's)."""
    from ui.resources import desks, store_writer

    def use(url: str):
        store_writer().close()
        store_writer.clear()
        desks.clear()
        monkeypatch.setenv(DATABASE_URL_ENV, url)

    yield use
    monkeypatch.undo()
    use(os.environ[DATABASE_URL_ENV])


def test_while_the_database_is_down_the_app_works_and_saves_the_run_later(
        real_data, app_on, postgresql_url, stoppable_postgres):
    from ui.resources import store_writer

    app_on(postgresql_url)
    at = open_page(BUILD, query={"train_size": "2000", "epochs": "2"})
    seat = at.session_state[SEAT]
    stoppable_postgres.stop()  # the database server goes away mid-lesson
    train_in(at)
    at.run()
    assert_renders(at, BUILD)
    assert "test accuracy" in at.success[0].value  # the run is there all the same
    [warning] = [w.value for w in at.warning if "not being saved" in w.value]
    assert warning.startswith("**Your runs are not being saved right now** (")

    stoppable_postgres.start()
    assert store_writer().flush(90), "the pending writes did not reach the database"
    at.run()
    assert not [w.value for w in at.warning if "not being saved" in w.value]
    store = RunStore(postgresql_url)
    [run] = store.runs_of_seat(seat)
    store.close()
    assert (run.name, run.state, [r.epoch for r in run.history]) == ("Run 1", RunState.DONE, [1, 2])
    assert run.test_accuracy == at.session_state[RUNS][-1].test_accuracy


def test_runs_under_way_on_a_server_that_stopped_come_back_interrupted_or_said_once(real_data):
    from fmnist_core.history import EpochRecord

    seat, config = Seat.new(), ExperimentConfig(train_size=2000, epochs=3)
    store = RunStore(os.environ[DATABASE_URL_ENV])
    store.heartbeat("gone:8501", 30.0)  # its last beat: it died just now, not yet marked gone
    store.create_seat(seat)
    store.start_run(seat, "r1", "Run 1", config, server="gone:8501")  # one epoch, then the crash
    store.save_epoch(seat, "r1", EpochRecord(1, 0.6, 0.79, 0.55, 0.80, 1.0))
    store.queue_run(seat, "r2", "Run 2", config, server="gone:8501")  # still in that server's queue
    store.close()

    at = open_page(BUILD, query={"seat": seat.token})
    assert_renders(at, BUILD)
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("**Run 1 was interrupted** after 1 of 3 epochs") for w in warnings), warnings
    [lost] = [w for w in warnings if "never started" in w]
    assert lost.startswith("**Run 2 was waiting for a trainer on a server that stopped**")
    assert [run.name for run in at.session_state[RUNS]] == ["Run 1"]
    at.run()  # said once
    assert not [w.value for w in at.warning if "never started" in w.value]
    assert button(at, "▶ Train") is not None


@pytest.mark.parametrize("token", ["garbage<script>", "A" * 22])  # malformed; well-formed, unknown
def test_a_wrong_seat_in_the_link_gets_one_sentence_and_a_fresh_seat(real_data, token):
    at = open_page(HOME, query={"seat": token})
    assert_renders(at, HOME)
    [note] = [w.value for w in at.warning if "seat was not found" in w.value]
    assert note.startswith("This link's seat was not found")
    seat = at.session_state[SEAT]
    assert seat.token != token and at.query_params["seat"] == seat.token
    assert metric(at, "Runs trained") == "0"


@pytest.fixture
def no_wrong_codes_left():
    """Wrong codes typed here are this test's: AppTest's sessions all count as one browser."""
    from fmnist_core.store.tables import client_events
    from ui.resources import store_writer

    def forget(store):
        with store._transaction(write=True) as connection:
            connection.execute(client_events.delete().where(client_events.c.event == "code_miss"))

    store_writer().write_now(forget)
    yield
    store_writer().write_now(forget)


def test_the_code_on_home_brings_a_seats_runs_to_another_tab(runs, real_data, no_wrong_codes_left):
    owner = open_page(HOME, runs=runs)
    seat = owner.session_state[SEAT]
    from ui.resources import store_writer

    store_writer().create_seat(seat)  # seat_with() made the desk only
    assert store_writer().flush(10)
    code = re.search(r"`([A-Z2-9]{4}-[A-Z2-9]{4})`", next(
        m.value for m in owner.markdown if m.value.startswith("Your code:")))[1]
    assert code == seat.shown_code

    other = open_page(HOME)
    assert other.session_state[SEAT] != seat
    other.text_input[0].input("QQQQ-QQQQ")
    other.button[0].click().run()
    assert [as_shown(e.value) for e in other.error] == [
        "No seat has the code QQQQ-QQQQ. Check it on the other device's Home page."]
    other.text_input[0].input(code.lower().replace("-", " "))
    other.button[0].click().run()
    assert_renders(other, HOME)
    assert other.session_state[SEAT] == seat and other.query_params["seat"] == seat.token
    assert metric(other, "Runs trained") == "2"


def test_wrong_codes_typed_after_reload_after_reload_make_the_browser_wait(real_data, no_wrong_codes_left):
    said = []
    for _ in range(FREE_MISSES + 2):  # a fresh session each time, as after a reload
        at = open_page(HOME)
        at.text_input[0].input("QQQQ-QQQQ")
        at.button[0].click().run()
        said += [as_shown(e.value) for e in at.error]
    unknown = "No seat has the code QQQQ-QQQQ. Check it on the other device's Home page."
    assert said[:FREE_MISSES] == [unknown] * FREE_MISSES
    assert all(line.startswith("Too many wrong codes: try again in ") and "Your link" in line
               for line in said[FREE_MISSES:]), said


BOARD = "pages/8_Class_board.py"


def open_board(query: dict) -> AppTest:
    """The board as its link opens it (AppTest drops a link's parameters when it switches page)."""
    at = open_page(BOARD)
    at.query_params.update(query)
    return at.run()


def start_a_class(at: AppTest) -> tuple:
    """Presses Start a class on Home; the class and its teacher key."""
    button(at, "Start a class").click().run()
    return at.session_state["started_class"]


def join(at: AppTest, code: str, nickname: str) -> AppTest:
    fields = {field.label: field for field in at.text_input}
    fields["Class code"].input(code)
    fields["Nickname"].input(nickname)
    button(at, "Join the class").click().run()
    return at


def test_a_teacher_starts_a_class_and_its_board_opens_only_with_the_key(real_data):
    teacher = open_page(HOME)
    info, key = start_a_class(teacher)
    assert_renders(teacher, HOME)
    assert any(info.shown_code in m.value for m in teacher.markdown)
    [link] = [c.value for c in teacher.code if "Class_board" in c.value]
    assert f"class={info.code}" in link and f"key={key}" in link

    board = open_board({"class": info.code, "key": key})
    assert_renders(board, BOARD)
    assert any(f"Class code: `{info.shown_code}`" in m.value for m in board.markdown)
    assert metric(board, "Joined") == "0"
    assert board.query_params["class"] == info.code and board.query_params["key"] == key

    for query in ({"class": info.code}, {"class": info.code, "key": "A" * 22}, {}):
        outsider = open_board(query)
        assert_renders(outsider, BOARD)
        assert not [m for m in outsider.markdown if "Class code" in m.value]
        assert not outsider.get("metric") and not outsider.get("plotly_chart")
        assert outsider.info, query


def test_a_student_joins_with_a_good_code_and_gets_one_sentence_for_a_bad_one(real_data):
    teacher = open_page(HOME)
    info, key = start_a_class(teacher)
    student = open_page(HOME)
    join(student, "ZZZ-ZZZ", "Swift Otter")
    assert [as_shown(e.value) for e in student.error] == [
        "No class has the code ZZZ-ZZZ: check it on the board."]
    join(student, info.code.lower(), "")
    assert [as_shown(e.value) for e in student.error] == ["Choose a nickname (not your real name)."]
    join(student, info.code.lower(), "**Zoë** <script>")
    assert_renders(student, HOME)
    assert any(m.value == rf"You are in class **`{info.shown_code}`** as **\*\*Zoë\*\* \<script\>**."
               for m in student.markdown)
    board = open_board({"class": info.code, "key": key})
    assert metric(board, "Joined") == "1"


def test_a_nickname_a_classmate_has_gets_one_sentence_with_one_to_take_instead(real_data):
    teacher = open_page(HOME)
    info, key = start_a_class(teacher)
    join(open_page(HOME), info.code, "Ada")
    student = join(open_page(HOME), info.code, " a DA ")
    assert [as_shown(e.value) for e in student.error] == [
        "Someone in this class already has this nickname (capitals and spaces do not count): join as "
        "“a DA 2”, or choose another."]
    assert not [m for m in student.markdown if "You are in class" in m.value]
    join(student, info.code, "a DA 2")
    assert_renders(student, HOME)
    assert any(m.value == f"You are in class **`{info.shown_code}`** as **a DA 2**."
               for m in student.markdown)
    assert metric(open_board({"class": info.code, "key": key}), "Joined") == "2"


def test_when_the_class_ends_a_students_page_keeps_the_seat_and_the_runs_from_outside_it(real_data,
                                                                                         monkeypatch):
    from fmnist_core.history import EpochRecord

    monkeypatch.setattr(ui.classroom, "CHECK_SECONDS", 0.0)  # every run of a page asks about the class
    seat, config = Seat.new(), ExperimentConfig(train_size=2000, epochs=1)
    store = RunStore(os.environ[DATABASE_URL_ENV])
    store.create_seat(seat)
    info, key = store.start_class()
    for run_id, name in (("before", "Run 1"), ("in-class", "Run 2")):
        if run_id == "in-class":
            store.join_class(seat, info.code, "Ada")
        store.start_run(seat, run_id, name, config)
        store.save_epoch(seat, run_id, EpochRecord(1, 0.6, 0.79, 0.55, 0.80, 1.0))
        store.finish_run(seat, run_id, state=RunState.DONE, test_loss=0.5, test_accuracy=0.8, seconds=1.0,
                         test_logits=np.zeros((10_000, 10), np.float32), weights=None)
    at = open_page(HOME, query={"seat": seat.token})
    assert metric(at, "Runs trained") == "2" and [m for m in at.markdown if "You are in class" in m.value]

    store.end_class(info.code, key)
    store.close()
    at.run()
    assert_renders(at, HOME)
    assert [as_shown(w.value) for w in at.warning if "class" in w.value] == [
        "Your class has ended: the teacher deleted its data, the runs you trained in it included; your "
        "seat and your other runs are still here."]
    assert at.session_state[SEAT].token == seat.token and at.query_params["seat"] == seat.token
    assert [run.name for run in at.session_state[RUNS]] == ["Run 1"] and metric(at, "Runs trained") == "1"
    assert not [m for m in at.markdown if "You are in class" in m.value]
    at.run()  # said once
    assert not [w for w in at.warning if "class has ended" in w.value]


def test_a_class_experiment_sets_and_locks_each_students_part(real_data):
    teacher = open_page(HOME)
    info, key = start_a_class(teacher)
    board = open_board({"class": info.code, "key": key})
    board.selectbox[0].select("Neurons").run()
    button(board, "Give the class this experiment").click().run()
    assert_renders(board, BOARD)
    parts = []
    for number in range(3):
        student = join(open_page(HOME), info.code, f"student {number}")
        student.switch_page(BUILD).run()
        assert_renders(student, BUILD)
        [part] = [i.value for i in student.info if "Your part of the class experiment" in i.value]
        parts.append(student.select_slider(key="setting_neurons_1").value)
        assert student.select_slider(key="setting_neurons_1").disabled
        assert f"seed {101 + number}" in part and student.session_state[CONFIG].seed == 101 + number
    assert parts == [32, 64, 128]  # round-robin over 32, 64, 128, 256, 512


def test_the_board_locks_settings_for_the_class_and_shows_students_where_they_stand(real_data):
    teacher = open_page(HOME)
    info, key = start_a_class(teacher)
    board = open_board({"class": info.code, "key": key})
    board.multiselect[0].select("epochs").run()  # Lock for the whole class
    board.toggle[1].set_value(True).run()  # Show each student where they stand
    assert_renders(board, BOARD)
    # The student's own link says 100 epochs: the class's lock trains the lesson's 10.
    student = join(open_page(HOME, query={"train_size": "2000", "epochs": "100"}), info.code, "Gecko")
    student.switch_page(BUILD).run()
    assert student.slider(key="setting_epochs").disabled and student.slider(key="setting_epochs").value == 10
    assert any(c.value.startswith("Set by your teacher: epochs 10.") for c in student.caption)
    student.session_state["setting_epochs"] = 50  # as a browser that sends it anyway would
    student.run()
    assert student.session_state[CONFIG].epochs == 10
    train_in(student)
    assert student.session_state[RUNS][-1].config.epochs == 10
    student.run()
    assert_renders(student, BUILD)
    [line] = [i.value for i in student.info if i.value.startswith("Your run")]
    accuracy = student.session_state[RUNS][-1].test_accuracy
    assert line == f"Your run {accuracy:.1%} — class median {accuracy:.1%} (1 run)."
    board.run()
    assert metric(board, "Runs finished") == "1" and metric(board, "Joined") == "1"


@pytest.mark.parametrize(("epochs", "said"), [
    ("1", "Training for **1 epoch** shows each image once: 1,875 steps in all."),
    ("2", "Training for **2 epochs** shows each image twice: 3,750 steps in all.")])
def test_build_and_learn_say_numbers_and_nouns_that_agree(real_data, epochs, said):
    at = open_page(BUILD, query={"epochs": epochs})
    assert any(said in m.value for m in at.markdown), [m.value for m in at.markdown]
    at.switch_page("pages/5_Learn.py").run()
    assert_renders(at, "pages/5_Learn.py")
    assert any(f"**{epochs} epoch{'s' if epochs == '2' else ''}** make" in m.value for m in at.markdown)


def test_a_bad_server_setting_is_said_on_the_home_page(real_data, monkeypatch):
    from ui.resources import startup_notes

    monkeypatch.setenv("FMNIST_RETENTION_DAYS", "forever")
    startup_notes.clear()
    try:
        at = open_page(HOME)
        assert_renders(at, HOME)
        assert any("FMNIST_RETENTION_DAYS must be a whole number from 1 to 3650; got 'forever'. Using 30."
                   in w.value for w in at.warning)
    finally:
        monkeypatch.undo()
        startup_notes.clear()


def test_train_shows_its_estimate_and_offers_the_nearest_setting_within_the_limit(real_data):
    at = open_page(BUILD, query={"epochs": "5"})
    assert any(re.fullmatch(r"Estimated training time on this server: about \d+ s\.", caption.value)
               for caption in at.caption), [caption.value for caption in at.caption]
    assert not at.warning

    at = open_page(BUILD, query={"batch_size": "1", "epochs": "100"})  # 6 million steps
    [warning] = at.warning
    assert re.match(r"This training would take about \d+ (minutes|hours), and one training may take at most "
                    r"5 minutes here", warning.value), warning.value
    [offer] = [b for b in at.button if b.label.startswith("Use ")]
    assert re.fullmatch(r"Use Epochs \d+ instead of 100(, Training images [\d,]+ instead of 60,000)?",
                        offer.label), offer.label
    offer.click().run()
    config = at.session_state[CONFIG]
    assert config.batch_size == 1 and 1 <= config.epochs < 100  # fewer epochs, or fewer images too
    assert at.slider(key="setting_epochs").value == config.epochs
    assert not at.warning  # it fits now: the estimate is a caption again
    assert any(caption.value.startswith("Estimated training time") for caption in at.caption)


def test_the_first_training_on_a_new_server_says_it_waits_for_tensorflow(real_data, monkeypatch):
    # A server just started: its only trainer is still loading TensorFlow (held here until the
    # test lets it go), and nobody else trains.
    import threading

    import fmnist_core.training.jobs
    import ui.estimates
    import ui.live
    import ui.resources
    from fmnist_core.training.jobs import TrainingQueue

    loaded = threading.Event()
    monkeypatch.setattr(fmnist_core.training.jobs, "_size_tensorflow", lambda slots: loaded.wait())
    queue = TrainingQueue(real_data, slots=1)
    for module in (ui.resources, ui.live, ui.estimates):
        monkeypatch.setattr(module, "training_queue", lambda: queue)
    at = open_page(BUILD, query={"epochs": "1", "train_size": "1000"})
    try:
        button(at, "▶ Train").click().run()
        [waiting] = at.info
        assert waiting.value == ("**Run 1**: waiting for a trainer to get ready (loading TensorFlow, "
                                 "once after the server starts) — **you are next**; it should start "
                                 "in a few seconds, by itself.")
        assert [b.label for b in at.button if b.key == "training_button_0"] == ["Cancel"]
    finally:
        for job in at.session_state[JOBS]:
            job.cancel()
        loaded.set()


def test_a_training_past_the_servers_time_limit_stops_with_its_epochs_and_says_why(real_data):
    from ui.resources import training_queue

    queue = training_queue()
    limit, queue.max_seconds = queue.max_seconds, 2  # the server's FMNIST_MAX_TRAINING_MINUTES
    try:
        at = open_page(BUILD, query={"epochs": "30", "train_size": "5000"})
        train_in(at)
    finally:
        queue.max_seconds = limit
    [run] = at.session_state[RUNS]
    assert run.state is RunState.STOPPED and 1 <= run.epochs_done < 30
    [stop] = [warning.value for warning in at.warning if "stopped after" in warning.value]
    assert stop == (f"Run 1 stopped after {run.epochs_done} epoch"
                    f"{'s' if run.epochs_done > 1 else ''} of 30: it reached the 2-second "
                          "limit for one training. Its epochs are kept.")


def test_a_training_asked_for_again_is_answered_at_once_and_a_new_seed_trains_anew(real_data):
    settings = {"epochs": "2", "train_size": "2000", "seed": "4242"}
    first = open_page(BUILD, query=settings)
    train_in(first)
    [trained] = first.session_state[RUNS]

    classmate = open_page(BUILD, query=settings)
    button(classmate, "▶ Train").click().run()
    deadline = time.monotonic() + TIMEOUT
    while classmate.session_state[JOBS] or not classmate.session_state[RUNS]:
        assert time.monotonic() < deadline, "the earlier run was not served"
        classmate.run()  # the job is done at once; the live fragment collects it
    [copy] = classmate.session_state[RUNS]
    assert copy.run_id != trained.run_id and copy.name == "Run 1"
    assert copy.history == trained.history and copy.test_accuracy == trained.test_accuracy
    assert any(info.value.startswith("**Trained earlier with exactly these settings and seed**")
               for info in classmate.info)

    button(classmate, "Train with a new seed").click().run()
    new_seed = classmate.session_state[CONFIG].seed
    assert new_seed != 4242 and classmate.number_input(key="setting_seed").value == new_seed
    while classmate.session_state[JOBS]:
        assert time.monotonic() < deadline + TRAINING_TIMEOUT
        time.sleep(0.2)
        classmate.run()
    new = classmate.session_state[RUNS][-1]
    assert new.config.seed == new_seed and new.history != trained.history
    assert not any(info.value.startswith("**Trained earlier") for info in classmate.info)


def test_the_lesson_lists_every_page_file_at_the_address_its_name_gave_it():
    from tools.browser import url_path

    assert sorted(LESSON_PAGES) == PAGE_FILES
    assert [page.url_path for page in LESSON_PAGES.values()] == [url_path(file) for file in LESSON_PAGES]

"""The write-up to hand in: the evidence for each question from real data and small runs, and the .zip
(README.md rendered as GitHub would, its pictures and tables, the notebooks, the same bytes twice)."""

import io
import subprocess
import sys
import zipfile
from datetime import datetime

import nbformat
import numpy as np
import pytest
from markdown_it import MarkdownIt
from PIL import Image

from fmnist_core.architecture import layer_table
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import CLASS_NAMES
from fmnist_core.history import EpochRecord
from fmnist_core.lesson import BEST_IN_3_MINUTES, EXPERIMENTS, QUICK, exercise_config
from fmnist_core.lesson.ladder import rung_config
from fmnist_core.lesson.notebook import as_notebook
from fmnist_core.lesson.writeup import (
    NOT_ANSWERED,
    QUESTIONS,
    Exhibit,
    data_exhibit,
    epochs_exhibit,
    find_answers,
    markdown_escaped,
    markdown_table,
    model_exhibit,
    notebook_paths,
    pixels_exhibit,
    prediction_exhibit,
    runs_exhibit,
    what_it_is,
    writeup_readme,
    writeup_zip,
)
from fmnist_core.run import RunState, TrainingRun
from tools.server import REPO

WRITTEN = datetime(2026, 12, 6, 10, 30, 15)
HOSTILE = "<script>alert(1)</script> *mine* | [x](y) `c` $\\frac{$ &amp; ~~s~~ # \\"


def a_run(accuracy: float, name: str = "", config: ExperimentConfig | None = None, epochs: int = 2,
          state: RunState = RunState.DONE) -> TrainingRun:
    """A run of `config` (the lesson's by default) whose history climbs to `accuracy`."""
    history = [EpochRecord(epoch, 0.6 / epoch, 0.78 + 0.015 * epoch, 0.45 + 0.01 * epoch,
                           accuracy - 0.01 * (epochs - epoch), 1.0) for epoch in range(1, epochs + 1)]
    return TrainingRun(config or ExperimentConfig(), history, None, 0.35, accuracy, 10.0, state, name)


def picture_size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.format == "PNG"
        return picture.size


def small_data(seed: int = 0):
    """Two training and one test image of each class, random pixels 0–255, and their labels."""
    rng = np.random.default_rng(seed)
    train_labels, test_labels = np.repeat(np.arange(10), 2), np.arange(10)
    return (rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), train_labels,
            rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), test_labels)


# --- The exhibits ---------------------------------------------------------------------------------


def test_the_data_exhibit_says_the_datasets_numbers_and_shows_a_sample_of_each_class(real_data):
    exhibit = data_exhibit(real_data.train_images, real_data.train_labels, real_data.test_images,
                           real_data.test_labels, CLASS_NAMES)
    for words in ("**70,000** greyscale images", "each 28×28 pixels", "**60,000** to train",
                  "`(60000, 28, 28)`", "**10,000** to test", "`(10000, 28, 28)`", "10 classes",
                  "0 T-shirt/top", "9 Ankle boot."):
        assert words in exhibit.text
    assert [row["training images"] for row in exhibit.table] == [6000] * 10
    assert [row["test images"] for row in exhibit.table] == [1000] * 10
    assert [row["class"] for row in exhibit.table] == list(CLASS_NAMES)
    assert (exhibit.key, exhibit.question, exhibit.file) == ("1:data", 1, "figures/q1-data.png")
    assert picture_size(exhibit.png) == (800, 380) and "Ankle boot" in exhibit.alt


def test_the_pixels_exhibit_gives_one_images_values_before_and_after_dividing(real_data):
    exhibit = pixels_exhibit(real_data.train_images[0])
    mean = real_data.train_images[0].mean()
    assert "28×28 = 784 pixels" in exhibit.text
    assert f"from 0 to 255 (mean {mean:.1f})" in exhibit.text
    assert f"divided by 255 they go from 0 to 1 (mean {mean / 255:.3f})" in exhibit.text
    assert exhibit.table == [] and picture_size(exhibit.png) == (800, 340)
    with pytest.raises(ValueError, match="raw pixels, 0 to 255"):
        pixels_exhibit(real_data.train_images[0] / 255)


def test_the_pixels_exhibit_compares_the_runs_with_and_without_normalising():
    normalised, raw = (a_run(accuracy, name, config) for (name, config), accuracy
                       in zip(EXPERIMENTS["normalise"].configs().items(), (0.85, 0.79)))
    lonely_raw = a_run(0.7, "Raw, alone", ExperimentConfig(normalize=False, epochs=3))
    stopped = a_run(0.6, "Stopped", QUICK.with_changes(normalize=False), state=RunState.STOPPED)
    exhibit = pixels_exhibit(np.arange(784).reshape(28, 28) % 256, [normalised, raw, lonely_raw, stopped])
    assert exhibit.table == [
        {"run": "Normalised vs raw: pixels 0–1", "pixels": "0–1 (divided by 255)", "epochs": 2,
         "test accuracy": "85.00%"},
        {"run": "Normalised vs raw: pixels 0–255", "pixels": "0–255 (as loaded)", "epochs": 2,
         "test accuracy": "79.00%"}]
    assert "on raw pixels, **Normalised vs raw: pixels 0–255** reached 79.00%" in exhibit.text


def test_the_model_exhibit_lists_the_layers_and_adds_up_the_parameters():
    exhibit = model_exhibit(ExperimentConfig())
    assert exhibit.table == layer_table(ExperimentConfig()).to_dict("records")
    assert "**101,770** parameters: hidden_1 (784 + 1) × 128 = 100,480; output (128 + 1) × 10 = 1,290" \
        in exhibit.text
    assert "4 layers: rescaling, flatten, hidden_1, output" in exhibit.text
    assert (exhibit.png, exhibit.file, exhibit.key) == (None, None, "3:model")
    two = model_exhibit(ExperimentConfig(hidden_layers=(256, 64), dropout=0.2, batch_norm=True))
    assert "hidden_2 (256 + 1) × 64 = 16,448" in two.text and "batchnorm_1 1,024" in two.text
    assert "of which the optimizer trains" in two.text


def test_the_epochs_exhibit_counts_the_steps_of_an_epoch_and_draws_the_runs_curves():
    run = a_run(0.88, "Baseline", epochs=10)
    exhibit = epochs_exhibit(run)
    for words in ("one pass over all 60,000 training images, in batches of 32: 60,000 ÷ 32 = 1,875 "
                  "update steps", "**Baseline** did 10 epochs: 18,750 steps", "seen 10 times",
                  "test accuracy from 79.00% to 88.00%"):
        assert words in exhibit.text
    assert len(exhibit.table) == 10 and exhibit.table[-1]["test accuracy"] == "88.00%"
    assert exhibit.table[0]["epoch"] == "1/10" and exhibit.table[0]["training loss"] == "0.6000"
    assert picture_size(exhibit.png) == (800, 360) and exhibit.file == "figures/q4-epochs.png"
    config = ExperimentConfig(batch_size=64, validation_split=0.1, epochs=10)
    held_out = epochs_exhibit(a_run(0.8, "Held out", config, epochs=3, state=RunState.STOPPED))
    assert ("all 54,000 training images (6,000 of its 60,000 are held out to validate on), in batches "
            "of 64: 54,000 ÷ 64 = 843.75, so 844 update steps, the last batch of 48") in held_out.text
    assert "did 3 epochs of 10 (stopped)" in held_out.text and "validation loss" in held_out.table[0]
    nothing = epochs_exhibit(a_run(0.1, "Interrupted", epochs=0, state=RunState.INTERRUPTED))
    assert nothing.png is None and nothing.table == []


def test_the_prediction_exhibit_says_right_or_wrong_with_the_label_as_a_class(real_data):
    probabilities = np.full(10, 0.01)
    probabilities[9] = 0.91
    right = prediction_exhibit(real_data.test_images[0], probabilities, int(real_data.test_labels[0]),
                               CLASS_NAMES, "Baseline")
    assert ("**Baseline** predicts label 9, **Ankle boot**, with a probability of 91.0%. Its actual "
            "label is 9, **Ankle boot**. The prediction is right.") in right.text
    assert right.table[9] == {"class": "Ankle boot", "label": 9, "probability": "91.00%",
                              "note": "predicted = label"}
    assert picture_size(right.png) == (800, 380)
    wrong = prediction_exhibit(real_data.test_images[0], probabilities, 0, CLASS_NAMES, HOSTILE)
    assert "The prediction is wrong: T-shirt/top had 1.0%." in wrong.text
    assert markdown_escaped(HOSTILE) in wrong.text and ", wrong." in wrong.alt
    with pytest.raises(ValueError, match="one value a class"):
        prediction_exhibit(real_data.test_images[0], probabilities[:9], 0, CLASS_NAMES, "x")


def test_each_run_is_named_after_its_place_in_the_lesson_whatever_its_seed():
    assert what_it_is(ExperimentConfig(seed=7)) == "the baseline: the lesson's model"
    assert what_it_is(exercise_config("A second hidden layer")) == "exercise: A second hidden layer"
    assert what_it_is(rung_config("Dropout", 3)) == "ladder rung: Dropout"
    assert what_it_is(rung_config("Baseline: the lesson", 3)) == "quick baseline (10,000 images, 5 epochs)"
    assert what_it_is(exercise_config("Raw pixels", QUICK)) == "quick experiment: Raw pixels"
    assert what_it_is(exercise_config(BEST_IN_3_MINUTES)) == f"the ladder's top: {BEST_IN_3_MINUTES}"
    assert what_it_is(exercise_config("Dropout")) == "the lesson's model with one change: Dropout"
    assert what_it_is(ExperimentConfig(epochs=3)) == "own settings: Epochs 3 instead of 10"


def test_the_runs_exhibit_tables_the_finished_runs_and_draws_their_accuracies():
    runs = [a_run(0.8756, "Baseline"), a_run(0.8830, "256", exercise_config("256 neurons")),
            a_run(0.8895, "Long", exercise_config("50 epochs"), epochs=3),
            a_run(0.86, "Ladder: Dropout", rung_config("Dropout", 42)),
            a_run(0.87, "Stopped", state=RunState.STOPPED), a_run(0.0, "Lost", state=RunState.INTERRUPTED),
            a_run(0.85, HOSTILE, ExperimentConfig(architecture="cnn", hidden_layers=(64, 32)))]
    exhibit = runs_exhibit(runs)
    assert [row["run"] for row in exhibit.table] == ["Baseline", "256", "Long", "Ladder: Dropout", HOSTILE]
    assert exhibit.table[2] == {"run": "Long", "what it is": "exercise: 50 epochs", "hidden layers": "128",
                                "epochs": 3, "test accuracy": "88.95%"}
    assert exhibit.table[4]["hidden layers"] == "convnet, 64 × 32"
    assert exhibit.text == ("5 finished runs. The best, **Long** (exercise: 50 epochs), reached **88.95%** "
                            "test accuracy, +1.39 points over the baseline **Baseline** (87.56%).")
    assert picture_size(exhibit.png) == (800, 120 + 36 * 5 + 30)
    assert "from 85.00%" in exhibit.alt and HOSTILE in exhibit.alt  # plain text: the README escapes it
    empty = runs_exhibit([runs[4]])
    assert (empty.png, empty.table) == (None, []) and "No run has finished yet" in empty.text


@pytest.mark.parametrize(("changes", "message"), [
    ({"key": "7:data"}, "key must be"), ({"key": "1:Data"}, "key must be"),
    ({"key": "1:data\n"}, "key must be"),
    ({"question": 2}, "question must be the key's number, 1"), ({"file": None}, "png and file go together"),
    ({"file": "../q1-data.png"}, "file must be"), ({"png": b"GIF89a"}, "png must be a PNG"),
    ({"alt": " "}, "alt sentence")])
def test_an_exhibit_is_checked_at_the_door(changes, message):
    good = {"key": "1:data", "question": 1, "title": "t", "text": "x", "table": [],
            "png": b"\x89PNG\r\n\x1a\n", "alt": "A picture.", "file": "figures/q1-data.png"}
    Exhibit(**good)
    with pytest.raises(ValueError, match=message):
        Exhibit(**{**good, **changes})


# --- Markdown -------------------------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
AS_GITHUB_PARSES = MarkdownIt("commonmark", {"html": True}).enable("table")  # before it sanitises


@pytest.mark.parametrize("name", [HOSTILE, "T-shirt/top", "my_best_run", "a\nb", "!", "# x #", "<b>"])
def test_an_escaped_name_reads_as_typed_in_a_sentence_or_a_heading(name):
    for markdown in (f"Your run {markdown_escaped(name)}", f"## Your run {markdown_escaped(name)}"):
        children = [child for token in MARKDOWN.parse(markdown) if token.type == "inline"
                    for child in token.children]
        assert {child.type for child in children} == {"text"}
        assert "".join(child.content for child in children) == "Your run " + " ".join(name.split())


def tables(markdown: str) -> list[list[list[str]]]:
    """Each table's rows, each row's cells as text."""
    found, inside = [], False
    for token in MARKDOWN.parse(markdown):
        if token.type in ("table_open", "table_close"):
            inside = token.type == "table_open"
            found += [[]] if inside else []
        elif inside and token.type == "tr_open":
            found[-1].append([])
        elif inside and token.type == "inline":
            found[-1][-1].append("".join(child.content for child in token.children))
    return found


def test_a_table_keeps_its_columns_whatever_the_cells_hold():
    rows = [{"run": "a | b", "images": 60_000, "normalised": True},
            {"run": HOSTILE, "images": 1, "normalised": False}, {"run": "c\nd"}]
    text = markdown_table(rows)
    assert text.splitlines()[1] == "| --- | ---: | --- |"
    assert markdown_table([{"a": "88.30%", "b": "0.3512", "c": "+1.2 %", "d": "1/10"}]).splitlines()[1] \
        == "| ---: | ---: | ---: | --- |"
    assert tables(text) == [[["run", "images", "normalised"], ["a | b", "60,000", "yes"],
                             [" ".join(HOSTILE.split()), "1", "no"], ["c d", "", ""]]]


def test_notebooks_get_file_names_of_their_own():
    assert notebook_paths(["Run 1", "Run 1!", "Ünïcode ✓", "***", "x" * 80]) == {
        "Run 1": "notebooks/run-1.ipynb", "Run 1!": "notebooks/run-1-2.ipynb",
        "Ünïcode ✓": "notebooks/unicode.ipynb", "***": "notebooks/notebook.ipynb",
        "x" * 80: f"notebooks/{'x' * 60}.ipynb"}


# --- The .zip -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def handed_in():
    """A write-up of every exhibit from small data and runs, with answers, some hostile, one missing."""
    train_images, train_labels, test_images, test_labels = small_data()
    baseline = a_run(0.8756, "Baseline", epochs=3)
    wide = a_run(0.883, "256 | wide", exercise_config("256 neurons"))
    probabilities = np.linspace(0.01, 0.3, 10)
    exhibits = [data_exhibit(train_images, train_labels, test_images, test_labels, CLASS_NAMES),
                pixels_exhibit(train_images[0], [baseline]), model_exhibit(baseline.config),
                epochs_exhibit(baseline), prediction_exhibit(test_images[0], probabilities, 9, CLASS_NAMES,
                                                             "Baseline"), runs_exhibit([baseline, wide])]
    answers = {1: "Fashion-MNIST is **70,000** images of clothing.\n\n<script>alert(1)</script>",
               2: "Dividing by 255 puts the pixels between 0 and 1.\n\n```python\nimages / 255",
               4: "<!-- one pass", 5: "<pre>\npredicted 9", 6: "  \n"}
    notebooks = {run.name: as_notebook(run.config, title=run.name) for run in (baseline, wide)}
    data = writeup_zip(answers, exhibits, notebooks, written=WRITTEN, title="Ada's *write-up* #1")
    return data, exhibits, answers, notebooks


def readme_of(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("README.md").decode()


def headings(markdown: str, parser: MarkdownIt = MARKDOWN) -> list[tuple[str, str]]:
    tokens = parser.parse(markdown)
    return [(token.tag, tokens[index + 1].content) for index, token in enumerate(tokens)
            if token.type == "heading_open" and token.tag in ("h1", "h2")]


def test_the_zip_holds_the_readme_the_pictures_and_the_notebooks(handed_in):
    data, exhibits, _, notebooks = handed_in
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["README.md", "figures/q1-data.png", "figures/q2-pixels.png",
                                      "figures/q4-epochs.png", "figures/q5-prediction.png",
                                      "figures/q6-runs.png", "notebooks/baseline.ipynb",
                                      "notebooks/256-wide.ipynb"]
        sizes = {exhibit.file: picture_size(archive.read(exhibit.file))
                 for exhibit in exhibits if exhibit.file}
        for name, path in notebook_paths(notebooks).items():
            notebook = nbformat.reads(archive.read(path).decode(), as_version=4)
            nbformat.validate(notebook)
            assert notebook.nbformat == 4 and notebook.cells[0].source.startswith(f"# {name}")
        assert {info.date_time for info in archive.infolist()} == {(2026, 12, 6, 10, 30, 14)}
    assert sizes == {"figures/q1-data.png": (800, 380), "figures/q2-pixels.png": (800, 340),
                     "figures/q4-epochs.png": (800, 360), "figures/q5-prediction.png": (800, 380),
                     "figures/q6-runs.png": (800, 120 + 36 * 2 + 30)}


def test_the_readme_has_the_six_questions_whatever_the_answers_hold(handed_in):
    readme = readme_of(handed_in[0])
    expected = [("h1", "Ada's \\*write-up\\* \\#1"), *(("h2", f"{n}. {q}") for n, q in QUESTIONS.items()),
                ("h2", "Notebooks")]
    assert headings(readme) == expected
    assert headings(readme, AS_GITHUB_PARSES) == expected  # no HTML block swallows what follows
    html = MARKDOWN.render(readme)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<h1>Ada's *write-up* #1</h1>" in html and "Written on 2026-12-06" in html
    assert "<pre><code class=\"language-python\">images / 255\n</code></pre>" in html
    section = readme.split("## 3.")[1].split("## 4.")[0]
    assert NOT_ANSWERED in section and NOT_ANSWERED in readme.split("## 6.")[1]
    found = find_answers(readme)  # the checker reads it back: each answer under its question
    assert found[1].startswith("Fashion-MNIST is **70,000** images of clothing.")
    assert found[2].startswith("Dividing by 255 puts the pixels between 0 and 1.")


def test_every_picture_and_notebook_the_readme_links_is_in_the_zip(handed_in):
    data, exhibits, _, notebooks = handed_in
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = set(archive.namelist())
    tokens = [child for token in MARKDOWN.parse(readme_of(data)) if token.type == "inline"
              for child in token.children]
    images = {token.attrGet("src"): token for token in tokens if token.type == "image"}
    links = [token.attrGet("href") for token in tokens if token.type == "link_open"]
    assert set(images) == {exhibit.file for exhibit in exhibits if exhibit.file} <= members
    assert links == list(notebook_paths(notebooks).values()) and set(links) <= members
    for exhibit in exhibits:
        if exhibit.file:
            assert "".join(child.content for child in images[exhibit.file].children) == exhibit.alt


def test_every_exhibits_table_parses_with_its_rows_and_columns(handed_in):
    data, exhibits, _, _ = handed_in
    found = tables(readme_of(data))
    expected = [exhibit.table for exhibit in exhibits if exhibit.table]
    assert len(found) == len(expected)
    for rows, table in zip(found, expected):
        assert rows[0] == list(table[0]) and len(rows) == len(table) + 1
        assert all(len(row) == len(table[0]) for row in rows)
    assert ["256 | wide", "exercise: 256 neurons", "256", "2", "88.30%"] in found[-1]


def test_the_same_inputs_give_the_same_bytes(handed_in):
    data, exhibits, answers, notebooks = handed_in
    again = writeup_zip(answers, exhibits, notebooks, written=WRITTEN, title="Ada's *write-up* #1")
    assert again == data
    assert writeup_zip(answers, exhibits, notebooks, written=WRITTEN.replace(day=7),
                       title="Ada's *write-up* #1") != data


@pytest.mark.parametrize(("change", "message"), [
    ({"answers": {7: "x"}}, "numbered 1 to 6"), ({"answers": {1: None}}, "answers must be text"),
    ({"title": "  "}, "title must say"), ({"written": datetime(1970, 1, 1)}, "1980 or later")])
def test_what_cannot_go_in_a_writeup_is_refused(change, message):
    arguments = {"answers": {}, "exhibits": [], "notebooks": {}, "written": WRITTEN, "title": "Mine"}
    with pytest.raises(ValueError, match=message):
        writeup_zip(**{**arguments, **change})


def test_two_exhibits_cannot_share_a_key():
    exhibit = model_exhibit(ExperimentConfig())
    with pytest.raises(ValueError, match="a key of its own"):
        writeup_zip({}, [exhibit, exhibit], {}, written=WRITTEN, title="Mine")


def test_an_empty_writeup_still_asks_the_six_questions():
    readme = writeup_readme({}, [], written=WRITTEN, title="Mine")
    assert readme.count(NOT_ANSWERED) == 6 and "Notebooks" not in readme and "![" not in readme


def test_the_checker_and_the_charts_do_not_import_matplotlib():
    code = ("import sys, fmnist_core.lesson.writeup, fmnist_core.figures, fmnist_core.data; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)

"""The evidence a student may tick into their write-up: for each of the lesson's six questions, what
their own data and runs show (`Exhibit`: sentences with their numbers, a table, a picture), one
builder a question: `data_exhibit` (1), `pixels_exhibit` (2), `model_exhibit` (3), `epochs_exhibit`
(4), `prediction_exhibit` (5) and `runs_exhibit` (6). `markdown_escaped` writes a name so that
Markdown shows it as typed.

Plain arrays and runs in: no TensorFlow, no Streamlit. The pictures are drawn by
`fmnist_core.figures.paper`, imported by a builder when it draws: the checker's command line imports
this package, and draws nothing.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_core.architecture import layer_specs, layer_table, parameter_count, trainable_count
from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson.exercises import (
    BASELINE,
    BEST_IN_3_MINUTES,
    CHANGES,
    EXERCISES,
    QUICK,
    exercise_config,
)
from fmnist_core.lesson.ladder import RUNGS
from fmnist_core.lesson.words import count, times
from fmnist_core.run import REFERENCES, RunState

_KEY = re.compile(r"([1-6]):([a-z_]{1,20})")
_FILE = re.compile(r"figures/q[1-6]-[a-z0-9-]{1,20}\.png")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What Markdown (GitHub's too: ~ strikes through, $ starts maths) may read as a mark inside a line.
_MARKS = re.compile(r"([\\`*_\[\]<>!&|~$#])")
_LESSON = ExperimentConfig()


def markdown_escaped(text: str) -> str:
    """`text` as Markdown that shows it as typed, on one line: in a sentence, a heading, a table's
    cell or an image's alt text (a `|` cannot end a cell, a `<` cannot start HTML)."""
    return _MARKS.sub(r"\\\1", " ".join(str(text).split()))


@dataclass(frozen=True)
class Exhibit:
    """One piece of evidence for one question, from the student's own data or runs.

    `key` ("1:data": the question, a colon, a name) is what a page keeps when the student ticks it;
    `title` is short plain text; `text` is Markdown, the names in it escaped; `table` holds rows of
    plain values (whoever writes it as Markdown escapes them), maybe none; `png` is a picture or
    None, handed in as `file` ("figures/q1-data.png"), and `alt` says in one plain sentence what it
    shows, for a screen reader and as the picture's alt text.
    """

    key: str
    question: int
    title: str
    text: str
    table: list[dict]
    png: bytes | None
    alt: str
    file: str | None

    def __post_init__(self):
        found = _KEY.fullmatch(self.key)
        if not found:
            raise ValueError(f"key must be a question 1 to 6, a colon and 1 to 20 letters or _ "
                             f"(like '1:data'); got {self.key!r}.")
        if int(found.group(1)) != self.question:
            raise ValueError(f"question must be the key's number, {found.group(1)}; got {self.question!r}.")
        if (self.png is None) != (self.file is None):
            raise ValueError(f"png and file go together; got png {'None' if self.png is None else 'bytes'} "
                             f"and file {self.file!r}.")
        if self.file is not None and not _FILE.fullmatch(self.file):
            raise ValueError(f"file must be figures/q<question>-<name>.png in lower case; got {self.file!r}.")
        if self.png is not None and (not self.png.startswith(_PNG_SIGNATURE) or not self.alt.strip()):
            raise ValueError(f"png must be a PNG picture with an alt sentence saying what it shows; "
                             f"got {self.png[:8]!r} and alt {self.alt!r}.")


def _exhibit(key: str, title: str, text: str, table: Sequence[dict] = (), png: bytes | None = None,
             alt: str = "") -> Exhibit:
    """An exhibit, its question and its picture's file taken from its key."""
    question, name = key.split(":")
    file = f"figures/q{question}-{name.replace('_', '-')}.png" if png is not None else None
    return Exhibit(key, int(question), title, text, list(table), png, alt, file)


def _percent(share: float) -> str:
    return f"{share:.2%}" if np.isfinite(share) else "–"


def _shape(array: np.ndarray) -> str:
    return "`(" + ", ".join(map(str, np.shape(array))) + ")`"


def data_exhibit(train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray,
                 test_labels: np.ndarray, class_names: Sequence[str]) -> Exhibit:
    """Question 1: how many images, how they are split, their size, the classes and an image of
    each, and how many training images each class has."""
    from fmnist_core.figures import paper

    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    if len(train_images) != len(train_labels) or len(test_images) != len(test_labels):
        raise ValueError(f"each image needs its label: {len(train_images)} training images with "
                         f"{len(train_labels)} labels, {len(test_images)} test images with "
                         f"{len(test_labels)}.")
    height, width = np.shape(train_images)[1:]
    classes = len(class_names)
    trains, tests = np.bincount(train_labels, minlength=classes), np.bincount(test_labels, minlength=classes)
    named = ", ".join(f"{label} {markdown_escaped(name)}" for label, name in enumerate(class_names))
    text = (f"Fashion-MNIST holds **{len(train_images) + len(test_images):,}** greyscale images of clothing, "
            f"each {height}×{width} pixels: **{len(train_images):,}** to train the network "
            f"(`train_images.shape` is {_shape(train_images)}) and **{len(test_images):,}** to test it "
            f"({_shape(test_images)}), images it never learns from. Each label is a number that stands "
            f"for one of {classes} classes: {named}.")
    # The class first: a table row starting with a number 1 to 6 reads as a question to the checker.
    table = [{"class": name, "label": label, "training images": int(trains[label]),
              "test images": int(tests[label])} for label, name in enumerate(class_names)]
    firsts = [(label, np.flatnonzero(train_labels == label)[0]) for label in range(classes) if trains[label]]
    png = paper.sample_sheet(np.asarray([train_images[index] for _, index in firsts]),
                             [f"{label} {class_names[label]}" for label, _ in firsts])
    alt = (f"The first training image of each of the {classes} classes, dark on white, each under its "
           f"label and class name: {', '.join(class_names[label] for label, _ in firsts)}.")
    return _exhibit("1:data", "The images and their classes", text, table, png, alt)


def _normalise_pairs(runs: Iterable) -> list[tuple]:
    """(normalised run, raw run) for each finished run on raw pixels whose settings, normalising
    aside, a finished run shares (the latest of each), as the experiment "Normalised vs raw"."""
    finished = [run for run in runs if run.state is RunState.DONE]
    normalised = {run.config: run for run in finished if run.config.normalize}
    pairs = {}
    for raw in finished:
        partner = normalised.get(raw.config.with_changes(normalize=True))
        if not raw.config.normalize and partner is not None:
            pairs[raw.config] = (partner, raw)
    return list(pairs.values())


def pixels_exhibit(image: np.ndarray, runs: Iterable = ()) -> Exhibit:
    """Question 2: one training image's pixels before and after dividing by 255, and the test
    accuracies of the student's runs with and without normalising, if they trained both."""
    from fmnist_core.figures import paper

    pixels = np.asarray(image, dtype=float)
    if pixels.ndim != 2 or pixels.max() <= 1 or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"image must be one image's raw pixels, 0 to 255 (as loaded); got shape "
                         f"{pixels.shape}, values {pixels.min():g} to {pixels.max():g}.")
    low, high, mean = pixels.min(), pixels.max(), pixels.mean()
    text = (f"One training image is {pixels.shape[0]}×{pixels.shape[1]} = {pixels.size:,} pixels. As loaded "
            f"they go from {low:g} to {high:g} (mean {mean:.1f}); divided by 255 they go from "
            f"{low / 255:.2g} to {high / 255:.2g} (mean {mean / 255:.3f}). The picture stays the same: "
            "only the numbers become small, the size the network's starting weights and the optimizer's "
            "steps are made for.")
    table = []
    for normalised, raw in _normalise_pairs(runs):
        table += [{"run": run.name, "pixels": pixels_as, "epochs": run.epochs_done,
                   "test accuracy": _percent(run.test_accuracy)}
                  for run, pixels_as in ((normalised, "0–1 (divided by 255)"), (raw, "0–255 (as loaded)"))]
        text += (f" Normalised, **{markdown_escaped(normalised.name)}** reached "
                 f"{_percent(normalised.test_accuracy)} test accuracy; on raw pixels, "
                 f"**{markdown_escaped(raw.name)}** reached {_percent(raw.test_accuracy)}.")
    alt = (f"A training image beside the histogram of its {pixels.size} pixel values: {low:g} to {high:g} as "
           f"loaded on the lower axis, {low / 255:.2g} to {high / 255:.2g} divided by 255 on the upper one.")
    return _exhibit("2:pixels", "Pixels before and after dividing by 255", text, table,
                    paper.pixel_values(pixels), alt)


def model_exhibit(config: ExperimentConfig) -> Exhibit:
    """Question 3: the model's layers, what each does, and how its parameters add up."""
    specs = layer_specs(config)
    sums, width = [], None
    for spec in specs:
        if spec.kind == "dense":
            sums.append(f"{spec.name} ({width:,} + 1) × {spec.units} = {spec.params:,}")
        elif spec.params:
            sums.append(f"{spec.name} {spec.params:,}")
        width = spec.output_shape[-1]
    total, trained = parameter_count(config), trainable_count(config)
    trained_words = "" if trained == total else f", of which the optimizer trains {trained:,}"
    text = (f"The network has {count(len(specs), 'layer')}: {', '.join(spec.name for spec in specs)}. "
            f"It has **{total:,}** parameters{trained_words}: {'; '.join(sums)}. The other layers "
            "have nothing to learn. The output layer gives "
            f"{count(specs[-1].units, 'score')}, one a class; softmax turns them into probabilities.")
    return _exhibit("3:model", "The model's layers", text, layer_table(config).to_dict("records"))


def epochs_exhibit(run) -> Exhibit:
    """Question 4: what an epoch is in the run's numbers (images, batch, steps), what the run did,
    and its accuracy and loss after each epoch."""
    from fmnist_core.figures import paper

    config, history, held_out = run.config, list(run.history), run.config.held_out_name
    images, batch, steps = config.fit_images, config.batch_size, config.steps_per_epoch
    held = (f" ({config.validation_images:,} of its {config.train_size:,} are held out to validate on)"
            if config.validation_split > 0 else "")
    division = (f"{images:,} ÷ {batch} = {steps:,} update steps" if images % batch == 0 else
                f"{images:,} ÷ {batch} = {images / batch:,.2f}, so {steps:,} update steps, the last "
                f"batch of {images % batch}")
    text = (f"An epoch is one pass over all {images:,} training images{held}, in batches of {batch}: "
            f"{division}. The run **{markdown_escaped(run.name)}** did {count(run.epochs_done, 'epoch')}"
            f"{'' if run.epochs_done == config.epochs else f' of {config.epochs} ({run.ending})'}: "
            f"{run.epochs_done * steps:,} steps, each training image seen {times(run.epochs_done)}.")
    table = [{"epoch": f"{record.epoch}/{config.epochs}", "training accuracy": _percent(record.accuracy),
              "training loss": f"{record.loss:.4f}", f"{held_out} accuracy": _percent(record.val_accuracy),
              f"{held_out} loss": f"{record.val_loss:.4f}"} for record in history]
    if not history:
        return _exhibit("4:epochs", "Epochs and steps", text)
    first, last = history[0], history[-1]
    text += (f" Its training accuracy went from {_percent(first.accuracy)} after epoch 1 to "
             f"{_percent(last.accuracy)} after epoch {last.epoch}, its {held_out} accuracy from "
             f"{_percent(first.val_accuracy)} to {_percent(last.val_accuracy)}.")
    alt = (f"Accuracy and loss after each of the {count(len(history), 'epoch')} of the run {run.name}, "
           f"training as a solid line and {held_out} dashed: {held_out} accuracy from "
           f"{_percent(first.val_accuracy)} to {_percent(last.val_accuracy)}.")
    png = paper.epoch_curves(history, held_out=held_out, title=run.name)
    return _exhibit("4:epochs", "Epochs and steps", text, table, png, alt)


def prediction_exhibit(image: np.ndarray, probabilities: Sequence[float], label: int,
                       class_names: Sequence[str], run_name: str) -> Exhibit:
    """Question 5: what the run predicts for the first test image, how sure it is, and its label."""
    from fmnist_core.figures import paper

    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (len(class_names),) or not 0 <= label < len(class_names):
        raise ValueError(f"probabilities must hold one value a class ({len(class_names)}) and label be "
                         f"0 to {len(class_names) - 1}; got {probabilities.shape[0]} values and label "
                         f"{label!r}.")
    predicted = int(np.argmax(probabilities))
    right = predicted == label
    verdict = ("The prediction is right." if right else
               f"The prediction is wrong: {markdown_escaped(class_names[label])} had "
               f"{probabilities[label]:.1%}.")
    text = (f"For the first test image, **{markdown_escaped(run_name)}** predicts label {predicted}, "
            f"**{markdown_escaped(class_names[predicted])}**, with a probability of "
            f"{probabilities[predicted]:.1%}. Its actual label is {label}, "
            f"**{markdown_escaped(class_names[label])}**. {verdict}")
    notes = {predicted: "predicted", label: "label"} if not right else {label: "predicted = label"}
    table = [{"class": name, "label": index, "probability": f"{probabilities[index]:.2%}",
              "note": notes.get(index, "")} for index, name in enumerate(class_names)]
    alt = (f"The first test image, labelled {class_names[label]}, beside the probability {run_name} gives "
           f"each of the {len(class_names)} classes as bars: the highest is {class_names[predicted]} at "
           f"{probabilities[predicted]:.1%}, {'right' if right else 'wrong'}.")
    png = paper.prediction(image, probabilities, label, class_names)
    return _exhibit("5:prediction", "The first test image", text, table, png, alt)


_RUNGS = {rung.change for rung in RUNGS}
_QUICK_WORDS = f"{QUICK.train_size:,} images, {count(QUICK.epochs, 'epoch')}"


def what_it_is(config: ExperimentConfig) -> str:
    """What a run is in the lesson, whatever its seed and its name: the baseline, an exercise, the
    ladder's top or one of its rungs, a quick experiment, or the student's own settings."""
    unseeded = config.with_changes(seed=_LESSON.seed)
    for name in CHANGES:
        if unseeded == exercise_config(name):
            return ("the baseline: the lesson's model" if name == BASELINE else
                    f"exercise: {name}" if name in EXERCISES else
                    f"the ladder's top: {name}" if name == BEST_IN_3_MINUTES else
                    f"the lesson's model with one change: {name}")
    for name in CHANGES:
        if unseeded == exercise_config(name, QUICK):
            return (f"quick baseline ({_QUICK_WORDS})" if name == BASELINE else
                    f"ladder rung: {name}" if name in _RUNGS else f"quick experiment: {name}")
    return "own settings: " + _LESSON.changes_in_words(config)


def _hidden_layers(config: ExperimentConfig) -> str:
    widths = " × ".join(map(str, config.hidden_layers))
    return f"convnet, {widths}" if config.architecture == "cnn" else widths


def runs_exhibit(runs: Iterable) -> Exhibit:
    """Question 6: the student's finished runs, what each is, and their test accuracies."""
    from fmnist_core.figures import paper

    finished = [run for run in runs if run.state is RunState.DONE]
    if not finished:
        return _exhibit("6:runs", "Your runs compared", "No run has finished yet: train the baseline "
                        "and an exercise, then compare their test accuracies here.")
    table = [{"run": run.name, "what it is": what_it_is(run.config),
              "hidden layers": _hidden_layers(run.config), "epochs": run.epochs_done,
              "test accuracy": _percent(run.test_accuracy)} for run in finished]
    best = max(finished, key=lambda run: run.test_accuracy)
    baselines = [run for run in finished if run.config.with_changes(seed=_LESSON.seed) == _LESSON]
    text = (f"{count(len(finished), 'finished run')}. The best, **{markdown_escaped(best.name)}** "
            f"({markdown_escaped(what_it_is(best.config))}), reached **{_percent(best.test_accuracy)}** "
            "test accuracy")
    if baselines and baselines[-1] is not best:
        gain = (best.test_accuracy - baselines[-1].test_accuracy) * 100
        text += (f", {gain:+.2f} points over the baseline **{markdown_escaped(baselines[-1].name)}** "
                 f"({_percent(baselines[-1].test_accuracy)})")
    text += "."
    lowest = min(finished, key=lambda run: run.test_accuracy)
    alt = (f"The test accuracy of each of the {count(len(finished), 'finished run')} as a bar, from "
           f"{_percent(lowest.test_accuracy)} ({lowest.name}) to {_percent(best.test_accuracy)} "
           f"({best.name}), "
           f"with grey lines at {' and '.join(REFERENCES)}.")
    png = paper.accuracy_bars([run.name for run in finished], [run.test_accuracy for run in finished],
                              REFERENCES)
    return _exhibit("6:runs", "Your runs compared", text, table, png, alt)

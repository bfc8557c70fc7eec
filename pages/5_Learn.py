"""Learn: the lesson's six questions, answered with this learner's own data, model and runs."""

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from fmnist_core import figures
from fmnist_core.architecture import layer_table, parameter_count
from fmnist_core.data import sample_indices
from fmnist_core.lesson import EXPERIMENTS, QUICK, QUIZ, check, ladder
from fmnist_core.lesson.words import count
from ui import session, writeup
from ui.charts import chart
from ui.estimates import time_to_train
from ui.live import curves, follow
from ui.page import TRAIN, WRITEUP, frame, page_link
from ui.resources import dataset, training_set_summary

frame(__file__)

data = dataset()
names = data.class_names
runs = session.runs()
st.markdown("Each answer below uses **your** data, **your** model and **your** runs. Press an "
            "experiment's button to see the answer happen; its runs also land in Compare runs.")

if session.jobs():
    follow()
folded = writeup.answers_folded()
if folded:
    st.info("Your class writes first: each answer below stays folded until you hand in your "
            "write-up. The experiments and the quizzes are open.", icon=":material/edit_note:")
    page_link(WRITEUP, "Write your answers: Write-up", ":material/edit_note:")


def experiment(key: str) -> None:
    """The experiment's button, and its runs overlaid once they exist."""
    chosen = EXPERIMENTS[key]
    done = [run for run in runs if run.name.startswith(chosen.title + ":")]
    label = f"▶ Run the experiment: {' vs '.join(chosen.variants)}"
    if st.button(label, key=f"experiment_{key}", disabled=bool(session.jobs())):
        if problem := session.start(chosen.configs()):
            st.warning(problem)
        else:
            st.rerun()
    if done:
        curves({run.name: run.history for run in done}, "test")
        st.dataframe(pd.DataFrame([run.summary() for run in done])[
            ["run", "parameters", "epochs", "test accuracy", "seconds"]], hide_index=True)
        st.caption(f"What to look for: {chosen.lesson}")


def climb_the_ladder() -> None:
    """Section 6: a rung to train beside the baseline, the best network at the top, and every rung
    trained so far, overlaid, with what it gained."""
    seed, busy = session.config().seed, bool(session.jobs())
    choice, go = st.columns([3, 1], vertical_alignment="bottom")
    rungs = {rung.change: rung for rung in ladder.RUNGS}
    change = choice.selectbox("Rung to try", list(rungs), key="ladder_rung")
    if go.button("▶ Train it", key="ladder_train", disabled=busy):
        train_rung(change, seed)
    st.markdown(f"*{change}:* {rungs[change].idea}")
    top = ladder.TOP_RUNG
    st.markdown(f"**At the top — {top.change}:** {top.idea}")
    time_to_train(ladder.rung_config(top.change, seed))
    if st.button(f"▶ Train {top.change.lower()}", key="ladder_top", disabled=busy):
        train_rung(top.change, seed)
    found = ladder.standings(runs)
    if not found:
        return
    curves({standing.rung: standing.run.history for standing in found}, "held-out")
    st.table(pd.DataFrame([standing.row() for standing in found]).set_index("rung"))
    st.caption(f"Each gain is over the baseline with the same seed, in points of test accuracy; "
               f"two seeds of one quick run differ by about {ladder.NOISE_POINTS} points, so a "
               "smaller gain is no clear change. The runs are in Compare runs too.")


def train_rung(change: str, seed: int) -> None:
    if problem := session.start(ladder.to_train(change, seed, runs)):
        st.warning(problem)
    else:
        st.rerun()


def quiz(topic: str) -> None:
    for number, question in enumerate(QUIZ[topic]):
        answer = st.radio(question.prompt, question.options, index=None,
                          key=f"quiz_{topic}_{number}")
        if answer is not None:
            right, sentence = check(question, answer)
            (st.success if right else st.warning)(sentence)


@contextmanager
def question(title: str, *, quiz_on: str, experiment_key: str | None = None) -> Iterator[None]:
    """A question in its box: the title, the answer the `with` block writes (folded while the
    learner's class writes first), then the experiment's button and runs (if any) and the quiz."""
    with st.container(border=True):
        st.header(title)
        if folded:
            with st.expander("The answer: your class writes first. Hand in your write-up, then "
                             "read it here"):
                yield
        else:
            yield
        if experiment_key:
            experiment(experiment_key)
        quiz(quiz_on)


with question("1 · What is Fashion-MNIST?", quiz_on="data"):
    st.markdown(
        f"A set of **{len(data.train_labels) + len(data.test_labels):,}** grey images of "
        f"clothing: **{len(data.train_labels):,}** to train on (shape "
        f"`{data.train_images.shape}`) and **{len(data.test_labels):,}** to test with (shape "
        f"`{data.test_images.shape}`). Each is {data.train_images.shape[1]}×"
        f"{data.train_images.shape[2]} pixels with a label from 0 to 9 — "
        f"{', '.join(f'{label} {name}' for label, name in enumerate(names))} — "
        f"{len(data.train_labels) // 10:,} training images of each class.")
    examples = sample_indices(data.train_labels, 1, seed=0)
    chart(figures.image_grid(data.train_images[examples], names, columns=10),
          key="learn_examples")

with question("2 · Why are pixel values normalised to 0–1?", quiz_on="normalise", experiment_key="normalise"):
    stats, _ = training_set_summary(data)
    st.markdown(
        f"Pixels go from {stats['min']:.0f} to {stats['max']:.0f} (average {stats['mean']:.1f}). "
        f"Dividing by 255 maps them to 0–1 (average {stats['mean'] / 255:.3f}) without changing "
        "the picture. The first layer multiplies every input by a weight and adds them up: with "
        "inputs up to 255 these sums, and the gradients, are huge, so each update step "
        "overshoots. Small inputs keep training steady and fast.")

with question("3 · Which layers does the network have, and what does each do?",
              quiz_on="layers", experiment_key="layers"):
    config = session.config()
    st.markdown(f"Your current model (change it on Build & train) has "
                f"**{parameter_count(config):,}** parameters:")
    st.table(layer_table(config).set_index("layer"))
    st.markdown("The lesson's model is Flatten → Dense(128, relu) → Dense(10): **101,770** "
                "parameters, 100,480 of them in the hidden layer (784 × 128 weights + 128 "
                "biases).")

with question("4 · What is an epoch?", quiz_on="epoch", experiment_key="epochs"):
    config = session.config()
    trained = f" Your last run trained for **{count(runs[-1].epochs_done, 'epoch')}**." if runs else ""
    st.markdown(
        f"One pass over all the training images. With your **{count(config.fit_images, 'image')}** "
        f"in batches of **{config.batch_size}**, the optimizer makes "
        f"**{count(config.steps_per_epoch, 'update step')}** per epoch; "
        f"**{count(config.epochs, 'epoch')}** make "
        f"{count(config.steps_per_epoch * config.epochs, 'step')}.{trained} More epochs help "
        "until the network starts memorising the training images.")

with question("5 · How does the prediction for the first test image compare with its label?",
              quiz_on="prediction"):
    model_run = next(reversed(runs.with_predictions()), None)
    if model_run is None:
        st.info("Train a model first (Build & train, or any experiment on this page).")
        page_link(TRAIN, "Go to Build & train", ":material/arrow_forward:")
    else:
        result = session.evaluation(model_run, data.test_labels)
        predicted, label = result.predicted[0], data.test_labels[0]
        picture, bars = st.columns([1, 2])
        chart(figures.image_heatmap(data.test_images[0], "test image 0"), where=picture,
              key="learn_first_image")
        bars.markdown(
            f"**{model_run.name}** says **{names[predicted]}** with "
            f"**{result.confidence[0]:.0%}** confidence. The label is **{names[label]}**: "
            + ("the prediction is right." if predicted == label else "the prediction is wrong."))
        chart(figures.probability_bars(result.probabilities[0], label, names), where=bars,
              key="learn_first_bars")

with question("6 · How can the accuracy be improved?", quiz_on="improve", experiment_key="initialisation"):
    if runs:
        best = runs.best()
        changed = best.config.differences()
        what = (", ".join(f"{name} = {value}" for name, value in changed.items())
                or "the lesson's settings")
        st.markdown(f"Your best run so far is **{best.name}**: test accuracy "
                    f"**{best.test_accuracy:.2%}**, with {what}.")
    st.markdown("Every answer the lesson gives is a rung of this ladder. Press one to train it "
                f"beside the baseline — the lesson's network on {QUICK.train_size:,} images for "
                f"{count(QUICK.epochs, 'epoch')} — with your seed, and see what it gains **on this "
                "data**: some changes do not help here.")
    climb_the_ladder()
    st.markdown("**Why not start every weight at zero?** Then every hidden neuron computes the same "
                "thing and gets the same update: they stay identical, and 128 copies of one neuron "
                "learn no more than one. Try it:")

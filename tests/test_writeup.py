"""The write-up checker: the three real write-ups, each rule on short texts (what warns and what must
not), write-ups in formats it was not built on, the evidence of runs, and the command line."""

import json
import subprocess
import sys

import pytest

from fmnist_core.config import ExperimentConfig
from fmnist_core.history import EpochRecord
from fmnist_core.lesson.writeup import (
    CHECKLIST,
    LESSON_EVIDENCE,
    QUESTIONS,
    RULES,
    Evidence,
    Model,
    check,
    check_answer,
    check_answers,
    evidence_from_runs,
    find_answers,
    main,
)
from fmnist_core.run import RunState, TrainingRun
from tools.server import REPO, SHARED_WRITEUPS_DIR


def warnings_of(result: dict) -> dict[str, list[str]]:
    """The questions that have warnings, and theirs."""
    return {question: hints["warnings"] for question, hints in result.items() if hints["warnings"]}


def warnings(question: int, text: str, evidence: Evidence = LESSON_EVIDENCE) -> list[str]:
    return check_answer(question, text, evidence)["warnings"]


def covers(question: int, text: str) -> list[str]:
    return check_answer(question, text)["covers"]


def run(test_accuracy: float, train_accuracies=(0.78, 0.86), stopped_after: int | None = None,
        **changes) -> TrainingRun:
    """A finished run of the lesson's model with `changes`, its test accuracy and training log."""
    history = [EpochRecord(epoch, 0.5, accuracy, 0.45, test_accuracy - 0.01, 1.0)
               for epoch, accuracy in enumerate(train_accuracies, start=1)]
    state = RunState.STOPPED if stopped_after else RunState.DONE
    return TrainingRun(ExperimentConfig(**changes), history[:stopped_after], None, 0.35, test_accuracy,
                       10.0, state)


# --- The three real write-ups (../shared/writeups, their README says what a teacher notes) ---

@pytest.fixture(scope="module")
def real() -> dict[str, str]:
    if not SHARED_WRITEUPS_DIR.is_dir():
        pytest.skip(f"the real write-ups are not in {SHARED_WRITEUPS_DIR}")
    return {name: (SHARED_WRITEUPS_DIR / f"writeup-{name}.md").read_text() for name in "abc"}


def test_writeup_a_answers_all_six_and_only_question_5_warns(real):
    result = check(real["a"])
    assert all(hints["found"] for hints in result.values())
    assert warnings_of(result) == {"5": [RULES["no prediction"][0].upper() + RULES["no prediction"][1:]]}
    assert result["1"]["missing"] == ["60,000 to train, 10,000 to test"]
    assert {"70,000 images", "greyscale", "28×28 pixels", "10 classes"} <= set(result["1"]["covers"])
    # Ideas with no result of their own: a hint of what is missing, not a mix-up.
    assert "the accuracy you measured with it" in result["6"]["missing"]
    assert "what the model predicted" in result["5"]["missing"]


def test_writeup_b_quotes_its_own_numbers_and_has_no_warning(real):
    result = check(real["b"])
    assert all(hints["found"] for hints in result.values())
    assert warnings_of(result) == {}
    assert result["3"]["missing"] == [] and result["4"]["missing"] == []
    assert {"what the model predicted", "the image's actual label", "whether they match"} <= set(
        result["5"]["covers"])
    assert {"the accuracy you measured with it", "compared with the baseline"} <= set(result["6"]["covers"])
    answers = find_answers(real["b"])
    assert answers[1].startswith("The Fashion MNIST dataset contains 70,000")  # "answer:" left out
    assert answers[3].startswith("We can see in the step 2.2")  # "amswer:" too


def test_writeup_b_against_runs_that_measured_its_numbers_and_runs_that_did_not(real):
    log = (0.7809, 0.8626, 0.8754, 0.8867, 0.8945, 0.8980, 0.9028)  # its training log, quoted in 4
    its_runs = [run(0.8756, log), run(0.8830, hidden_layers=(256,)), run(0.8895, epochs=50),
                run(0.8816, hidden_layers=(128, 128))]
    assert warnings_of(check(real["b"], evidence_from_runs(its_runs))) == {}
    weaker = [run(0.8756, log), run(0.8830, hidden_layers=(256,))]
    found = warnings_of(check(real["b"], evidence_from_runs(weaker)))
    assert list(found) == ["6"]
    assert [warning.split("”")[0] for warning in found["6"]] == ["“88.95%", "“88.16%"]
    assert "your best test accuracy: 88.30%" in found["6"][0]


def test_writeup_c_is_a_summary_with_answers_1_to_4_and_the_layer_warnings(real):
    result = check(real["c"])
    assert [question for question, hints in result.items() if hints["found"]] == ["1", "2", "3", "4"]
    found = warnings_of(result)
    assert list(found) == ["3"]
    assert len(found["3"]) == 2
    assert found["3"][0].startswith("“4 neurons”") and "128" in found["3"][0]
    assert found["3"][1].startswith("“softmax”") and "logits" in found["3"][1]
    answers = find_answers(real["c"])
    assert "10-20 epochs" in answers[4]
    assert "Making Predictions" not in "".join(answers.values())  # predictions in general: not 5


def test_the_command_line_on_the_real_writeups(real):
    paths = [str(SHARED_WRITEUPS_DIR / f"writeup-{name}.md") for name in "abc"]
    done = subprocess.run([sys.executable, "-m", "fmnist_core.lesson.writeup", "check", *paths],
                          capture_output=True, text=True, cwd=REPO, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == paths
    for line, name in zip(lines, "abc"):
        assert line["questions"] == check(real[name])


# --- Question 1: Fashion-MNIST described as handwritten digits ---

@pytest.mark.parametrize("text", [
    "Fashion-MNIST is a dataset of 70,000 handwritten digits.",
    "The dataset holds images of digits from 0 to 9, 28x28 pixels each.",
    "It has 60,000 hand-written numbers for training and 10,000 for testing.",
    "Fashion MNIST: pictures of single digits, in 10 classes.",
])
def test_digits_for_fashion_mnist_warn(text):
    [warning] = warnings(1, text)
    assert "clothing" in warning and "MNIST" in warning


@pytest.mark.parametrize("text", [
    "It serves as a more complex alternative to the original MNIST handwritten digits dataset.",
    "Unlike MNIST's handwritten digits, Fashion-MNIST shows 70,000 pieces of clothing.",
    "MNIST is handwritten digits. Fashion-MNIST is 70,000 photos of clothing.",
    "Each label is one of the digits 0 to 9, standing for a class of clothing.",
    "70,000 grayscale images of clothes in 10 classes.",
])
def test_mnist_named_to_compare_or_labels_as_digits_do_not_warn(text):
    assert warnings(1, text) == []


# --- Question 5: a label as a number, or no prediction at all ---

@pytest.mark.parametrize(("text", "digit"), [
    ("The model predicted 7 and the actual label is 7, so it is right.", 7),
    ("Predicted: 2, true label: 2.", 2),
    ("np.argmax(predictions[0]) gives 9; test_labels[0] is 9 as well.", 9),
    ("It says 4 with 80% confidence.", 4),
])
def test_a_label_given_as_a_number_only_warns(text, digit):
    [warning] = warnings(5, text)
    assert f"class_names[{digit}]" in warning


@pytest.mark.parametrize("text", [
    "The model predicted 9 = Ankle boot, and the actual label is 9 too.",
    "Predicted label: 0 (T-shirt/top), actual: 0, a match.",
    "My model predicted Sneaker (7) with 97.1% probability; the true class is Sneaker.",
    "It predicted a bag and the image is a bag.",
    "Predicted: trousers. Actual: trousers.",
    "After 2 epochs it predicted a coat, and the image is a coat.",
    "It predicted it right after 5 epochs: a pullover.",
])
def test_a_label_with_its_clothing_does_not_warn(text):
    assert warnings(5, text) == []


def test_only_the_number_without_its_clothing_warns():
    [warning] = warnings(5, "It predicted 7 but the true label was 9 (Ankle boot).")
    assert warning.startswith("“predicted 7”") and "class_names[7]" in warning


@pytest.mark.parametrize("text", [
    "We compare the predicted label with the actual label to see if the model is right.",
    "The prediction is the class with the highest probability; if it equals the true label the "
    "model is correct, otherwise it is a classification error.",
    "The model gets the first test image right.",
])
def test_predictions_in_general_only_warn(text):
    assert warnings(5, text) == [RULES["no prediction"][0].upper() + RULES["no prediction"][1:]]


# --- Question 3: layers, neurons and activations the models do not have; a softmax output ---

@pytest.mark.parametrize(("text", "quoted"), [
    ("A densely connected 2 hidden layer with 4 neurons and ReLU.", "“4 neurons”"),
    ("Three hidden layers of 128 neurons each.", "“Three hidden layers”"),
    ("layers.Dense(512, activation='relu')", "“Dense(512”"),
    ("The hidden layer has 128 neurons with a sigmoid activation.", "“sigmoid”"),
    ("After the hidden layer, a Dropout layer switches off 20% of the neurons.", "“Dropout”"),
    ("A Conv2D layer with 16 filters finds edges.", "“Conv2D”"),
    ("The output layer has 10 neurons and a softmax activation.", "“softmax”"),
    ("layers.Dense(10, activation='softmax')", "“softmax”"),
    ("The last layer uses softmax to give a probability for each class.", "“softmax”"),
])
def test_what_the_lesson_and_its_exercises_do_not_have_warns(text, quoted):
    [warning] = warnings(3, text)
    assert warning.startswith(quoted)


@pytest.mark.parametrize("text", [
    "Flatten turns the 28×28 image into 784 values; Dense(128, activation='relu') is the hidden "
    "layer; Dense(10) gives one logit per class.",
    "One hidden layer of 128 neurons with ReLU, then an output layer of 10 neurons.",
    "For the exercise I added a second hidden layer of 128 neurons.",
    "With 64 neurons the hidden layer learns fewer patterns.",
    "The output layer gives 10 logits; after training, a Softmax layer turns them into probabilities.",
    "Softmax turns the scores into probabilities.",
    "The output layer has no activation, so no softmax: its outputs are logits.",
    "ReLU is used rather than sigmoid because it trains faster.",
    "We could add Dropout or a convolutional layer to do better.",
])
def test_the_lessons_layers_and_hedged_ideas_do_not_warn(text):
    assert warnings(3, text) == []


def test_layers_are_compared_with_the_students_own_runs():
    sigmoid = evidence_from_runs([run(0.86, activation="sigmoid")])
    assert warnings(3, "128 neurons with a sigmoid activation.", sigmoid) == []
    [relu] = warnings(3, "128 neurons with a ReLU activation.", sigmoid)
    assert relu.startswith("“ReLU”") and "your runs use sigmoid" in relu
    assert warnings(3, "A Dropout layer follows the hidden layer.",
                    evidence_from_runs([run(0.88, dropout=0.2)])) == []
    assert warnings(3, "A Conv2D layer, max pooling, then Flatten.",
                    evidence_from_runs([run(0.90, architecture="cnn")])) == []
    small = evidence_from_runs([run(0.85, hidden_layers=(64,))])
    [neurons] = warnings(3, "The hidden layer has 128 neurons.", small)
    assert "theirs: 64" in neurons
    [layers] = warnings(3, "There are 2 hidden layers.", small)
    assert layers == "“2 hidden layers”: your runs have 1 hidden layer, not 2."
    # the exercise's second layer is in the lesson's evidence, not in these runs
    assert warnings(3, "There are 2 hidden layers.") == []


# --- Accuracies no run reached (only with runs) ---

RUNS = [run(0.8895, train_accuracies=(0.80, 0.8867, 0.9028)), run(0.8756, hidden_layers=(64,))]


@pytest.mark.parametrize("text", [
    "50 epochs: 88.95 % test accuracy.",
    "The test accuracy was 0.8895.",
    "An accuracy of 89%.",
    "About 89 % accuracy with 50 epochs.",
    "88,95 % accuracy.",
    "Accuracy over 85% for every run.",
    "The baseline reached 87.56% accuracy and 50 epochs 88.95%.",
    "The accuracy improved by 1.4% with more epochs.",
    "Epoch 3/10 - accuracy: 0.9028 - loss: 0.2671",
    "A CNN could reach 92% accuracy.",
    "Its loss was 0.31 with 88.95% accuracy, and it was 97% sure of the first image.",
])
def test_accuracies_a_run_measured_as_a_student_writes_them_do_not_warn(text):
    assert warnings(6, text, evidence_from_runs(RUNS)) == []


@pytest.mark.parametrize(("text", "quoted"), [
    ("50 epochs gave 91.2% accuracy.", "“91.2%”"),
    ("Test accuracy: 0.9050", "“0.9050”"),
    ("An accuracy above 92% with dropout.", "“92%”"),
    ("88.97% accuracy with 50 epochs.", "“88.97%”"),
    ("Its test accuracy of 90.15 % was the best.", "“90.15 %”"),
])
def test_an_accuracy_nobody_reached_warns(text, quoted):
    [warning] = warnings(6, text, evidence_from_runs(RUNS))
    assert warning.startswith(quoted) and "your best test accuracy: 88.95%" in warning
    assert warnings(6, text) == []  # without runs, accuracies are not checked


def test_an_accuracy_rounded_or_cut_as_the_student_writes_it_matches():
    for measured in (0.8895, 0.889512, 0.88946, 0.88957):
        evidence = evidence_from_runs([run(measured)])
        for written in ("88.95 %", "0.8895", "89 %", "88.9%"):
            assert warnings(6, f"Test accuracy {written}.", evidence) == [], (measured, written)


# --- The checklist: generous about wording ---

@pytest.mark.parametrize("text", [
    "60000 images to train and 10000 to test.", "60,000 training and 10,000 test images.",
    "60 000 for training, 10 000 for testing.", "A 60k / 10k split.",
])
def test_the_split_in_any_writing_of_its_numbers(text):
    assert {"70,000 images", "60,000 to train, 10,000 to test"} <= set(covers(1, text))


@pytest.mark.parametrize(("text", "label"), [
    ("grayscale", "greyscale"), ("greyscale", "greyscale"), ("gray-scale", "greyscale"),
    ("black and white", "greyscale"), ("28x28", "28×28 pixels"), ("28 × 28", "28×28 pixels"),
    ("28 by 28", "28×28 pixels"), ("ten kinds of clothing", "10 classes"),
    ("10 different categories", "10 classes"), ("shirts, sneakers and bags", "images of clothing"),
])
def test_question_1_phrasings(text, label):
    assert label in covers(1, f"Images: {text}.")


def test_question_1_numbers_that_are_not_what_they_seem():
    assert covers(1, "10,000 test images.") == []  # not 10 classes, not the split
    assert "60,000 to train, 10,000 to test" not in covers(1, "60,000 training images.")


@pytest.mark.parametrize("text", ["x / 255.0", "divided by 255", "between 0 and 1", "from 0-255 to 0-1"])
def test_question_2_scaling_phrasings(text):
    assert "scaled to 0–1 (divided by 255)" in covers(2, text)


@pytest.mark.parametrize("text", [
    "1,875 steps an epoch", "1875 batches", "batches of 32", "32 images per batch",
    "the number of steps per epoch",
])
def test_question_4_steps_phrasings(text):
    assert "steps per epoch: 60,000 ÷ 32 = 1,875" in covers(4, text)


def test_every_question_has_a_checklist_and_every_result_all_six_keys():
    assert set(CHECKLIST) == set(QUESTIONS) == {1, 2, 3, 4, 5, 6}
    for result in (check(""), check_answers({}), check("Nothing to do with the lesson.")):
        assert list(result) == ["1", "2", "3", "4", "5", "6"]
        for question, hints in result.items():
            assert hints == {"found": False, "covers": [],
                             "missing": [item.label for item in CHECKLIST[int(question)]],
                             "warnings": []}
    with pytest.raises(ValueError, match="question must be one of 1 to 6, got 7"):
        check_answer(7, "text")


# --- Write-ups it was not built on, in other formats ---

Q_COLON = """# My Fashion-MNIST homework

Q1: Fashion-MNIST is a set of 70000 greyscale pictures of clothes from Zalando, 28 by 28 pixels, split
60k for training and 10k for testing, in ten classes.

Q2: The pixels go from 0 to 255; we divide by 255 so they are between 0 and 1. With small inputs on the
same scale the optimizer converges faster.

Q3: Flatten makes the 28x28 image a vector of 784 numbers. Then Dense(128, activation='relu') is the
hidden layer, and Dense(10) outputs one logit per class.

Q4: An epoch is one pass over all the training images: 60,000 / 32 = 1875 steps per epoch. I trained
10 epochs.

Q5: My model predicted 9 for the first test image, and its label is 9 too.

Q6: With 256 neurons I got 0.8830 test accuracy, against 0.8756 for the baseline.
"""

BOLD = """Fashion MNIST lab
=================

**1. What is the Fashion MNIST dataset?**
It is 70,000 images of handwritten digits, 28×28 pixels.

**2. Why do we normalize?**
To put every pixel between 0 and 1.

**3. What layers are used?**
1. Flatten: 784 values
2. Dense: 64 neurons, relu
3. Dense: 10 neurons with a softmax activation
4. Dropout after the hidden layer

**4. What is an epoch?**
A complete run through every training image.

```python
# 5. not a question: a comment in the code
model.fit(train_images, train_labels, epochs=10)
```

**5. Compare the predicted and actual label of the first test image.**
The model predicts Ankle boot with 99.9% probability and the actual label is Ankle boot: they match.

**6. How can accuracy be improved?**
More epochs: 50 epochs gave 89.1% accuracy compared to 87.6% before.

## References
The Keras tutorial, 60,000 images of handwritten digits in MNIST.
"""

TABLE = """# Lesson answers

| # | Question | My answer |
|---|----------|-----------|
| 1 | What is Fashion-MNIST? | Ten classes of clothing photos (T-shirts, trousers, bags…), \
60 000 to train and 10 000 to test, gray-scale 28x28. |
| 2 | Why normalise the pixels? | 0–255 becomes 0.0–1.0, which keeps the training stable. |
| 3 | Which layers? | Flatten (784), one hidden Dense layer of 128 ReLU neurons, and an output layer of \
10 scores. |
| 4 | What is an epoch? | One pass over the 60,000 training images, in 1,875 batches of 32. |
| 5 | First test image? | predicted: 9, actual: 9 |
| 6 | How to improve? | A CNN could reach 91% accuracy; I have not tried it yet. |
"""

HEADINGS_WITHOUT_NUMBERS = """# Classifying clothes

## How can the accuracy be improved?
I tried a second hidden layer of 128 neurons: 88.2 % test accuracy, the baseline had 87.6 %.

## What is an epoch?
Each epoch the network sees every training image once, 1,875 steps of 32 images.

## Why are pixels normalised?
Dividing by 255 keeps the inputs in 0-1, so the gradients stay small and training is stable.

## What does the network look like?
A Flatten layer, 2 hidden layers with 128 neurons each using sigmoid, and an output Dense layer with
10 outputs.

## What did the model predict for the first test image?
It said 7 with 95% confidence, but the actual label is 9.
"""

SUMMARY = (
    "In this project I classified the Fashion-MNIST dataset, 70,000 grayscale 28x28 images of "
    "clothing in 10 classes. I scaled the pixel values from 0-255 to 0-1 so that training converges "
    "faster. The model has a Flatten layer, a Dense hidden layer of 128 neurons with ReLU and a Dense "
    "output layer with 10 logits. I trained for 10 epochs, one epoch being one pass over the 60,000 "
    "training images. For the first test image the model predicted Ankle boot, and the true label is "
    "Ankle boot as well. Adding dropout improved the test accuracy from 87.6% to 88.1%.")


def test_q_colon_lines_with_the_answer_on_the_same_line():
    result = check(Q_COLON)
    assert all(hints["found"] for hints in result.values())
    assert all(hints["missing"] == [] for question, hints in result.items() if question != "5")
    [warning] = warnings_of(result)["5"]
    assert warning.startswith("“predicted 9”")
    assert find_answers(Q_COLON)[2].startswith("The pixels go from 0 to 255")


def test_bold_questions_a_list_inside_an_answer_a_code_comment_and_a_section_after():
    answers = find_answers(BOLD)
    assert sorted(answers) == [1, 2, 3, 4, 5, 6]
    assert answers[3].startswith("1. Flatten") and "4. Dropout" in answers[3]
    assert answers[4].startswith("A complete run") and "model.fit" in answers[4]
    assert "References" not in answers[6] and "MNIST" not in answers[6]
    found = warnings_of(check(BOLD))
    assert list(found) == ["1", "3"]
    assert found["1"][0].startswith("“images of handwritten digits”")
    assert [warning.split("”")[0] for warning in found["3"]] == ["“softmax", "“Dropout"]


def test_a_table_of_questions_and_answers():
    answers = find_answers(TABLE)
    assert sorted(answers) == [1, 2, 3, 4, 5, 6]
    assert answers[5] == "predicted: 9, actual: 9"
    result = check(TABLE, evidence_from_runs(RUNS))
    assert result["1"]["missing"] == [] and result["3"]["missing"] == []
    assert list(warnings_of(result)) == ["5"]  # "could reach 91%" is a hope, not a result
    assert result["6"]["missing"] == ["the accuracy you measured with it", "compared with the baseline"]


def test_question_headings_without_numbers_in_another_order():
    answers = find_answers(HEADINGS_WITHOUT_NUMBERS)
    assert sorted(answers) == [2, 3, 4, 5, 6]  # no question 1
    assert answers[6].startswith("I tried a second hidden layer")  # its heading decides, not "layer"
    found = warnings_of(check(HEADINGS_WITHOUT_NUMBERS))
    assert list(found) == ["3", "5"]
    assert found["3"] == ["“sigmoid”: the hidden layers of the lesson's model and its exercises use "
                          "relu, not sigmoid."]
    assert [warning.split("”")[0] for warning in found["5"]] == ["“said 7", "“actual label is 9"]


def test_a_summary_in_one_paragraph():
    answers = find_answers(SUMMARY)
    assert sorted(answers) == [1, 2, 3, 4, 5, 6]
    assert answers[5].startswith("For the first test image")
    assert answers[6].startswith("Adding dropout")
    assert warnings_of(check(SUMMARY)) == {}


@pytest.mark.parametrize("text", [
    "Question 1\nWhat is Fashion-MNIST?\nAnswer: 70,000 images of clothing.\n\nQuestion 2\nWhy?\n"
    "Answer: to scale pixels to 0-1.",
    "1) What is Fashion-MNIST?\n70,000 images of clothing.\n2) Why normalise?\nTo scale pixels to 0-1.",
    "### Q1 — What is Fashion-MNIST?\nA: 70,000 images of clothing.\n### Q2 — Why normalise?\n"
    "A: to scale pixels to 0-1.",
    "1. Fashion-MNIST is 70,000 images of clothing from Zalando's shop.\n"
    "2. Pixels are normalised to scale them to 0-1 before training.",
])
def test_more_ways_to_number_the_questions(text):
    answers = find_answers(text)
    assert sorted(answers) == [1, 2]
    assert answers[1].lower().startswith(("70,000 images of clothing", "fashion-mnist is 70,000"))
    assert "0-1" in answers[2] and "?" not in answers[2]


# --- The evidence ---

def test_without_runs_the_lesson_and_its_exercises_and_no_accuracies():
    assert {model.hidden_layers for model in LESSON_EVIDENCE.models} == {(128,), (64,), (256,), (128, 128)}
    assert {model.activation for model in LESSON_EVIDENCE.models} == {"relu"}
    assert LESSON_EVIDENCE.accuracies is None and not LESSON_EVIDENCE.checks_accuracy
    assert LESSON_EVIDENCE.epochs == (10, 50)
    assert evidence_from_runs([]) is LESSON_EVIDENCE


def test_evidence_from_runs_keeps_each_model_once_and_every_accuracy_measured():
    runs = [run(0.88, (0.80, 0.85)), run(0.87, (0.79, 0.84)), run(0.9, (0.9, 0.93), architecture="cnn",
                                                                    dropout=0.2, stopped_after=1)]
    evidence = evidence_from_runs(runs)
    assert evidence.models == (Model((128,)), Model((128,), architecture="cnn", dropout=True))
    assert evidence.models[1].layer_kinds == {"convolution", "pooling", "dropout"}
    assert evidence.accuracies == (0.87, 0.88, 0.9)
    assert {0.80, 0.85, 0.79, 0.84, 0.9, 0.89} <= set(evidence.epoch_accuracies)  # training, held out
    assert 0.93 not in evidence.epoch_accuracies  # the stopped run never reached its second epoch
    assert evidence.epochs == (1, 2) and evidence.checks_accuracy


# --- The command line ---

def test_an_unreadable_file_exits_2_and_the_others_are_still_checked(tmp_path, capsys):
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text(Q_COLON)
    second.write_bytes(SUMMARY.encode("cp1252"))  # not UTF-8: still read
    missing = tmp_path / "missing.md"
    assert main(["check", str(first), str(missing), str(tmp_path), str(second)]) == 2
    output = capsys.readouterr()
    lines = [json.loads(line) for line in output.out.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(second)]
    assert lines[0]["questions"] == check(Q_COLON)
    assert list(lines[1]["questions"]) == ["1", "2", "3", "4", "5", "6"]
    assert f"cannot read {missing}: No such file or directory" in output.err
    assert f"cannot read {tmp_path}: Is a directory" in output.err


def test_the_command_line_asks_for_a_file(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["check"])
    assert exit.value.code == 2 and "FILE" in capsys.readouterr().err

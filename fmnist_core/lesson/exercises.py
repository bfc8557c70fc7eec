"""The lesson's exercises, the experiments that answer its six questions, and a self-check quiz."""

from dataclasses import dataclass

from fmnist_core.config import ExperimentConfig

BASELINE = "Baseline: the lesson"
BEST_IN_3_MINUTES = "The best in 3 minutes"
# Bigger batches and steps: the convnet passes 0.90 test accuracy in ≈ 15 s here (23–42 s at 32).
_CONVNET = {"architecture": "cnn", "batch_size": 128, "learning_rate": 0.003}
# Every change to the lesson's settings that an exercise or an experiment tries, by name.
CHANGES = {
    BASELINE: {},
    "64 neurons": {"hidden_layers": (64,)},
    "256 neurons": {"hidden_layers": (256,)},
    "50 epochs": {"epochs": 50},
    "A second hidden layer": {"hidden_layers": (128, 128)},
    "10 epochs": {"epochs": 10},
    "Raw pixels": {"normalize": False},
    "A convnet": _CONVNET,
    "He initialisation": {"initializer": "he_normal"},
    "All-zero weights": {"initializer": "zeros"},
    # Section 6's ladder (see `ladder`): each answer to "how can accuracy be improved?".
    "15 epochs": {"epochs": 15},
    "Dropout": {"dropout": 0.2},
    "Data augmentation": {"flip": True, "shift": 2},
    "A cosine learning-rate schedule": {"lr_schedule": "cosine"},
    "Early stopping": {"epochs": 15, "validation_split": 0.1, "early_stopping": 2},
    "L2 weight decay": {"l2": 0.0001},
    "Batch normalisation": {"batch_norm": True},
    "RMSprop": {"optimizer": "rmsprop"},
    # Tried here (seed 42, batch normalisation, cosine): the convnet with flips, 20 epochs, 0.9172;
    # with 256 neurons and dropout 0.3 too, 0.9278 in 310 s; 12 epochs 0.9239 in 142 s, 10 0.9215.
    BEST_IN_3_MINUTES: {"train_size": 60_000, "epochs": 12, **_CONVNET, "batch_norm": True,
                        "hidden_layers": (256,), "dropout": 0.3, "flip": True,
                        "lr_schedule": "cosine"},
}
# The lesson's own exercises, each compared with the baseline (Compare runs).
EXERCISES = (BASELINE, "64 neurons", "256 neurons", "50 epochs", "A second hidden layer")

# Short runs, so a class can run each experiment in well under a minute per run.
QUICK = ExperimentConfig(train_size=10_000, epochs=5)


def exercise_config(name: str, base: ExperimentConfig | None = None) -> ExperimentConfig:
    """The lesson's settings (or `base`) with the named change."""
    if name not in CHANGES:
        raise ValueError(f"exercise must be one of {', '.join(CHANGES)}; got {name!r}.")
    return (base or ExperimentConfig()).with_changes(**CHANGES[name])


@dataclass(frozen=True)
class Experiment:
    """Runs that differ in one setting, trained side by side and overlaid."""

    title: str
    variants: dict[str, str]  # run label → the name of its change to QUICK (in CHANGES)
    lesson: str  # what to look for

    def configs(self) -> dict[str, ExperimentConfig]:
        return {self.run_name(label): exercise_config(change, QUICK)
                for label, change in self.variants.items()}

    def run_name(self, label: str) -> str:
        return f"{self.title}: {label}"


EXPERIMENTS = {
    "normalise": Experiment(
        "Normalised vs raw", {"pixels 0–1": BASELINE, "pixels 0–255": "Raw pixels"},
        "With raw 0–255 inputs the first layer's sums are 255 times larger: the loss starts "
        "high and jumps about, and accuracy lags behind."),
    "neurons": Experiment(
        "Neurons", {"64": "64 neurons", "128": BASELINE, "256": "256 neurons"},
        "More neurons give more weights to fit: a little better on the training images, "
        "often only slightly better on the test images."),
    "layers": Experiment(
        "Hidden layers", {"one layer": BASELINE, "two layers": "A second hidden layer"},
        "A second layer can combine the first layer's patterns, but on this data it barely "
        "changes the test accuracy."),
    "epochs": Experiment(
        "Epochs", {"10 epochs": "10 epochs", "50 epochs": "50 epochs"},
        "Training accuracy keeps climbing with more epochs; test accuracy levels off and the "
        "test loss starts rising: the network begins to memorise (over-fitting)."),
    "initialisation": Experiment(
        "Starting weights", {"Glorot (default)": BASELINE, "He normal": "He initialisation",
                             "all zeros": "All-zero weights"},
        "With every weight starting at zero, all hidden neurons compute the same output and get "
        "the same update, so they stay identical for ever: 128 copies of one neuron (Inside the "
        "network shows it). Random starting weights break that symmetry; Glorot and He only "
        "choose how widely to spread them."),
    "architecture": Experiment(
        "Dense vs convolutional", {"dense (MLP)": BASELINE, "convnet (CNN)": "A convnet"},
        "Convolutions look at small patches wherever they are in the image: the CNN usually "
        "beats the dense network by a few points, at a higher cost per epoch."),
}


@dataclass(frozen=True)
class QuizQuestion:
    prompt: str
    options: tuple[str, ...]
    answer: int  # index into options
    why: str


QUIZ = {
    "data": (
        QuizQuestion("How many classes does Fashion-MNIST have?", ("2", "10", "28", "784"), 1,
                     "Ten kinds of clothing, labelled 0 (T-shirt/top) to 9 (Ankle boot)."),
        QuizQuestion("Why keep 10,000 test images apart?",
                     ("To train faster", "To measure the network on images it never learned from",
                      "Because they are blurry"), 1,
                     "Accuracy on training images flatters the network; unseen images tell the "
                     "truth."),
    ),
    "normalise": (
        QuizQuestion("After dividing by 255, a white pixel (255) becomes…", ("0", "0.5", "1", "255"),
                     2, "255 / 255 = 1; black stays 0."),
        QuizQuestion("What does normalising change in the picture itself?",
                     ("It gets brighter", "Nothing: only the scale of the numbers",
                      "It gets smaller"), 1,
                     "The image looks the same; the inputs become small numbers the optimizer "
                     "handles well."),
    ),
    "layers": (
        QuizQuestion("What does the Flatten layer learn?",
                     ("Nothing: it only reshapes 28×28 into 784", "The edges",
                      "The class names"), 0, "It has 0 parameters."),
        QuizQuestion("Why does the last Dense layer have 10 neurons?",
                     ("Ten epochs", "One score per class", "Ten pixels"), 1,
                     "Each of the 10 outputs scores one class; the highest wins."),
    ),
    "epoch": (
        QuizQuestion("With 60,000 images and batches of 32, how many update steps make an epoch?",
                     ("32", "1,875", "60,000", "10"), 1, "60,000 ÷ 32 = 1,875."),
        QuizQuestion("Training accuracy keeps rising but test accuracy falls. This is…",
                     ("under-fitting", "over-fitting", "normalisation"), 1,
                     "The network memorises the training images instead of learning what "
                     "generalises."),
    ),
    "prediction": (
        QuizQuestion("The model outputs [0.01, 0.02, …, 0.90] for an image. Its prediction is…",
                     ("the class with the largest value", "the first class",
                      "the average of the values"), 0, "np.argmax picks the most likely class."),
    ),
    "improve": (
        QuizQuestion("Which change is most likely to raise test accuracy on images?",
                     ("Training on raw 0–255 pixels", "A convolutional network",
                      "Fewer training images"), 1,
                     "Convolutions reuse the same small filters everywhere in the image."),
    ),
}


def check(question: QuizQuestion, chosen: str) -> tuple[bool, str]:
    """Whether `chosen` is right, and the sentence to show either way."""
    right = chosen == question.options[question.answer]
    verdict = "Right!" if right else f"Not quite — it's “{question.options[question.answer]}”."
    return right, f"{verdict} {question.why}"

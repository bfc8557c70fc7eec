"""Every setting of one experiment, validated at the door, in one table (like Playground's state.ts).

`SETTINGS` lists each setting once: its type, default, allowed values and a plain-words help.
`ExperimentConfig` is immutable and validated on creation; `to_query()` / `from_query()` turn it
into a flat dict of strings and back, so the whole experiment fits in a page URL.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from fmnist_core.data import TRAIN_IMAGES

MAX_HIDDEN_LAYERS = 3
INITIALIZERS = ("glorot_uniform", "he_normal", "zeros")
LR_SCHEDULES = ("constant", "step", "cosine")
WIDGETS = ("layers", "slider", "select_slider", "radio", "selectbox", "toggle", "number")


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: what a value may be, what it means, and how a page shows it.

    `widget` is one of WIDGETS; `options` are the values a select slider offers (a link may bring
    another one, which is then offered too); `option_labels` name choices for a learner; `lesson`
    settings are the lesson's own knobs, the others are "advanced".
    """

    name: str
    default: object
    help: str
    label: str
    widget: str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    options: tuple = ()
    step: float | None = None
    option_labels: Mapping | None = None
    thousands: bool = False  # shown as 60,000
    lesson: bool = False

    def __post_init__(self):
        if self.widget not in WIDGETS:
            raise ValueError(f"widget must be one of {', '.join(WIDGETS)}; got {self.widget!r}.")

    def describe(self, value) -> str:
        """The value as a learner reads it."""
        if self.option_labels and value in self.option_labels:
            return self.option_labels[value]
        return f"{value:,}" if self.thousands else _to_text(value)


SETTINGS = (
    Setting("hidden_layers", (128,), "neurons in each hidden dense layer, 1 to 3 layers",
            "Hidden layers", "layers", low=1, high=1024,
            options=(16, 32, 64, 96, 128, 192, 256, 384, 512), lesson=True),
    Setting("epochs", 10, "full passes over the training images", "Epochs", "slider",
            low=1, high=100, step=1, lesson=True),
    Setting("architecture", "mlp", "mlp: the lesson's dense network; cnn: a small convnet",
            "Architecture", "radio", choices=("mlp", "cnn"),
            option_labels={"mlp": "Dense network (the lesson)", "cnn": "Small convnet (CNN)"}),
    Setting("normalize", True, "scale pixels from 0–255 to 0–1 before the first layer",
            "Normalise pixels to 0–1", "toggle", choices=(True, False)),
    Setting("activation", "relu", "the function each hidden neuron applies", "Activation",
            "selectbox", choices=("relu", "sigmoid", "tanh", "elu", "gelu")),
    Setting("optimizer", "adam", "how the weights are updated from the gradients", "Optimizer",
            "selectbox", choices=("adam", "sgd", "rmsprop")),
    Setting("learning_rate", 0.001, "how big each update step is", "Learning rate",
            "select_slider", low=1e-5, high=1.0,
            options=(0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)),
    Setting("batch_size", 32, "images per update step", "Batch size", "select_slider",
            low=1, high=4096, options=(8, 16, 32, 64, 128, 256, 512)),
    Setting("dropout", 0.0, "share of hidden neurons switched off at random while training",
            "Dropout", "slider", low=0.0, high=0.8, step=0.05),
    Setting("train_size", TRAIN_IMAGES, "how many training images to learn from",
            "Training images", "select_slider", low=100, high=TRAIN_IMAGES,
            options=(1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000), thousands=True),
    Setting("validation_split", 0.0,
            "share of the training images held out as a validation set; 0 measures the test "
            "set after each epoch, as the lesson does", "Validation split", "slider",
            low=0.0, high=0.5, step=0.05),
    Setting("seed", 42, "fixes the random start so a run can be repeated", "Seed", "number",
            low=0, high=2**31 - 1),
    # What learners reach for next when asked how accuracy can be improved.
    Setting("initializer", "glorot_uniform", "how the weights start before training",
            "Weight initialisation", "selectbox", choices=INITIALIZERS,
            option_labels={"glorot_uniform": "Glorot uniform (Keras's default)",
                           "he_normal": "He normal (made for ReLU)",
                           "zeros": "All zeros (cannot learn: see Learn)"}),
    Setting("l2", 0.0, "weight decay: a penalty on large weights, added to the loss", "L2 weight decay",
            "select_slider", low=0.0, high=0.1, options=(0.0, 0.00001, 0.0001, 0.001, 0.01)),
    Setting("lr_schedule", "constant", "how the learning rate changes as training goes on",
            "Learning-rate schedule", "selectbox", choices=LR_SCHEDULES,
            option_labels={"constant": "Constant", "step": "Step: ÷10 at half-way and at ¾",
                           "cosine": "Cosine: down to 0 by the last step"}),
    Setting("batch_norm", False, "normalises each hidden layer's outputs over the batch, then "
            "applies the activation", "Batch normalisation", "toggle", choices=(True, False)),
    Setting("early_stopping", 0, "stops when the validation loss has not improved for this many "
            "epochs and keeps the best epoch's weights; 0 is off, and it needs a validation split "
            "(the test set never decides when to stop)", "Early stopping patience (epochs)",
            "slider", low=0, high=20, step=1),
    # Data augmentation: each batch moved at random as it is trained on (off by default).
    Setting("flip", False, "mirrors each training image left to right at random, half of the time",
            "Random horizontal flip", "toggle", choices=(True, False)),
    Setting("shift", 0, "moves each training image by up to this many pixels across and down, at "
            "random", "Random shift (pixels)", "slider", low=0, high=6, step=1),
    Setting("rotation", 0, "turns each training image by up to this many degrees either way, at "
            "random", "Random rotation (degrees)", "slider", low=0, high=30, step=1),
    Setting("zoom", 0.0, "scales each training image by up to this share in or out, at random",
            "Random zoom", "slider", low=0.0, high=0.3, step=0.05),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}
_DEFAULT = {s.name: s.default for s in SETTINGS}


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment; the defaults (from SETTINGS) are exactly the Keras lesson."""

    hidden_layers: tuple[int, ...] = _DEFAULT["hidden_layers"]
    epochs: int = _DEFAULT["epochs"]
    architecture: str = _DEFAULT["architecture"]
    normalize: bool = _DEFAULT["normalize"]
    activation: str = _DEFAULT["activation"]
    optimizer: str = _DEFAULT["optimizer"]
    learning_rate: float = _DEFAULT["learning_rate"]
    batch_size: int = _DEFAULT["batch_size"]
    dropout: float = _DEFAULT["dropout"]
    train_size: int = _DEFAULT["train_size"]
    validation_split: float = _DEFAULT["validation_split"]
    seed: int = _DEFAULT["seed"]
    initializer: str = _DEFAULT["initializer"]
    l2: float = _DEFAULT["l2"]
    lr_schedule: str = _DEFAULT["lr_schedule"]
    batch_norm: bool = _DEFAULT["batch_norm"]
    early_stopping: int = _DEFAULT["early_stopping"]
    flip: bool = _DEFAULT["flip"]
    shift: int = _DEFAULT["shift"]
    rotation: int = _DEFAULT["rotation"]
    zoom: float = _DEFAULT["zoom"]

    def __post_init__(self):
        object.__setattr__(self, "hidden_layers", _as_layers(self.hidden_layers))
        for setting in SETTINGS:
            _check(setting, getattr(self, setting.name))
        if not can_stop_early(self.validation_split):
            object.__setattr__(self, "early_stopping", 0)

    @property
    def augments(self) -> bool:
        """Whether each training batch is flipped, shifted, turned or zoomed at random."""
        return bool(self.flip or self.shift or self.rotation or self.zoom)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch: the training images divided by the batch, rounded up."""
        return -(-self.fit_images // self.batch_size)

    @property
    def fit_images(self) -> int:
        """Training images the optimizer sees each epoch (the validation share held out)."""
        return self.train_size - self.validation_images

    @property
    def validation_images(self) -> int:
        return round(self.train_size * self.validation_split)

    @property
    def held_out_name(self) -> str:
        """What the per-epoch `val_*` figures are measured on."""
        return "validation" if self.validation_split > 0 else "test"

    def with_changes(self, **changes) -> "ExperimentConfig":
        return replace(self, **changes)

    def changes_in_words(self, other: "ExperimentConfig") -> str:
        """What `other` sets differently, as a learner reads it: "Epochs 3 instead of 10"."""
        return ", ".join(
            f"{setting.label} {setting.describe(getattr(other, setting.name))} instead of "
            f"{setting.describe(getattr(self, setting.name))}"
            for setting in SETTINGS if getattr(other, setting.name) != getattr(self, setting.name))

    def differences(self, other: "ExperimentConfig | None" = None) -> dict[str, str]:
        """The settings that differ from `other` (by default the lesson's), as text."""
        other_query = (other or ExperimentConfig()).to_query()
        return {name: text for name, text in self.to_query().items() if other_query[name] != text}

    def to_query(self) -> dict[str, str]:
        """A flat dict of strings, e.g. for the page URL; `from_query` reads it back."""
        return {f.name: _to_text(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple["ExperimentConfig", list[str]]:
        """Reads `to_query`'s dict; a missing key takes its default, a bad one too, with a note."""
        values, notes = {}, []
        for name, text in query.items():
            setting = SETTINGS_BY_NAME.get(name)
            if setting is None:
                continue
            try:
                value = _from_text(setting, text)
                _check(setting, _as_layers(value) if name == "hidden_layers" else value)
            except ValueError as error:
                notes.append(f"Ignored {name}={text!r}: {error} Using {_to_text(setting.default)}.")
                continue
            values[name] = value
        try:
            return cls(**values), notes
        except ValueError as error:
            return cls(), [*notes, f"Ignored the link's settings: {error}"]


def can_stop_early(validation_split: float) -> bool:
    """Whether early stopping may be on: only with a validation split, since without one only the
    test set could decide when to stop, and it would no longer be unseen."""
    return validation_split > 0


def _as_layers(value) -> tuple[int, ...]:
    if isinstance(value, int):
        value = (value,)
    layers = tuple(value)
    if not 1 <= len(layers) <= MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"hidden_layers must have 1 to {MAX_HIDDEN_LAYERS} layers, got {len(layers)}."
        )
    return layers


def _check(setting: Setting, value) -> None:
    """Raises ValueError naming the setting, the value and what is allowed."""
    if setting.choices is not None:
        if value not in setting.choices or type(value) is not type(setting.default):
            allowed = ", ".join(map(_to_text, setting.choices))
            raise ValueError(f"{setting.name} must be one of {allowed}; got {value!r}.")
        return
    expected = int if isinstance(setting.default, (int, tuple)) else float
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, bool) or not isinstance(item, (expected, int)):
            kind = "a whole number" if expected is int else "a number"
            raise ValueError(f"{setting.name} must be {kind}; got {item!r}.")
        if not setting.low <= item <= setting.high:
            raise ValueError(f"{setting.name} must be between {_to_text(setting.low)} and "
                             f"{_to_text(setting.high)}; got {_to_text(item)}.")


def _to_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _from_text(setting: Setting, text: str):
    text = str(text).strip()
    default = setting.default
    try:
        if isinstance(default, bool):
            return {"1": True, "true": True, "0": False, "false": False}[text.lower()]
        if isinstance(default, tuple):
            return tuple(int(part) for part in text.split(","))
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except (KeyError, ValueError):
        raise ValueError(f"{text!r} is not a valid value.") from None
    return text


TEACHER_MODES = ("lock", "hide")


def teacher_controls(query: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Which settings a teacher's link locks or hides: `?lock=epochs&hide=optimizer,seed`.

    Returns {setting name: "lock" or "hide"} and a note for each unknown name.
    """
    controls, notes = {}, []
    for mode in TEACHER_MODES:
        for name in filter(None, (part.strip() for part in str(query.get(mode, "")).split(","))):
            if name in SETTINGS_BY_NAME:
                controls[name] = mode
            else:
                notes.append(f"Ignored {mode}={name!r}: there is no such setting.")
    return controls, notes


def teacher_query(controls: Mapping[str, str]) -> dict[str, str]:
    """The link parameters that give `controls` back."""
    return {mode: ",".join(name for name, chosen in controls.items() if chosen == mode)
            for mode in TEACHER_MODES if mode in controls.values()}

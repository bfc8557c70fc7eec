"""Every setting of one experiment, validated at the door, in one table (like Playground's state.ts).

`SETTINGS` lists each setting once: its type, default, allowed values and a plain-words help.
`ExperimentConfig` is immutable and validated on creation; `to_query()` / `from_query()` turn it
into a flat dict of strings and back, so the whole experiment fits in a page URL.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

ARCHITECTURES = ("mlp", "cnn")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
TRAIN_IMAGES = 60_000


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: what a value may be, and what it means."""

    name: str
    default: object
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None


SETTINGS = (
    Setting("architecture", "mlp", "mlp: the lesson's dense network; cnn: a small convnet",
            choices=ARCHITECTURES),
    Setting("hidden_layers", (128,), "neurons in each hidden dense layer, 1 to 3 layers",
            low=1, high=1024),
    Setting("activation", "relu", "the function each hidden neuron applies", choices=ACTIVATIONS),
    Setting("dropout", 0.0, "share of hidden neurons switched off at random while training",
            low=0.0, high=0.8),
    Setting("optimizer", "adam", "how the weights are updated from the gradients",
            choices=OPTIMIZERS),
    Setting("learning_rate", 0.001, "how big each update step is", low=1e-5, high=1.0),
    Setting("batch_size", 32, "images per update step", low=1, high=4096),
    Setting("epochs", 10, "full passes over the training images", low=1, high=100),
    Setting("normalize", True, "scale pixels from 0–255 to 0–1 before the first layer",
            choices=(True, False)),
    Setting("train_size", TRAIN_IMAGES, "how many training images to learn from",
            low=100, high=TRAIN_IMAGES),
    Setting("validation_split", 0.0,
            "share of the training images held out as a validation set; 0 measures the test "
            "set after each epoch, as the lesson does", low=0.0, high=0.5),
    Setting("seed", 42, "fixes the random start so a run can be repeated", low=0, high=2**31 - 1),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}
MAX_HIDDEN_LAYERS = 3


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment; the defaults are exactly the Keras lesson."""

    architecture: str = "mlp"
    hidden_layers: tuple[int, ...] = (128,)
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 32
    epochs: int = 10
    normalize: bool = True
    train_size: int = TRAIN_IMAGES
    validation_split: float = 0.0
    seed: int = 42

    def __post_init__(self):
        object.__setattr__(self, "hidden_layers", _as_layers(self.hidden_layers))
        for setting in SETTINGS:
            _check(setting, getattr(self, setting.name))

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

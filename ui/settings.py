"""The training settings as widgets: the lesson's three knobs first, the rest under "Advanced"."""

import streamlit as st

from fmnist_core.config import (
    ACTIVATIONS,
    MAX_HIDDEN_LAYERS,
    OPTIMIZERS,
    SETTINGS,
    SETTINGS_BY_NAME,
    ExperimentConfig,
)
from ui import session

NEURONS = (16, 32, 64, 96, 128, 192, 256, 384, 512)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
TRAIN_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000)
WIDGET_PREFIX = "setting_"


def _options(choices: tuple, current) -> list:
    """The usual choices, plus the current value if a link brought another one."""
    return sorted({*choices, current})


def _key(name: str) -> str:
    return WIDGET_PREFIX + name


def _help(name: str) -> str:
    return SETTINGS_BY_NAME[name].help.capitalize() + "."


def apply(config: ExperimentConfig) -> None:
    """Makes `config` the session's settings, and the widgets show it on their next run."""
    session.set_config(config)
    for key in [key for key in st.session_state if str(key).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def _control(name: str, current, draw):
    """Draws a setting's widget, disabled if the teacher's link locks it; hidden ones keep theirs."""
    mode = session.controls().get(name)
    return current if mode == "hide" else draw(mode == "lock")


def settings_widgets() -> ExperimentConfig:
    """Draws the widgets from the session's settings and returns the settings they now say."""
    current = session.config()
    hidden_layers = _control("hidden_layers", current.hidden_layers,
                             lambda locked: _layer_widgets(current.hidden_layers, locked))
    epochs = _control("epochs", current.epochs, lambda locked: st.slider(
        "Epochs", 1, max(50, current.epochs), current.epochs, key=_key("epochs"),
        help=_help("epochs"), disabled=locked))
    advanced = [s.name for s in SETTINGS if s.name not in ("hidden_layers", "epochs")]
    values = {name: getattr(current, name) for name in advanced}
    if any(session.controls().get(name) != "hide" for name in advanced):
        with st.expander("Advanced settings"):
            values = _advanced_widgets(current)
    chosen = ExperimentConfig(hidden_layers=hidden_layers, epochs=epochs, **values)
    if chosen != current:
        session.set_config(chosen)
    return chosen


def _layer_widgets(layers: tuple[int, ...], locked: bool) -> tuple[int, ...]:
    count = st.slider("Hidden layers", 1, MAX_HIDDEN_LAYERS, len(layers), key=_key("layers"),
                      help="Dense layers between the image and the output.", disabled=locked)
    neurons = []
    for number in range(1, count + 1):
        previous = layers[min(number, len(layers)) - 1]
        neurons.append(st.select_slider(
            f"Neurons in hidden layer {number}", _options(NEURONS, previous), previous,
            key=_key(f"neurons_{number}"), disabled=locked,
            help="More neurons: more patterns it can learn, more weights to fit."))
    return tuple(neurons)


def _advanced_widgets(current: ExperimentConfig) -> dict:
    left, right = st.columns(2)
    return {
        "architecture": _control("architecture", current.architecture, lambda locked: left.radio(
            "Architecture", ("mlp", "cnn"), ("mlp", "cnn").index(current.architecture),
            format_func={"mlp": "Dense network (the lesson)", "cnn": "Small convnet (CNN)"}.get,
            key=_key("architecture"), help=_help("architecture"), disabled=locked)),
        "normalize": _control("normalize", current.normalize, lambda locked: right.toggle(
            "Normalise pixels to 0–1", current.normalize, key=_key("normalize"),
            help=_help("normalize"), disabled=locked)),
        "activation": _control("activation", current.activation, lambda locked: left.selectbox(
            "Activation", ACTIVATIONS, ACTIVATIONS.index(current.activation),
            key=_key("activation"), help=_help("activation"), disabled=locked)),
        "optimizer": _control("optimizer", current.optimizer, lambda locked: right.selectbox(
            "Optimizer", OPTIMIZERS, OPTIMIZERS.index(current.optimizer), key=_key("optimizer"),
            help=_help("optimizer"), disabled=locked)),
        "learning_rate": _control("learning_rate", current.learning_rate, lambda locked: (
            left.select_slider("Learning rate", _options(LEARNING_RATES, current.learning_rate),
                               current.learning_rate, key=_key("learning_rate"),
                               help=_help("learning_rate"), disabled=locked))),
        "batch_size": _control("batch_size", current.batch_size, lambda locked: (
            right.select_slider("Batch size", _options(BATCH_SIZES, current.batch_size),
                                current.batch_size, key=_key("batch_size"),
                                help=_help("batch_size"), disabled=locked))),
        "dropout": _control("dropout", current.dropout, lambda locked: left.slider(
            "Dropout", 0.0, 0.8, current.dropout, 0.05, key=_key("dropout"),
            help=_help("dropout"), disabled=locked)),
        "train_size": _control("train_size", current.train_size, lambda locked: (
            right.select_slider("Training images", _options(TRAIN_SIZES, current.train_size),
                                current.train_size, format_func="{:,}".format,
                                key=_key("train_size"), help=_help("train_size"),
                                disabled=locked))),
        "validation_split": _control("validation_split", current.validation_split,
                                     lambda locked: left.slider(
            "Validation split", 0.0, 0.5, current.validation_split, 0.05,
            key=_key("validation_split"), help=_help("validation_split"), disabled=locked)),
        "seed": _control("seed", current.seed, lambda locked: int(right.number_input(
            "Seed", 0, 2**31 - 1, current.seed, key=_key("seed"), help=_help("seed"),
            disabled=locked))),
    }


def teacher_panel() -> None:
    """Lets a teacher lock or hide settings and share the link with the whole class."""
    with st.expander("For teachers: share these settings with the class"):
        st.markdown("Everything set above is in this page's link. Choose the knobs of today's "
                    "lesson: students who open the link get these settings, and cannot change "
                    "locked knobs or see hidden ones.")
        names = [s.name for s in SETTINGS]
        current = session.controls()
        lock = st.multiselect("Lock", names, [n for n in names if current.get(n) == "lock"],
                              key="teacher_lock")
        hide = st.multiselect("Hide", [n for n in names if n not in lock],
                              [n for n in names if current.get(n) == "hide" and n not in lock],
                              key="teacher_hide")
        wanted = {name: "lock" for name in lock} | {name: "hide" for name in hide}
        if wanted != current:
            session.set_controls(wanted)
            st.rerun()  # the knobs above were drawn with the old locks
        if st.context.url:
            st.code(st.context.url, language=None)
        st.caption("Copy the link above (or the one in the address bar) and share it.")

"""The training settings as widgets: the lesson's three knobs first, the rest under "Advanced"."""

import streamlit as st

from fmnist_core.config import (
    ACTIVATIONS,
    MAX_HIDDEN_LAYERS,
    OPTIMIZERS,
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


def settings_widgets() -> ExperimentConfig:
    """Draws the widgets from the session's settings and returns the settings they now say."""
    current = session.config()
    layers = st.slider("Hidden layers", 1, MAX_HIDDEN_LAYERS, len(current.hidden_layers),
                       key=_key("layers"), help="Dense layers between the image and the output.")
    neurons = []
    for number in range(1, layers + 1):
        previous = current.hidden_layers[min(number, len(current.hidden_layers)) - 1]
        neurons.append(st.select_slider(
            f"Neurons in hidden layer {number}", _options(NEURONS, previous), previous,
            key=_key(f"neurons_{number}"), help="More neurons: more patterns it can learn, "
            "more weights to fit."))
    epochs = st.slider("Epochs", 1, max(50, current.epochs), current.epochs, key=_key("epochs"),
                       help=_help("epochs"))
    with st.expander("Advanced settings"):
        left, right = st.columns(2)
        architecture = left.radio(
            "Architecture", ("mlp", "cnn"), ("mlp", "cnn").index(current.architecture),
            format_func={"mlp": "Dense network (the lesson)", "cnn": "Small convnet (CNN)"}.get,
            key=_key("architecture"), help=_help("architecture"))
        normalize = right.toggle("Normalise pixels to 0–1", current.normalize,
                                 key=_key("normalize"), help=_help("normalize"))
        activation = left.selectbox("Activation", ACTIVATIONS,
                                    ACTIVATIONS.index(current.activation),
                                    key=_key("activation"), help=_help("activation"))
        optimizer = right.selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(current.optimizer),
                                    key=_key("optimizer"), help=_help("optimizer"))
        learning_rate = left.select_slider(
            "Learning rate", _options(LEARNING_RATES, current.learning_rate),
            current.learning_rate, key=_key("learning_rate"), help=_help("learning_rate"))
        batch_size = right.select_slider(
            "Batch size", _options(BATCH_SIZES, current.batch_size), current.batch_size,
            key=_key("batch_size"), help=_help("batch_size"))
        dropout = left.slider("Dropout", 0.0, 0.8, current.dropout, 0.05, key=_key("dropout"),
                              help=_help("dropout"))
        train_size = right.select_slider(
            "Training images", _options(TRAIN_SIZES, current.train_size), current.train_size,
            format_func="{:,}".format, key=_key("train_size"), help=_help("train_size"))
        validation_split = left.slider("Validation split", 0.0, 0.5, current.validation_split,
                                       0.05, key=_key("validation_split"),
                                       help=_help("validation_split"))
        seed = right.number_input("Seed", 0, 2**31 - 1, current.seed, key=_key("seed"),
                                  help=_help("seed"))
    chosen = ExperimentConfig(
        architecture=architecture, hidden_layers=tuple(neurons), activation=activation,
        dropout=dropout, optimizer=optimizer, learning_rate=learning_rate, batch_size=batch_size,
        epochs=epochs, normalize=normalize, train_size=train_size,
        validation_split=validation_split, seed=int(seed))
    if chosen != current:
        session.set_config(chosen)
    return chosen

"""The training settings as widgets: the lesson's three knobs first, the rest under "Advanced"."""

import streamlit as st

from fmnist_core.config import MAX_HIDDEN_LAYERS, SETTINGS, ExperimentConfig, Setting, can_stop_early
from ui import session

WIDGET_PREFIX = "setting_"


def _key(name: str) -> str:
    return WIDGET_PREFIX + name


def apply(config: ExperimentConfig) -> None:
    """Makes `config` the session's settings, and the widgets show it on their next run."""
    session.set_config(config)
    for key in [key for key in st.session_state if str(key).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def settings_widgets() -> ExperimentConfig:
    """Draws the widgets from the session's settings and returns the settings they now say.

    The lesson's knobs come first; the others are under "Advanced settings", in two columns. A
    setting the teacher's link locks is shown disabled; a hidden one keeps its value unseen.
    """
    current, controls = session.config(), session.controls()
    shown = [s for s in SETTINGS if controls.get(s.name) != "hide"]
    values = {s.name: getattr(current, s.name) for s in SETTINGS}
    if locked := [s.name for s in SETTINGS if controls.get(s.name) == "lock"]:
        texts = current.to_query()
        st.caption("Set by your teacher: " + ", ".join(f"{name} {texts[name]}" for name in locked)
                   + ". Your link cannot change them.")

    def draw(where, setting: Setting) -> None:
        value = _widget(where, setting, values[setting.name], controls.get(setting.name) == "lock")
        if controls.get(setting.name) != "lock":  # a locked value is the teacher's, never the widget's
            values[setting.name] = value

    for setting in (s for s in shown if s.lesson):
        draw(st, setting)
    advanced = [s for s in shown if not s.lesson]
    if advanced:
        with st.expander("Advanced settings"):
            columns = st.columns(2)
            for number, setting in enumerate(advanced):
                where = columns[number % 2]
                if setting.name == "early_stopping" and not can_stop_early(values["validation_split"]):
                    values[setting.name] = _no_early_stopping(where, setting)
                    continue
                draw(where, setting)
    chosen = ExperimentConfig(**values)
    if chosen != current:
        session.set_config(chosen)
    return chosen


def _widget(where, setting: Setting, current, locked: bool):
    """Draws one setting's widget in `where` (the page or a column) and returns its value."""
    common = dict(key=_key(setting.name), help=setting.help.capitalize() + ".", disabled=locked)
    label = setting.label
    match setting.widget:
        case "layers":
            return _layer_widgets(where, setting, current, locked)
        case "slider":
            return where.slider(label, setting.low, setting.high, current, setting.step, **common)
        case "select_slider":
            return where.select_slider(label, sorted({*setting.options, current}), current,
                                       format_func=setting.describe, **common)
        case "radio":
            return where.radio(label, setting.choices, setting.choices.index(current),
                               format_func=setting.describe, **common)
        case "selectbox":
            return where.selectbox(label, setting.choices, setting.choices.index(current),
                                   format_func=setting.describe, **common)
        case "toggle":
            return where.toggle(label, current, **common)
        case "number":
            return int(where.number_input(label, int(setting.low), int(setting.high), current,
                                          **common))
    raise ValueError(f"no widget for {setting.widget!r}")


def _no_early_stopping(where, setting: Setting) -> int:
    """Early stopping's control without a validation split: off, saying why."""
    where.slider(setting.label, int(setting.low), int(setting.high), 0, disabled=True,
                 key=_key("early_stopping_off"), help=setting.help.capitalize() + ".")
    where.caption("Early stopping needs a validation split (set one above): the test set must "
                  "never decide when to stop, or it would no longer be unseen.")
    return 0


def _layer_widgets(where, setting: Setting, layers: tuple[int, ...], locked: bool) -> tuple[int, ...]:
    count = where.slider(setting.label, 1, MAX_HIDDEN_LAYERS, len(layers), key=_key("layers"),
                         help="Dense layers between the image and the output.", disabled=locked)
    neurons = []
    for number in range(1, count + 1):
        previous = layers[min(number, len(layers)) - 1]
        neurons.append(where.select_slider(
            f"Neurons in hidden layer {number}", sorted({*setting.options, previous}), previous,
            key=_key(f"neurons_{number}"), disabled=locked,
            help="More neurons: more patterns it can learn, more weights to fit."))
    return tuple(neurons)


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
            st.code(session.lesson_link(st.context.url), language=None)
        st.caption("Share the link above. Not the one in the address bar: it also holds your own "
                   "seat, which would show your runs to everyone who opens it.")

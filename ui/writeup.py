"""A learner's write-up in this tab: the six answers and the ticked evidence, loaded once from the
run store and saved to it as they change (with the seat, so the link or code brings them back), the
evidence from their own runs, the hand-in and the .zip to download."""

from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st

from fmnist_core.lesson.notebook import as_notebook
from fmnist_core.lesson.writeup import (
    QUESTIONS,
    Exhibit,
    check_answers,
    data_exhibit,
    epochs_exhibit,
    evidence_from_runs,
    model_exhibit,
    pixels_exhibit,
    prediction_exhibit,
    runs_exhibit,
    writeup_zip,
)
from fmnist_core.store import StoreUnavailable
from ui import classroom, session
from ui.resources import dataset

LOADED, HANDED_IN = "writeup_loaded", "writeup_handed_in"  # the seat whose write-up is here; when
EXHIBITS, TICKED = "writeup_exhibits", "writeup_ticked"  # the evidence made; the keys ticked
ALWAYS = "6:runs"  # the table of the learner's runs: in every write-up, ticked or not


def answer_key(question: int) -> str:
    return f"writeup_answer_{question}"


def tick_key(exhibit: Exhibit) -> str:
    return f"writeup_tick_{exhibit.key}"


def load() -> str | None:
    """Puts this seat's stored write-up in the tab's boxes, once per seat; returns why it cannot
    be read (the boxes then wait, so that nothing typed replaces answers not yet loaded)."""
    seat = session.seat()
    if st.session_state.get(LOADED) == seat.token:
        return None
    try:
        stored = session.store().writeup_of(seat)
    except StoreUnavailable:
        return ("Your write-up cannot be read right now: the database does not answer. Its boxes "
                "open as soon as it does; nothing you wrote is lost.")
    for question in QUESTIONS:
        st.session_state[answer_key(question)] = stored.answers.get(question, "") if stored else ""
    st.session_state[TICKED] = set(stored.evidence) if stored else set()
    st.session_state[HANDED_IN] = stored.handed_in_at if stored else None
    st.session_state[LOADED] = seat.token
    return None


def answers_folded() -> bool:
    """Whether Learn folds its answers: the learner's class writes first and they have not handed
    in (nor can the store say they have)."""
    _, info = classroom.membership()
    if info is None or not info.write_first:
        return False
    load()
    return handed_in() is None


def answers() -> dict[int, str]:
    return {question: st.session_state.get(answer_key(question), "") for question in QUESTIONS}


def save_answer(question: int) -> None:
    """Queued: the answer reaches the database even while it is down (the writer keeps it)."""
    session.store().save_answer(session.seat(), question, st.session_state[answer_key(question)])


def ticked() -> set[str]:
    return st.session_state.setdefault(TICKED, set())


def in_writeup(exhibit: Exhibit) -> bool:
    return exhibit.key == ALWAYS or exhibit.key in ticked()


def tick(exhibit: Exhibit) -> None:
    """Puts the exhibit in the write-up, or takes it out, and saves the choice."""
    chosen = ticked()
    (chosen.add if st.session_state[tick_key(exhibit)] else chosen.discard)(exhibit.key)
    session.store().set_evidence(session.seat(), sorted(chosen))


def handed_in() -> datetime | None:
    return st.session_state.get(HANDED_IN)


def hand_in() -> str | None:
    """Hands the write-up in to the class's teacher, with what its hints were checked against (the
    board then gives the hints the student saw); returns why not, in one sentence."""
    try:
        st.session_state[HANDED_IN] = session.store().hand_in(session.seat(), evidence().to_json())
    except ValueError as refused:
        return str(refused)
    except StoreUnavailable:
        return "Your write-up cannot be handed in right now: the database does not answer. Try again soon."
    return None


def evidence():
    """What the hints compare the answers with: this learner's finished runs."""
    return evidence_from_runs(session.runs())


def hints() -> dict[str, dict]:
    return check_answers(answers(), evidence())


def exhibits() -> dict[int, list[Exhibit]]:
    """The evidence from this learner's data, model and runs, by question; made again only when
    the runs or the settings change."""
    runs = list(session.runs())
    key = (tuple(run.run_id for run in runs), session.config())
    return session.last_made(EXHIBITS, key, lambda: _exhibits(runs))


def _exhibits(runs) -> dict[int, list[Exhibit]]:
    data = dataset()
    made = [data_exhibit(data.train_images, data.train_labels, data.test_images, data.test_labels,
                         data.class_names),
            pixels_exhibit(data.train_images[0], runs)]
    latest = next(reversed(session.runs().with_predictions()), None)
    made.append(model_exhibit(latest.config if latest else session.config()))
    if latest is not None:
        probabilities = session.evaluation(latest, data.test_labels).probabilities[0]
        made += [epochs_exhibit(latest),
                 prediction_exhibit(data.test_images[0], probabilities, int(data.test_labels[0]),
                                    data.class_names, latest.name)]
    if runs:
        made.append(runs_exhibit(runs))
    return {question: [item for item in made if item.question == question] for question in QUESTIONS}


def zip_file() -> Callable[[], bytes]:
    """The write-up to download, made when the button is pressed: the answers, the ticked evidence
    and the runs' notebooks. Streamlit calls it on a thread of its own, without this tab's session
    state, so it gets what it needs now."""
    texts = answers()
    shown = [item for items in exhibits().values() for item in items if in_writeup(item)]
    runs = [(run.name, run.config, run.test_accuracy) for run in session.runs().with_predictions()]

    def make() -> bytes:
        notebooks = {name: as_notebook(config, title=f"{name} from Fashion-MNIST Classroom",
                                       measured=accuracy) for name, config, accuracy in runs}
        return writeup_zip(texts, shown, notebooks, written=datetime.now(UTC),
                           title="My write-up: classifying images of clothing")

    return make

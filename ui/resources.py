"""What one server process holds once and shares read-only with every browser session."""

import asyncio
import atexit
import gc
import socket

import streamlit as st
from streamlit import runtime
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import script_runner

from fmnist_core.classroom import Desks
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import FashionMNIST, load_fashion_mnist, mean_images, on_disk, pixel_stats
from fmnist_core.data.errors import DataUnavailableError
from fmnist_core.host.container import container_limits, give_back_freed_memory
from fmnist_core.host.environment import (
    database_url,
    max_training_minutes,
    pending_writes_bytes,
    retention_days,
    seat_idle_seconds,
    spool_dir,
    training_slots,
)
from fmnist_core.host.environment import startup_notes as environment_notes
from fmnist_core.host.every import Every
from fmnist_core.store import Heartbeat, RunStore, StoreWriter
from fmnist_core.store.spool import Spool, spool_path
from fmnist_core.training.recent_runs import RecentRuns
from fmnist_core.training.trainer_pool import TrainerPool

log = get_logger(__name__)  # Streamlit's: its handler and level (logger.level, default info)
RETENTION_EVERY_SECONDS = 3600.0  # expired runs and unused seats are deleted hourly, and at start
DESK_SWEEP_SECONDS = 30.0  # how often the desks of learners who left are looked for

# After every script run, fragment runs included, Streamlit calls `_clean_problem_modules`, which
# runs keras.backend.clear_session() once Keras is imported (and matplotlib's plt.close("all"),
# which this app, drawing with Plotly, does not need). Here, where a class's trainings run in
# background threads, clear_session would reset Keras's global state under them, drop TensorFlow's
# kernel caches and run a full garbage collection many times a second (measured: the server's
# busiest code with 4 students). This app builds every model explicitly and keeps nothing in
# Keras's global state, so nothing is cleared. A Streamlit that renamed the hook would silently
# bring clear_session back: refuse to start instead.
if not callable(getattr(script_runner, "_clean_problem_modules", None)):
    raise RuntimeError("This Streamlit has no script_runner._clean_problem_modules: check what it "
                       "clears after each run (keras.backend.clear_session?) before upgrading.")
script_runner._clean_problem_modules = lambda: None


@st.cache_resource(show_spinner=False)
def _dataset(_progress=None) -> FashionMNIST | DataUnavailableError:
    # The error is cached too, so an offline app does not retry a download on every click;
    # the "Try again" button clears it.
    try:
        return load_fashion_mnist(progress=_progress)
    except DataUnavailableError as error:
        return error


def dataset() -> FashionMNIST:
    """The shared dataset; on the first call it is read (or downloaded, with a progress bar).

    Without data, shows one clear box saying what to do and stops the page there.
    """
    bar = None

    def show(fraction: float, message: str) -> None:  # drawn only while it loads (not in callbacks)
        nonlocal bar
        bar = bar or st.empty()
        bar.progress(fraction, text=message)

    data = _dataset(show)
    if bar is not None:
        bar.empty()
    if isinstance(data, DataUnavailableError):
        st.error(f"**The Fashion-MNIST images are not available.** {data}",
                 icon=":material/cloud_off:")
        if st.button("Try again"):
            _dataset.clear()
            st.rerun()
        st.stop()
    _training_queue(data)
    return data


# Loading TensorFlow (4–8 s of both cores) waits this long after the first data page, so that page
# is drawn first; a Train pressed sooner starts it at once.
WARM_UP_AFTER_SECONDS = 3.0


@st.cache_resource(show_spinner=False)
def _training_queue(_data: FashionMNIST):
    # Made with the data, so that TensorFlow loads and the lesson's model compiles in the
    # background while the class looks at the data pages.
    from fmnist_core.training.jobs import TrainingQueue

    limits = container_limits()
    log.info(limits.describe())
    startup_notes()  # logs every bad setting's note (these readers' too), once per server
    return TrainingQueue(_data, slots=training_slots(limits=limits)[0],
                         prepare=lambda trainers: _compile_the_lesson(_data, trainers),
                         memory_limit=limits.memory_bytes,
                         max_seconds=60 * max_training_minutes()[0],
                         calibrate=lambda trainers: _calibrate(_data, trainers),
                         warm_up_after=WARM_UP_AFTER_SECONDS, find_earlier=_stored_run_like,
                         recent=recent_runs())


def _compile_the_lesson(data: FashionMNIST, trainers: TrainerPool) -> None:
    from fmnist_core.training.loop import prepare

    prepare(ExperimentConfig(), data, trainers)


def _stored_run_like(config: ExperimentConfig):
    """The newest finished run of exactly `config` in the run store, its model loaded, or None."""
    found = store_writer().read(lambda store: store.finished_like(config))
    if found is None:
        return None
    from fmnist_core.training.model import model_with_weights  # TensorFlow: loaded by the queue already

    run, weights = found
    run.model = model_with_weights(config, weights)
    return run


def _calibrate(data: FashionMNIST, trainers: TrainerPool):
    from fmnist_core.training.loop import calibrate

    return calibrate(data, trainers)


def training_queue():
    """One queue for the whole class: at most FMNIST_TRAINING_SLOTS trainings at a time (default:
    the container's CPU quota), each started only when it fits the container's memory and stopped
    after FMNIST_MAX_TRAINING_MINUTES. Each of its workers compiles the lesson's model when the
    server first loads the data, so the class's first trainings start at once; the first one ready
    then measures the server's speed for the estimates (its `calibration`)."""
    return _training_queue(dataset())


@st.cache_resource(show_spinner="Averaging 60,000 images…")
def training_set_summary(_data: FashionMNIST):
    """Pixel statistics and the mean image of each class, computed once for the whole class."""
    return pixel_stats(_data.train_images), mean_images(_data.train_images, _data.train_labels)




@st.cache_resource(show_spinner=False)
def startup_notes() -> list[str]:
    """What is wrong with the server's settings from the environment, said once at start."""
    notes = environment_notes()
    for note in notes:
        log.warning(note)
    return notes


def server_name() -> str:
    """This server, as the run store records it: host and port, the same after a restart."""
    return f"{socket.gethostname()}:{st.get_option('server.port')}"


# At a stop, the writes still waiting get this long to reach the database; the rest are kept on disk.
# The whole stop then fits in Docker's default 10 s between its SIGTERM and its SIGKILL.
STOP_WRITING_SECONDS = 5.0


@st.cache_resource(show_spinner=False)
def store_writer() -> StoreWriter:
    """The run store (FMNIST_DATABASE_URL, else a SQLite file), written in the background; this
    server's heartbeat in it tells the other servers sharing it that this one is alive. What this
    server could not write before it last stopped waits in FMNIST_SPOOL_DIR and goes in first."""
    url = database_url()
    days, _ = retention_days()  # its note, if any, is among the startup notes
    folder, _ = spool_dir()
    limit, _ = pending_writes_bytes()
    writer = StoreWriter(lambda: RunStore(url), spool=Spool(spool_path(folder, server_name(), url)),
                         max_pending_bytes=limit)
    atexit.register(writer.close, STOP_WRITING_SECONDS)  # if the app's lifespan (close_store) did not
    # Once per server start, after the writes kept at the last stop (a run whose epochs were waiting
    # has them, then): the runs this server was training when it stopped were lost with it.
    # Other servers' runs are theirs; those of servers gone silent, the heartbeat marks.
    writer.interrupt_running_runs(server_name())
    writer.delete_expired(days)
    Every(RETENTION_EVERY_SECONDS, lambda: writer.delete_expired(days), name="retention").start()
    Heartbeat(writer, server_name()).start()
    return writer


@st.cache_resource(show_spinner=False)
def desks() -> Desks:
    """Every learner's desk on this server; a desk opens with the seat's stored runs (and leaves
    memory when its learner has left: `forget_who_left`)."""
    writer = store_writer()
    return Desks(lambda seat: writer.read(
        lambda store: (store.runs_of_seat(seat), store.run_ids_with_weights(seat))),
        idle_seconds=seat_idle_seconds()[0])


async def forget_who_left() -> None:
    """Every DESK_SWEEP_SECONDS, on the server's event loop (where Streamlit's sessions may be
    closed): the desks of learners whose tabs have all been closed for SEAT_IDLE_SECONDS leave
    memory, and so do those tabs' sessions. Streamlit keeps a closed tab's session (its session
    state) for a reconnect, but expires it only when another tab disconnects: a server nobody
    visits would hold its last 128 closed tabs for ever. Nothing is dropped while the store lacks a
    write: a dropped desk's runs come back from it. FMNIST_SEAT_IDLE_SECONDS changes its 60 s.
    The training queue's recent runs, kept for identical requests, go after RECENT_RUNS_SECONDS."""
    server, writer, the_desks = runtime.get_instance(), store_writer(), desks()
    while True:
        await asyncio.sleep(min(DESK_SWEEP_SECONDS, the_desks.idle_seconds / 2))
        if writer.pending or not writer.healthy:
            continue
        closed_tabs = the_desks.drop_absent(server.is_active_session)
        for session_id in closed_tabs:
            server.close_session(session_id)
        if recent_runs().forget_old() or closed_tabs:
            gc.collect()  # a Keras model is a web of cycles: a full collection frees it now
            give_back_freed_memory()
        if closed_tabs:
            log.info("Let go of the desks and sessions of %d closed tabs.", len(closed_tabs))


@st.cache_resource(show_spinner=False)
def recent_runs() -> RecentRuns:
    """The runs the training queue finished lately, for identical requests (see RecentRuns)."""
    return RecentRuns()


def close_store() -> None:
    """At the server's stop: the writes still waiting go in, or onto disk for the next start."""
    store_writer().close(STOP_WRITING_SECONDS)


def warm_up() -> None:
    """What the class's first visitor would otherwise wait for, done as the server starts (after
    app.py imported the pages' modules): the run store opened (and migrated), the dataset read when it is on
    disk (a download waits for a page, which shows its progress). TensorFlow is left to the
    training queue, which loads it in the background once a data page has been drawn."""
    startup_notes()
    store_writer().read(lambda store: None)
    if on_disk():
        data = _dataset()
        if isinstance(data, FashionMNIST):
            training_set_summary(data)


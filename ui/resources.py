"""What one server process holds once and shares read-only with every browser session."""

import os
import threading

import streamlit as st

from fmnist_core.config import ExperimentConfig
from fmnist_core.data import FashionMNIST, load_fashion_mnist, mean_images, pixel_stats
from fmnist_core.errors import DataUnavailableError


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
    bar = st.empty()
    data = _dataset(lambda fraction, message: bar.progress(fraction, text=message))
    bar.empty()
    if isinstance(data, DataUnavailableError):
        st.error(f"**The Fashion-MNIST images are not available.** {data}",
                 icon=":material/cloud_off:")
        if st.button("Try again"):
            _dataset.clear()
            st.rerun()
        st.stop()
    _warm_up(data)
    return data


@st.cache_resource(show_spinner=False)
def _warm_up(_data: FashionMNIST) -> threading.Thread:
    """Once per server, in the background: imports TensorFlow and trains a tiny model, so the
    first Train of the class starts in seconds, while the data pages never wait for it."""

    def warm() -> None:
        from fmnist_core.training import train

        train(ExperimentConfig(train_size=100, epochs=1), _data)

    thread = threading.Thread(target=warm, name="tensorflow-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner="Averaging 60,000 images…")
def training_set_summary(_data: FashionMNIST):
    """Pixel statistics and the mean image of each class, computed once for the whole class."""
    return pixel_stats(_data.train_images), mean_images(_data.train_images, _data.train_labels)


@st.cache_resource(show_spinner="Starting the trainer…")
def training_queue():
    """One queue for the whole class: at most FMNIST_TRAINING_SLOTS trainings at a time."""
    from fmnist_core.jobs import TrainingQueue

    slots = int(os.environ.get("FMNIST_TRAINING_SLOTS", "0")) or None
    return TrainingQueue(dataset(), slots=slots)

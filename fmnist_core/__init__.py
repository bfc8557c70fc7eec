"""The engine of Fashion-MNIST Classroom: data, settings, models, training, evaluation, figures.

Its packages: `data` (the official files and the dataset, a learner's own picture), `training` (the
model, the compiled loop, the queue of trainings), `lesson` (exercises, ladder, notebook, words,
the write-up checker), `figures` (every chart and its words), `store` (the run store), `classroom`
(each learner's desk, a teacher's class) and `host` (the container, the server's settings). Beside
them, the words they all share: `config` (every setting, `ExperimentConfig`), `architecture` (the
network as plain data), `history`, `run` and `run_list` (epochs, a finished run, a learner's runs)
and `evaluation`.

Nothing here imports streamlit. Only `training.model` and `training.loop` import TensorFlow, so
pages that only show the data open fast.
"""

import os

from fmnist_core.host.container import tune_glibc_malloc

# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 or AMX; on the AVX
# development machine they made the lesson's convnet step 1.8× faster (batch 128: 9 ms, 16 ms
# without) and the dense network's no slower. Read when TensorFlow loads, so set here, before any
# module imports it; an explicit TF_ENABLE_ONEDNN_OPTS=0 still wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# oneDNN keeps every tensor over 256 kB in a pool of its own that never gives memory back: a server
# held the 580 MB of 12 learners' two-layer 1,024-neuron models long after letting them go
# (measured). With the system allocator, freed models go back to the system (1,299 -> 878 MB, the
# same 12); glibc keeps big blocks on its heap, where the next step reuses them, and gives them back
# when asked (`container.give_back_freed_memory`): a training step costs no more (benchmarks.allocator).
os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")
tune_glibc_malloc()

"""The engine of Fashion-MNIST Classroom: data, settings, models, training, evaluation, figures.

Nothing here imports streamlit. `data`, `config`, `architecture`, `history` and `figures`
do not import TensorFlow either, so pages that only show the data open fast.
"""

import os

# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 or AMX; on the AVX
# development machine they made the lesson's convnet step 1.8× faster (batch 128: 9 ms, 16 ms
# without) and the dense network's no slower. Read when TensorFlow loads, so set here, before any
# module imports it; an explicit TF_ENABLE_ONEDNN_OPTS=0 still wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

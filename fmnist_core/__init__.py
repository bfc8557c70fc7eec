"""The engine of Fashion-MNIST Classroom: data, settings, models, training, evaluation, figures.

Nothing here imports streamlit. `data`, `config`, `architecture`, `history` and `figures`
do not import TensorFlow either, so pages that only show the data open fast.
"""

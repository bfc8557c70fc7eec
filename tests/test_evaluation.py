import numpy as np
import pytest

from fmnist_core.evaluation import Evaluation, first_layer_weight_images, softmax


def make_evaluation():
    labels = np.array([0, 0, 6, 6, 6, 1, 9])
    predicted = np.array([0, 6, 0, 0, 6, 1, 7])
    scores = np.full((len(labels), 10), -2.0)
    scores[np.arange(len(labels)), predicted] = np.arange(len(labels)) + 1.0
    return Evaluation.from_logits(scores, labels), predicted


def test_softmax_rows_are_probabilities():
    probabilities = softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert probabilities[0, 0] == pytest.approx(1.0) and np.allclose(probabilities[1], 1 / 3)


def test_predictions_accuracy_and_mistakes():
    evaluation, predicted = make_evaluation()
    assert np.array_equal(evaluation.predicted, predicted)
    assert evaluation.accuracy == pytest.approx(3 / 7)
    assert list(evaluation.mistakes()) == [1, 2, 3, 6]
    assert np.all((evaluation.confidence > 0.1) & (evaluation.confidence <= 1))
    assert evaluation.confidence[6] > evaluation.confidence[0]  # larger logit, surer


def test_confusion_matrix_and_per_class_accuracy():
    evaluation, _ = make_evaluation()
    counts = evaluation.confusion_matrix()
    assert counts.sum() == 7 and counts[6, 0] == 2 and counts[0, 6] == 1 and counts[9, 7] == 1
    per_class = evaluation.per_class_accuracy()
    assert per_class[0] == 0.5 and per_class[6] == pytest.approx(1 / 3) and per_class[1] == 1
    assert per_class[2] == 0  # no images of class 2: no division by zero


def test_most_confused_pairs_largest_first():
    evaluation, _ = make_evaluation()
    assert evaluation.most_confused(2) == [(6, 0, 2), (0, 6, 1)]


def test_first_layer_weights_as_images():
    from fmnist_core.config import ExperimentConfig
    from fmnist_core.training.model import build_model

    model = build_model(ExperimentConfig(hidden_layers=(16,)))
    images = first_layer_weight_images(model)
    kernel = model.get_layer("hidden_1").get_weights()[0]
    assert images.shape == (16, 28, 28)
    assert np.array_equal(images[3].ravel(), kernel[:, 3])  # neuron 3's weight from each pixel
    with pytest.raises(ValueError, match="needs an MLP"):
        first_layer_weight_images(build_model(ExperimentConfig(architecture="cnn")))

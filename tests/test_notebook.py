"""The run as code to take home: the script and the notebook run and build exactly the app's network.

They read the data the way the Keras loader does, from its cache (`keras_home`, in conftest.py): no
network.
"""

import json
import os
import subprocess
import sys

import pytest

from fmnist_core.architecture import layer_specs, parameter_count
from fmnist_core.config import ExperimentConfig
from fmnist_core.lesson.notebook import as_notebook, as_script
from fmnist_core.run import TrainingRun

PROBE = 'print("PROBE", json.dumps([model.count_params(), [layer.name for layer in model.layers]]))'


def probe(output: str) -> tuple[int, list[str]]:
    line = next(line for line in output.splitlines() if line.startswith("PROBE "))
    count, names = json.loads(line.removeprefix("PROBE "))
    return count, names


def test_the_lessons_script_reads_like_the_tutorial():
    script = as_script(ExperimentConfig(), measured=0.8796)
    compile(script, "run.py", "exec")
    assert "keras.datasets.fashion_mnist.load_data()" in script
    assert 'keras.layers.Dense(128, activation="relu", name="hidden_1")' in script
    assert "model.fit(train_images, train_labels, epochs=10, batch_size=32)" in script
    assert "87.96%" in script and "the lesson's own" in script
    assert "permutation" not in script  # all 60,000 images, as the lesson


def test_a_script_holds_the_runs_settings_and_subset():
    config = ExperimentConfig(hidden_layers=(256, 64), dropout=0.2, optimizer="sgd", learning_rate=0.01,
                              batch_size=64, epochs=3, train_size=5000, validation_split=0.1, seed=7)
    script = as_script(config)
    compile(script, "run.py", "exec")
    for text in ("keras.layers.Dropout(0.2", "keras.optimizers.SGD(learning_rate=0.01)",
                 "epochs=3, batch_size=64, validation_split=0.1", "default_rng(7)", "[:5000]",
                 "`hidden_layers=256,64`", "set_random_seed(7)"):
        assert text in script, text


def test_the_script_runs_and_builds_exactly_the_apps_network(keras_home, tmp_path):
    config = ExperimentConfig(hidden_layers=(64,), epochs=1, train_size=1000, seed=3)
    path = tmp_path / "run.py"
    path.write_text(as_script(config) + "import json\n" + PROBE + "\n")
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "KERAS_HOME": str(keras_home), "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert probe(result.stdout) == (parameter_count(config), [spec.name for spec in layer_specs(config)])
    assert "Test accuracy: 0." in result.stdout and "Test image 0: the model says" in result.stdout
    assert "its label is Ankle boot." in result.stdout


def test_the_notebook_is_valid_and_runs_a_convnet_with_augmentation(keras_home, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # The answers to "how can accuracy be improved?" that change the code, all at once.
    config = ExperimentConfig(architecture="cnn", epochs=2, train_size=500, normalize=False,
                              batch_norm=True, initializer="he_normal", l2=0.0001,
                              lr_schedule="cosine", validation_split=0.2, early_stopping=1,
                              flip=True, shift=2, rotation=10, zoom=0.1)
    notebook = nbformat.reads(as_notebook(config, title="My convnet", measured=0.81), as_version=4)
    assert notebook.cells[0].source.startswith("# My convnet")
    assert "`architecture=cnn`" in notebook.cells[0].source and "81.00%" in notebook.cells[0].source
    code = "\n".join(cell.source for cell in notebook.cells)
    for text in ("BatchNormalization", 'kernel_initializer="he_normal"', "keras.regularizers.L2(0.0001)",
                 "CosineDecay(0.001, decay_steps=2 * 13)", "EarlyStopping(",
                 "patience=1, restore_best_weights=True", 'RandomFlip("horizontal")',
                 "RandomTranslation(2 / 28, 2 / 28", "RandomRotation(10 / 360", "RandomZoom(0.1",
                 ".batch(32).map(augmented)", "validation_data=validation"):
        assert text in code, text
    notebook.cells.append(nbformat.v4.new_code_cell("import json\n" + PROBE))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert probe(outputs) == (parameter_count(config), [spec.name for spec in layer_specs(config)])
    assert "Conv2D" in outputs or "conv_1" in outputs  # model.summary() shows the convolutions


def test_a_run_gives_its_measured_accuracy_to_the_header():
    run = TrainingRun(ExperimentConfig(epochs=2), [], None, 0.4, 0.8512, 3.0, name="Run 4")
    script = as_script(run.config, title=f"{run.name} from Fashion-MNIST Classroom",
                       measured=run.test_accuracy)
    assert script.startswith("# # Run 4 from Fashion-MNIST Classroom") and "85.12%" in script

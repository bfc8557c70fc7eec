import re
import subprocess
import sys

import pytest

from fmnist_core.architecture import layer_specs, layer_table, parameter_count, trainable_count
from fmnist_core.config import ExperimentConfig
from tests.places import REPO

CONFIGS = [
    ExperimentConfig(),
    ExperimentConfig(hidden_layers=(64,)),
    ExperimentConfig(hidden_layers=(256,)),
    ExperimentConfig(hidden_layers=(128, 128), dropout=0.2),
    ExperimentConfig(hidden_layers=(512, 256, 16), normalize=False),
    ExperimentConfig(architecture="cnn"),
    ExperimentConfig(architecture="cnn", hidden_layers=(64, 32), dropout=0.5),
    ExperimentConfig(architecture="cnn", batch_norm=True, l2=0.001, initializer="he_normal"),
    ExperimentConfig(hidden_layers=(64, 32), batch_norm=True, dropout=0.2, lr_schedule="cosine"),
]


def test_lesson_parameter_counts():
    assert parameter_count(ExperimentConfig()) == 101_770
    assert parameter_count(ExperimentConfig(hidden_layers=(256,))) == 203_530
    assert parameter_count(ExperimentConfig(hidden_layers=(64,))) == 50_890


def test_layer_table_reads_like_a_model_summary():
    table = layer_table(ExperimentConfig())
    assert list(table.columns) == ["layer", "type", "output shape", "parameters", "what it does"]
    assert list(table["layer"]) == ["rescaling", "flatten", "hidden_1", "output"]
    assert list(table["output shape"]) == ["28 × 28", "784", "128", "10"]
    assert list(table["parameters"]) == [0, 0, 100_480, 1_290]
    assert table["what it does"].str.len().min() > 20


def test_raw_pixels_have_no_rescaling_layer():
    assert [s.kind for s in layer_specs(ExperimentConfig(normalize=False))][0] == "flatten"


def readme_modules() -> dict[str, str]:
    """README's table of fmnist_core modules: {module: its TensorFlow column}."""
    rows = re.findall(r"^\| `(\w+)/?` \| [^|]+ \| (yes|no)[^|]*\|$", (REPO / "README.md").read_text(),
                      re.MULTILINE)
    return dict(rows)


def test_readme_names_every_engine_module():
    modules = {path.stem for path in (REPO / "fmnist_core").glob("*.py")} - {"__init__"}
    packages = {path.parent.name for path in (REPO / "fmnist_core").glob("*/__init__.py")}
    assert set(readme_modules()) == modules | packages


def test_modules_marked_tensorflow_free_load_without_it():
    free = [name for name, uses in readme_modules().items() if uses == "no"]
    code = (f"import sys, importlib; [importlib.import_module('fmnist_core.' + m) for m in {free!r}]; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.architecture}{c.hidden_layers}{c.batch_norm}")
def test_counts_and_shapes_equal_keras(config):
    from fmnist_core.model import build_model

    model = build_model(config)
    specs = layer_specs(config)
    assert model.count_params() == parameter_count(config)
    assert [layer.name for layer in model.layers] == [spec.name for spec in specs]
    for layer, spec in zip(model.layers, specs):
        assert tuple(layer.output.shape[1:]) == spec.output_shape
        assert layer.count_params() == spec.params


def test_batch_normalisation_comes_before_the_activation_and_keeps_running_statistics():
    config = ExperimentConfig(architecture="cnn", batch_norm=True)
    specs = {spec.name: spec for spec in layer_specs(config)}
    assert [spec.kind for spec in layer_specs(config)][2:5] == ["conv", "batchnorm", "activation"]
    assert specs["conv_1"].activation is None and specs["conv_relu_1"].activation == "relu"
    assert specs["batchnorm_1"].params == 4 * 128 and specs["batchnorm_1"].running == 2 * 128
    assert trainable_count(config) == parameter_count(config) - 2 * (16 + 128)
    assert trainable_count(ExperimentConfig()) == parameter_count(ExperimentConfig()) == 101_770

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_core.architecture import layer_specs, layer_table, parameter_count, trainable_count
from fmnist_core.config import ExperimentConfig
from tools.server import REPO

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


ENGINE = REPO / "fmnist_core"


def engine_tree() -> dict[str, set[str]]:
    """fmnist_core's top level: {module: set()} and {package: the modules in it}, a subpackage's as
    "writeup" and "writeup.rules" (store's Alembic `migrations/` is no package: its own tree)."""
    tree = {path.stem: set() for path in ENGINE.glob("*.py") if path.stem != "__init__"}
    for init in ENGINE.glob("*/__init__.py"):
        package, modules = init.parent, set()
        for path in package.rglob("*.py"):
            parts = path.relative_to(package).with_suffix("").parts
            in_packages = all((package.joinpath(*parts[:depth]) / "__init__.py").exists()
                              for depth in range(1, len(parts)))
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            if in_packages and parts and parts[-1] != "__main__":
                modules.add(".".join(parts))
        tree[package.name] = modules
    return tree


def readme_engine_rows() -> dict[str, tuple[str, str]]:
    """README's table of fmnist_core: {module or package: (what it holds, its TensorFlow column)}."""
    layout = (REPO / "README.md").read_text().split("\n## Layout\n")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(\w+)/?` \| (.+?) \| ([^|]+?) \|$", layout, re.MULTILINE)
    return {name: (what, tensorflow) for name, what, tensorflow in rows}


def tensorflow_modules(name: str, modules: set[str], column: str) -> set[str]:
    """The modules a row says import TensorFlow: none ("no …"), all ("yes"), or those it names."""
    if column.startswith("no"):
        return set()
    if column == "yes":
        return modules or {name}
    return set(re.findall(r"`([\w.]+)`", column))


def test_readme_names_every_engine_module():
    """One row per top-level module and package of fmnist_core; a package's row names each of its
    modules."""
    tree, rows = engine_tree(), readme_engine_rows()
    assert set(rows) == set(tree)
    for package, modules in tree.items():
        named = set(re.findall(r"`([\w.]+)`", rows[package][0]))
        assert modules <= named, f"README's row for {package}/ does not name {sorted(modules - named)}"


def test_every_package_says_what_it_is_for():
    for init in ENGINE.rglob("__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"


def test_modules_marked_tensorflow_free_load_without_it():
    free = []
    for name, modules in engine_tree().items():
        heavy = tensorflow_modules(name, modules, readme_engine_rows()[name][1])
        assert heavy <= (modules or {name}), f"README's row for {name} names {heavy - modules}"
        if not modules:
            free += [] if heavy else [name]
        elif modules - heavy:  # the package itself loads without TensorFlow too
            free += [name, *(f"{name}.{module}" for module in sorted(modules - heavy))]
    code = (f"import sys, importlib; [importlib.import_module('fmnist_core.' + m) for m in {free!r}]; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.architecture}{c.hidden_layers}{c.batch_norm}")
def test_counts_and_shapes_equal_keras(config):
    from fmnist_core.training.model import build_model

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


# --- Sizes: a file, a class or a function of the engine short enough to read at once ---

MAX_FILE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 400, 300, 60


def oversized(root: Path) -> list[str]:
    """Each file over MAX_FILE_LINES lines, class over MAX_CLASS_LINES and function (or method) over
    MAX_FUNCTION_LINES below `root`, as "path:line name: N lines …" (a definition counts from its
    first decorator to its last line, docstring included)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text, where = path.read_text(), path.relative_to(root.parent)
        if len(text.splitlines()) > MAX_FILE_LINES:
            found.append(f"{where}: {len(text.splitlines())} lines (at most {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(text)):
            limit = {ast.ClassDef: MAX_CLASS_LINES, ast.FunctionDef: MAX_FUNCTION_LINES,
                     ast.AsyncFunctionDef: MAX_FUNCTION_LINES}.get(type(node))
            if limit is None:
                continue
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            lines = node.end_lineno - first + 1
            if lines > limit:
                found.append(f"{where}:{first} {node.name}: {lines} lines (at most {limit})")
    return found


def test_the_engine_has_no_file_over_400_lines_class_over_300_or_function_over_60():
    assert oversized(ENGINE) == []


def test_sizes_are_measured(tmp_path):
    body = "\n".join(f"    x = {n}" for n in range(61))
    (tmp_path / "long.py").write_text(f"@staticmethod\ndef long():\n{body}\n")
    assert oversized(tmp_path) == [f"{tmp_path.name}/long.py:1 long: 63 lines (at most 60)"]


# --- The code's own architecture: pages → ui → fmnist_core, no import running back up, no circle ---

PROJECT = ("app", "navigation", "pages", "ui", "fmnist_core", "benchmarks", "deploy", "tests", "tools",
           "scripts")


def project_modules() -> dict[str, Path]:
    """Every module of the project by its dotted name (pages/0_Home.py: pages.0_Home)."""
    modules = {}
    for path in REPO.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[0].split(".")[0] in PROJECT and "migrations" not in parts:
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_names(path: Path) -> set[str]:
    """What a file imports, wherever in it (a function's deferred import counts): `import a.b` gives
    a.b, `from a import b` gives a and a.b (b may be a module or a name in a)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.fixture(scope="module")
def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_names(path) & modules.keys() for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected parts of more than one module (Tarjan's algorithm)."""
    index, low, stack, found = {}, {}, [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(part) > 1:
                found.append(sorted(part))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_circle(import_graph):
    assert circles(import_graph) == []


def test_circles_are_found():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_runs_back_up_the_layers(import_graph):
    layer = {"pages": 3, "navigation": 3, "app": 3, "ui": 2, "fmnist_core": 1}
    upward = [(name, used) for name, uses in import_graph.items() if name.split(".")[0] in layer
              for used in uses if layer.get(used.split(".")[0], 0) > layer[name.split(".")[0]]]
    assert upward == []


def test_the_engine_never_imports_streamlit():
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "fmnist_core").rglob("*.py")
                 if any(name.split(".")[0] == "streamlit" for name in imported_names(path))]
    assert offenders == []


def test_ui_resources_imports_no_other_ui_module(import_graph):
    assert {name for name in import_graph["ui.resources"] if name.startswith("ui")} == set()


def test_benchmarks_and_tools_never_import_the_tests(import_graph):
    """What tests and benchmarks share lives in tools/; a benchmark never imports a test module."""
    offenders = sorted((name, used) for name, uses in import_graph.items()
                       if name.split(".")[0] in ("benchmarks", "tools") for used in uses
                       if used.split(".")[0] == "tests")
    assert offenders == []


def test_tools_never_import_a_benchmark(import_graph):
    assert sorted((name, used) for name, uses in import_graph.items() if name.startswith("tools")
                  for used in uses if used.split(".")[0] == "benchmarks") == []


def test_the_browser_tests_and_only_they_are_in_tests_browser():
    """A test module that drives a real browser is in tests/browser/ and marked `browser` as a whole
    (so `-m "not browser"` leaves it out); no test elsewhere is marked so."""
    marked = re.compile(r"^(pytestmark = pytest\.mark\.browser|@pytest\.mark\.browser)$", re.MULTILINE)
    whole = re.compile(r"^pytestmark = pytest\.mark\.browser$", re.MULTILINE)
    tests = REPO / "tests"
    outside = [str(path.relative_to(REPO)) for path in tests.glob("test_*.py")
               if marked.search(path.read_text())]
    unmarked = [str(path.relative_to(REPO)) for path in (tests / "browser").glob("test_*.py")
                if not whole.search(path.read_text())]
    assert (outside, unmarked) == ([], [])

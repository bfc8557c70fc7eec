"""A run as code to take home: the lesson's Keras, with exactly the run's network and training.

`lesson_cells(config)` writes the run as the Keras tutorial's sections (load the data, normalise,
build, compile, fit, evaluate, predict the first test image); `as_script` and `as_notebook` give
them as a Python file and as a Jupyter notebook (for Colab or Jupyter). No TensorFlow here: the
code is text; it imports Keras when it runs.
"""

from dataclasses import dataclass

from fmnist_core.architecture import KERNEL, LayerSpec, layer_specs, parameter_count
from fmnist_core.config import ExperimentConfig
from fmnist_core.data import TRAIN_IMAGES
from fmnist_core.lesson.words import count

OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" or "code"
    source: str


def lesson_cells(config: ExperimentConfig, *, title: str = "A run from Fashion-MNIST Classroom",
                 measured: float | None = None) -> list[Cell]:
    """The run as the lesson's sections; `measured` is the test accuracy the app measured."""
    changed = config.differences()
    settings = ", ".join(f"`{name}={value}`" for name, value in changed.items()) or "the lesson's own"
    result = f" The app measured a test accuracy of **{measured:.2%}**." if measured is not None else ""
    return [
        Cell("markdown", f"# {title}\n\nThe Keras lesson *Classify images of clothing* with this "
                         f"run's settings: {settings}.{result} Run every cell in order; with the "
                         "same settings and seed Keras trains the same network, and its accuracy "
                         "comes out close to the app's."),
        Cell("code", "import keras\nimport numpy as np\n\nkeras.utils.set_random_seed("
                     f"{config.seed})  # the run's seed"),
        Cell("markdown", "## Load the data\n\n60,000 training and 10,000 test images of 28×28 "
                         "grey pixels, each labelled 0 to 9."),
        Cell("code", _load_data(config)),
        *_augmentation(config),
        Cell("markdown", "## Build the model\n\n" + _what_the_model_is(config)),
        Cell("code", _model(config)),
        Cell("markdown", "## Compile and train\n\n" + _what_training_is(config)),
        Cell("code", _compile_and_fit(config)),
        Cell("markdown", "## Evaluate\n\nThe test images were never used in training: their "
                         "accuracy says how well the network really does."),
        Cell("code", "test_loss, test_accuracy = model.evaluate(test_images, test_labels, verbose=2)\n"
                     "print(f\"Test accuracy: {test_accuracy:.4f}\")"),
        Cell("markdown", "## Predict\n\nThe model gives 10 scores per image; softmax turns them "
                         "into probabilities, and the largest is its answer."),
        Cell("code", _predict_first()),
    ]


def _load_data(config: ExperimentConfig) -> str:
    lines = ["(train_images, train_labels), (test_images, test_labels) = "
             "keras.datasets.fashion_mnist.load_data()",
             'class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", '
             '"Shirt", "Sneaker", "Bag", "Ankle boot"]']
    if config.train_size < TRAIN_IMAGES or config.validation_split > 0:
        lines += [f"# The run learned from {config.train_size:,} of the 60,000 training images, "
                  "chosen at random with its seed.",
                  f"chosen = np.random.default_rng({config.seed}).permutation("
                  f"len(train_labels))[:{config.train_size}]",
                  "train_images, train_labels = train_images[chosen], train_labels[chosen]"]
    lines.append("print(train_images.shape, test_images.shape)")
    return "\n".join(lines)


def _augmentation(config: ExperimentConfig) -> list[Cell]:
    """Keras's image layers that move each training batch at random, as the run's did."""
    if not config.augments:
        return []
    moves = ', fill_mode="constant", interpolation="nearest"'  # black from outside, pixels not blurred
    layers = ((['keras.layers.RandomFlip("horizontal")'] if config.flip else []) +
              ([f"keras.layers.RandomTranslation({config.shift} / 28, {config.shift} / 28{moves})"]
               if config.shift else []) +
              ([f"keras.layers.RandomRotation({config.rotation} / 360{moves})"] if config.rotation else []) +
              ([f"keras.layers.RandomZoom({config.zoom:g}{moves})"] if config.zoom else []))
    code = ("import tensorflow as tf\n\naugment = keras.Sequential([\n" +
            "".join(f"    {layer},\n" for layer in layers) + '], name="augmentation")\n\n\n'
            "def augmented(images, labels):  # Keras's image layers want a channel: 28×28×1\n"
            "    return augment(images[..., None], training=True)[..., 0], labels")
    return [Cell("markdown", "## Augment the data\n\nEach batch is moved at random as it is "
                             "trained on, so the network sees new versions of the images in every "
                             "epoch; the test images are never moved."),
            Cell("code", code)]


def _what_the_model_is(config: ExperimentConfig) -> str:
    normalise = ("The `Rescaling` layer divides every pixel by 255, as the lesson's "
                 "`train_images / 255.0` does, inside the model. " if config.normalize else
                 "This run feeds the raw 0–255 pixels (no normalisation). ")
    return (f"{normalise}The network has **{parameter_count(config):,}** parameters, exactly "
            "as in the app.")


def _model(config: ExperimentConfig) -> str:
    layers = ",\n".join(f"    {_layer(spec, config)}" for spec in layer_specs(config))
    return (f"model = keras.Sequential([\n    keras.Input(shape=(28, 28)),\n{layers},\n])\n"
            "model.summary()")


INITIALIZER_CODE = {"glorot_uniform": "", "he_normal": 'kernel_initializer="he_normal", ',
                    "zeros": 'kernel_initializer="zeros", '}


# The Keras class of each kind of layer in `layer_specs`.
KERAS_LAYERS = {"rescaling": "Rescaling", "reshape": "Reshape", "conv": "Conv2D", "pool": "MaxPooling2D",
                "flatten": "Flatten", "dense": "Dense", "batchnorm": "BatchNormalization",
                "activation": "Activation", "dropout": "Dropout"}


def _layer(spec: LayerSpec, config: ExperimentConfig) -> str:
    """The layer's line in `keras.Sequential`: its class, its arguments, its name."""
    if spec.kind not in KERAS_LAYERS:
        raise ValueError(f"unknown layer kind {spec.kind!r}")
    # What the layer takes before its name, each followed by ", " (flatten and batchnorm: nothing)
    arguments = {"rescaling": "1 / 255, ", "reshape": f"{spec.output_shape}, ",
                 "conv": f"{spec.units}, {KERNEL}, ", "pool": "2, ", "dense": f"{spec.units}, ",
                 "activation": f'"{spec.activation}", ', "dropout": f"{spec.rate:g}, "}.get(spec.kind, "")
    if spec.kind in ("conv", "dense"):
        arguments += _neurons(spec, config)
    return f'keras.layers.{KERAS_LAYERS[spec.kind]}({arguments}name="{spec.name}")'


def _neurons(spec: LayerSpec, config: ExperimentConfig) -> str:
    """A conv or dense layer's activation, if any, and how its weights start and are penalised."""
    activation = f'activation="{spec.activation}", ' if spec.activation else ""
    return activation + INITIALIZER_CODE[config.initializer] + (
        f"kernel_regularizer=keras.regularizers.L2({config.l2:g}), " if config.l2 else "")


def _what_training_is(config: ExperimentConfig) -> str:
    held_out = (f"{config.validation_split:.0%} of the training images are held out to validate "
                "on after each epoch." if config.validation_split > 0 else
                "After each epoch Keras prints the loss and accuracy on the training images.")
    return (f"{count(config.epochs, 'epoch')}, in batches of {config.batch_size}: each epoch is "
            f"{count(config.steps_per_epoch, 'update step')}. {held_out}")


def _compile_and_fit(config: ExperimentConfig) -> str:
    lines = []
    steps = f"{config.epochs} * {config.steps_per_epoch}"  # the run's steps: epochs × steps an epoch
    rate = f"{config.learning_rate:g}"
    if config.lr_schedule == "step":
        lines.append(f"steps = {steps}  # {config.epochs} epochs of {config.steps_per_epoch} steps\n"
                     "learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(\n"
                     f"    [steps // 2, steps * 3 // 4], [{rate}, {rate} / 10, {rate} / 100])")
        rate = "learning_rate"
    elif config.lr_schedule == "cosine":
        lines.append(f"learning_rate = keras.optimizers.schedules.CosineDecay({rate}, "
                     f"decay_steps={steps})")
        rate = "learning_rate"
    optimizer = f"keras.optimizers.{OPTIMIZERS[config.optimizer]}(learning_rate={rate})"
    data = "train_images, train_labels"
    validation = (f", validation_split={config.validation_split:g}"
                  if config.validation_split > 0 else "")
    if config.augments:  # batches from tf.data, moved as they go; validation held out by hand
        if config.validation_split > 0:
            lines.append(f"held_out = round(len(train_labels) * {config.validation_split:g})  "
                         "# as validation_split takes them: the last ones\n"
                         "validation = (train_images[-held_out:], train_labels[-held_out:])\n"
                         "train_images, train_labels = train_images[:-held_out], "
                         "train_labels[:-held_out]")
            validation = ", validation_data=validation"
        lines.append("batches = (tf.data.Dataset.from_tensor_slices((train_images, train_labels))\n"
                     f"           .shuffle(len(train_labels)).batch({config.batch_size})"
                     ".map(augmented))")
        data = "batches"
    batch = "" if config.augments else f", batch_size={config.batch_size}"
    callbacks = (", callbacks=[keras.callbacks.EarlyStopping(\n"
                 f"    monitor=\"val_loss\", patience={config.early_stopping}, "
                 "restore_best_weights=True)]" if config.early_stopping else "")
    lines.append(f"model.compile(optimizer={optimizer},\n"
                 "              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                 "              metrics=[\"accuracy\"])\n"
                 f"history = model.fit({data}, epochs={config.epochs}{batch}{validation}{callbacks})")
    return "\n".join(lines)


def _predict_first() -> str:
    return ("probabilities = keras.ops.softmax(model.predict(test_images[:1], verbose=0)).numpy()[0]\n"
            "answer = int(np.argmax(probabilities))\n"
            "print(f\"Test image 0: the model says {class_names[answer]} ({probabilities[answer]:.0%}); \"\n"
            "      f\"its label is {class_names[test_labels[0]]}.\")")


def as_script(config: ExperimentConfig, **header) -> str:
    """The run as a Python file: markdown cells become comments."""
    parts = []
    for cell in lesson_cells(config, **header):
        if cell.kind == "markdown":
            parts.append("\n".join(f"# {line}".rstrip() for line in cell.source.splitlines()))
        else:
            parts.append(cell.source)
    return "\n\n".join(parts) + "\n"


def as_notebook(config: ExperimentConfig, **header) -> str:
    """The run as a Jupyter notebook (nbformat 4), as JSON text."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell(cell.source) if cell.kind == "markdown"
                      else nbformat.v4.new_code_cell(cell.source)
                      for cell in lesson_cells(config, **header)]
    nbformat.validate(notebook)
    return nbformat.writes(notebook)

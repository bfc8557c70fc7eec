"""What a training will cost before it runs: its seconds on this server and the memory it adds.

Pure Python (no TensorFlow), from the layers `architecture.layer_specs` lists, so a page can say
"about 40 s" as the sliders move and offer the nearest setting that fits the time limit. Time is
work × a `Calibration`, measured on the server at start (`training.calibrate`); the defaults were
measured on the 2-core development machine.
"""

import math
from dataclasses import dataclass, fields

from fmnist_core.architecture import LayerSpec, layer_specs
from fmnist_core.config import SETTINGS_BY_NAME, ExperimentConfig
from fmnist_core.data import IMAGE_SHAPE, TEST_IMAGES

FORWARD_AND_BACKWARD = 3  # a training step's arithmetic: the forward pass once, the backward twice
FLOAT_BYTES = 4
IMAGE_PIXELS = math.prod(IMAGE_SHAPE)
# The trainers' bounds, here so that estimates need no TensorFlow: `training` and `model` use them.
CHUNK_IMAGES = 6400  # bounds a trainer's chunk buffer: 6,400 images = 5 MB
MAX_CHUNK_STEPS = 200
PREDICT_BATCH = 1000  # images scored at once
OPTIMIZER_SLOTS = {"adam": 2, "rmsprop": 1, "sgd": 0}  # arrays the optimizer keeps per weight
# A step keeps each layer's outputs for the backward pass, then their gradients; measured here
# (VmHWM), the CNN at batch 4,096 added 497 MB: 1.6× its forward outputs (4,096 × 72 kB) beyond
# TRAINING_OVERHEAD_BYTES.
ACTIVATION_COPIES = 1.5
# What a training adds beyond its arrays (compiling its loop, TensorFlow's kernels and caches),
# measured here with VmHWM on 2,000-image runs after the lesson's trainer was compiled, as in the
# app: a run on a reused trainer +15 MB, a new dense trainer +20–50 MB beyond its arrays, the first
# convnet ≈ +15 MB beyond its arrays. The very first training of a process adds 156 MB (the README's
# ≈ +175 MB: TensorFlow's runtime and XLA start), which the queue's workers pay while preparing the
# lesson's model, before any student's training; the 15 % the queue keeps free covers a slack.
TRAINING_OVERHEAD_BYTES = 60 * 2**20


@dataclass(frozen=True)
class Calibration:
    """Seconds per unit of a training's work. The defaults were measured on the idle 2-core
    development machine (the fastest of three chunks on compiled trainers: the lesson's model at
    batches 1 to 4,096, three layers of 1,024, 16 neurons, each within 1.7× of its estimate; the
    CNN at batches 1 to 512, 1.6–37 ms a step, within 1.7×); `training.calibrate` measures them on
    the server."""

    seconds_per_flop: float = 6.0e-12  # a dense layer's arithmetic, XLA-compiled: ≈ 170 GFLOP/s
    seconds_per_step: float = 2.5e-5  # each optimizer step's fixed cost in a compiled loop
    seconds_per_weight: float = 7.0e-10  # the optimizer's update of one weight, each step
    seconds_per_image: float = 1.6e-6  # gathering, casting and scoring one image of a batch
    seconds_per_run: float = 0.04  # building the run's model, copying its weights in and out
    # Augmentation's moving of one image (its affine map and gather): 6,400 images cost 18 ms in
    # a compiled chunk, measured beside the same chunk unmoved.
    seconds_per_moved_image: float = 2.8e-6
    # A convnet's per-image cost, counted on its convolutions' arithmetic but standing for all of
    # its step's work beyond the dense estimate (ReLU, pooling, the unfused dense layers): ≈ 0.05 ms
    # an image for the one-block CNN.
    seconds_per_conv_flop: float = 8.5e-11
    seconds_per_conv_step: float = 2.5e-3  # a convnet's loop runs op by op (no XLA): per step
    # Each value of a feature map that a layer after a convolution computes on its own, forward
    # (batch normalisation, then a separate ReLU): measured side by side here, batch normalisation's
    # two such layers of 26 × 26 × 16 took the lesson's convnet from 6.6 to 11.6 ms a step (batch
    # 128), on a machine running it at 0.6 × these defaults; without this cost the top rung was
    # foretold 77 s for its 140 s.
    seconds_per_conv_value: float = 1.0e-9

    def __post_init__(self):
        for field in fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"{field.name} must be more than 0; got {getattr(self, field.name)!r}.")

    def scaled(self, dense: float, conv: float) -> "Calibration":
        """These costs on a machine `dense` times slower for dense work, `conv` for convolutions."""
        return Calibration(**{field.name: getattr(self, field.name) * (
            conv if "conv" in field.name else dense) for field in fields(self)})


DEFAULT_CALIBRATION = Calibration()


def estimated_seconds(config: ExperimentConfig, calibration: Calibration = DEFAULT_CALIBRATION) -> float:
    """About how long `config` trains: its steps, its per-epoch evaluations and the run's set-up."""
    return calibration.seconds_per_run + config.epochs * epoch_seconds(config, calibration) \
        + _final_test_seconds(config, calibration)


def epoch_seconds(config: ExperimentConfig, calibration: Calibration = DEFAULT_CALIBRATION) -> float:
    """One epoch: its optimizer steps, then scoring the held-out images."""
    held_out = config.validation_images or TEST_IMAGES
    return config.steps_per_epoch * sum(step_parts(config, calibration)) \
        + _padded(held_out) * _scoring_seconds_per_image(config, calibration)


def step_parts(config: ExperimentConfig, calibration: Calibration) -> tuple[float, float]:
    """One optimizer step's seconds: the dense part and the convolutions' part.

    A step computes a whole batch (a smaller last one is padded): each layer's forward and backward
    arithmetic, ~2 × 3 × weights FLOPs an image for a dense layer, per output pixel for a convolution.
    """
    specs, batch = layer_specs(config), config.batch_size
    dense = (calibration.seconds_per_step + calibration.seconds_per_weight * _weights(specs)
             + batch * (calibration.seconds_per_image + FORWARD_AND_BACKWARD
                        * calibration.seconds_per_flop * _dense_flops(specs)
                        + (calibration.seconds_per_moved_image if config.augments else 0.0)))
    conv = (calibration.seconds_per_conv_step + batch * FORWARD_AND_BACKWARD
            * _conv_seconds_per_image(specs, calibration)) if _conv_flops(specs) else 0.0
    return dense, conv


def _scoring_seconds_per_image(config: ExperimentConfig, calibration: Calibration) -> float:
    specs = layer_specs(config)
    return (calibration.seconds_per_image + calibration.seconds_per_flop * _dense_flops(specs)
            + _conv_seconds_per_image(specs, calibration))


def _conv_seconds_per_image(specs: list[LayerSpec], calibration: Calibration) -> float:
    """One image's forward pass through the convolutions and the layers on their feature maps."""
    return (calibration.seconds_per_conv_flop * _conv_flops(specs)
            + calibration.seconds_per_conv_value * _feature_map_values(specs))


def _final_test_seconds(config: ExperimentConfig, calibration: Calibration) -> float:
    """With a validation split, the test set is scored once more at the end."""
    if not config.validation_images:
        return 0.0
    return _padded(TEST_IMAGES) * _scoring_seconds_per_image(config, calibration)


def _padded(images: int) -> int:
    """Images scored, in batches of PREDICT_BATCH (the last one padded)."""
    return -(-images // PREDICT_BATCH) * PREDICT_BATCH


def _weights(specs: list[LayerSpec]) -> int:
    return sum(spec.params for spec in specs)


def _dense_flops(specs: list[LayerSpec]) -> int:
    """One image's forward pass through the dense layers: a multiply and an add per weight."""
    return sum(2 * spec.params for spec in specs if spec.kind == "dense")


def _conv_flops(specs: list[LayerSpec]) -> int:
    """One image's forward pass through the convolutions: every kernel weight at every output pixel."""
    return sum(2 * (spec.params - spec.units) * spec.output_shape[0] * spec.output_shape[1]
               for spec in specs if spec.kind == "conv")


def _feature_map_values(specs: list[LayerSpec]) -> int:
    """The values of the feature maps (three-dimensional outputs) that layers other than the
    convolutions and their pooling compute: batch normalisation, activations, dropout."""
    return sum(math.prod(spec.output_shape) for spec in specs
               if len(spec.output_shape) == 3 and spec.kind in ("batchnorm", "activation", "dropout"))


def nearest_that_fits(config: ExperimentConfig, calibration: Calibration,
                      max_seconds: float) -> ExperimentConfig | None:
    """`config` if it trains within `max_seconds`, else the nearest setting that does: fewer epochs
    first, then fewer training images (as many epochs as fit), then a bigger batch; None if none."""
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be more than 0; got {max_seconds!r}.")
    sizes = [config.train_size, *_smaller(config.train_size, "train_size")]
    for batch in [config.batch_size, *_bigger(config.batch_size, "batch_size")]:
        for size in sizes:
            candidate = config.with_changes(train_size=size, batch_size=batch)
            epochs = _epochs_that_fit(candidate, calibration, max_seconds)
            if epochs:
                return candidate.with_changes(epochs=epochs)
    return None


def _epochs_that_fit(config: ExperimentConfig, calibration: Calibration, max_seconds: float) -> int:
    """The most epochs, up to `config.epochs`, that train within `max_seconds` (0: not one)."""
    spare = max_seconds - calibration.seconds_per_run - _final_test_seconds(config, calibration)
    return max(0, min(config.epochs, math.floor(spare / epoch_seconds(config, calibration))))


def _smaller(value: int, setting: str) -> list[int]:
    """The setting's usual values below `value`, nearest first."""
    return sorted((option for option in SETTINGS_BY_NAME[setting].options if option < value),
                  reverse=True)


def _bigger(value: int, setting: str) -> list[int]:
    return sorted(option for option in SETTINGS_BY_NAME[setting].options if option > value)


def memory_needed(config: ExperimentConfig) -> int:
    """About the bytes a training of `config` adds to the server while it runs."""
    specs, batch = layer_specs(config), config.batch_size
    slots = OPTIMIZER_SLOTS[config.optimizer]
    # The trainer holds the weights, the optimizer's slots and the gradients; the run's own model
    # (kept with the finished run) its weights and slots.
    arrays = _weights(specs) * FLOAT_BYTES * ((2 + slots) + (1 + slots))
    chunk = chunk_images(batch) * (IMAGE_PIXELS + 4)  # the uint8 images and int32 labels of a chunk
    per_image = FLOAT_BYTES * (IMAGE_PIXELS + sum(math.prod(spec.output_shape) for spec in specs))
    activations = max(batch * per_image * ACTIVATION_COPIES, PREDICT_BATCH * per_image)
    return int(arrays + chunk + activations + TRAINING_OVERHEAD_BYTES)


def chunk_images(batch_size: int) -> int:
    """Images in a trainer's chunk buffer: whole batches, at most CHUNK_IMAGES (but one batch)."""
    return chunk_steps(batch_size) * batch_size


def chunk_steps(batch_size: int) -> int:
    """The most steps one compiled call of a trainer runs: MAX_CHUNK_STEPS, fewer for big batches."""
    return max(1, min(MAX_CHUNK_STEPS, CHUNK_IMAGES // batch_size))

"""Inside the network, computed: a map of the test images placed by what a run's last hidden layer
computes for them, before and after training.

`projection` picks the map's fixed sample of test images and projects activations to 2-D (PCA with
NumPy; `ActivationMap`, the map's points); `map` runs a model over that sample, for a trained run
and for the same run's starting weights, rebuilt from its config and seed (`maps_before_and_after`).
Only `map` imports TensorFlow (import it as `fmnist_core.inside.map` where a model is at hand).

Exports the TensorFlow-free parts: `MAP_PER_CLASS`, `map_sample`, `Projection`, `principal_axes`,
`ActivationMap`.
"""

from fmnist_core.inside.projection import MAP_PER_CLASS, ActivationMap, Projection, map_sample, principal_axes

__all__ = ["MAP_PER_CLASS", "ActivationMap", "Projection", "map_sample", "principal_axes"]

"""Inside the network, computed: a map of the test images placed by what a run's last hidden layer
computes for them (before and after training), and one neuron's arithmetic, number by number.

`projection` picks the map's fixed sample of test images and projects activations to 2-D (PCA with
NumPy; `ActivationMap`, the map's points); `map` runs a model over that sample, for a trained run
and for the same run's starting weights, rebuilt from its config and seed (`maps_before_and_after`);
`arithmetic` redoes, in NumPy from the model's own weights, the sum one neuron or one convolution
filter computes and the output layer's scores. Only `map` imports TensorFlow (import it as
`fmnist_core.inside.map` where a model is at hand).

Exports the TensorFlow-free parts: `MAP_PER_CLASS`, `map_sample`, `Projection`, `principal_axes`,
`ActivationMap`, `NeuronArithmetic`, `OutputArithmetic`, `neuron_arithmetic`, `filter_arithmetic`,
`output_arithmetic`.
"""

from fmnist_core.inside.arithmetic import (
    NeuronArithmetic,
    OutputArithmetic,
    filter_arithmetic,
    neuron_arithmetic,
    output_arithmetic,
)
from fmnist_core.inside.projection import MAP_PER_CLASS, ActivationMap, Projection, map_sample, principal_axes

__all__ = ["MAP_PER_CLASS", "ActivationMap", "NeuronArithmetic", "OutputArithmetic", "Projection",
           "filter_arithmetic", "map_sample", "neuron_arithmetic", "output_arithmetic", "principal_axes"]

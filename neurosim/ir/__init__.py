"""Hardware-neutral network IR, its integer quantisation and the reference deploy model."""

from neurosim.ir.deploy import DeployResult, run
from neurosim.ir.network import ConvGeometry, Network, Neuron, Population, Projection, Timing
from neurosim.ir.quantize import leak_delta, quantize

__all__ = ["ConvGeometry", "DeployResult", "Network", "Neuron", "Population", "Projection", "Timing",
           "leak_delta", "quantize", "run"]

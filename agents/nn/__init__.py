"""Neural-network building blocks: Vector-Neuron layers (exactly equivariant) and plain MLPs."""

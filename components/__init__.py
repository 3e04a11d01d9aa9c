"""k3s-multicloud: one K3s cluster with a Kilo WireGuard mesh across clouds."""

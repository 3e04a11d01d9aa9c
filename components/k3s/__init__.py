"""K3s on the prepared hosts: one token, pinned version, config.yaml per node."""

from components.k3s.cluster import K3sCluster

__all__ = ["K3sCluster"]

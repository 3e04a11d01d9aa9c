"""The Kilo Peer CustomResourceDefinition (peers.kilo.squat.ai, v1alpha1).

The schema matches the one Kilo 0.7.0 ships in manifests/crds.yaml: the same
fields, types, formats and required lists. The descriptions are our own. kg
exits at startup when this CRD is missing, so it is applied before
everything else.
"""

from __future__ import annotations

from typing import Any

PEER_CRD_NAME = "peers.kilo.squat.ai"


def _string(description: str) -> dict[str, Any]:
    return {"description": description, "type": "string"}


def _peer_endpoint_schema() -> dict[str, Any]:
    return {
        "description": "Address where the peer first receives WireGuard packets.",
        "properties": {
            "dnsOrIP": {
                "description": "Host of the endpoint: set dns or ip.",
                "properties": {
                    "dns": _string("DNS name of the peer (an RFC 1123 subdomain)."),
                    "ip": _string("IP address of the peer."),
                },
                "type": "object",
            },
            "port": {
                "description": "UDP port of the peer, 1-65535.",
                "format": "int32",
                "type": "integer",
            },
        },
        "required": ["dnsOrIP", "port"],
        "type": "object",
    }


def _peer_spec_schema() -> dict[str, Any]:
    return {
        "description": "Desired state of the Peer.",
        "properties": {
            "allowedIPs": {
                "description": "CIDRs routed to this peer through the WireGuard tunnel.",
                "items": {"type": "string"},
                "type": "array",
            },
            "endpoint": _peer_endpoint_schema(),
            "persistentKeepalive": {
                "description": "Seconds between keepalive packets to the peer; 0 disables them.",
                "type": "integer",
            },
            "presharedKey": _string("Optional WireGuard preshared key, base64."),
            "publicKey": _string("WireGuard public key of the peer, base64."),
        },
        "required": ["allowedIPs", "publicKey"],
        "type": "object",
    }


def render_peer_crd() -> dict[str, Any]:
    """Build the Peer CRD object."""
    schema = {
        "description": "A WireGuard peer outside the cluster that gets access to the Kilo mesh.",
        "properties": {
            "apiVersion": _string("Versioned schema of this object (Kubernetes API convention)."),
            "kind": _string("REST resource this object represents (Kubernetes API convention)."),
            "metadata": {"type": "object"},
            "spec": _peer_spec_schema(),
        },
        "required": ["spec"],
        "type": "object",
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": PEER_CRD_NAME},
        "spec": {
            "group": "kilo.squat.ai",
            "names": {
                "kind": "Peer",
                "listKind": "PeerList",
                "plural": "peers",
                "singular": "peer",
            },
            "scope": "Cluster",
            "versions": [
                {
                    "name": "v1alpha1",
                    "schema": {"openAPIV3Schema": schema},
                    "served": True,
                    "storage": True,
                }
            ],
        },
    }

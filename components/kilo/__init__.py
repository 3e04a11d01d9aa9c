"""Kilo 0.7.0, the WireGuard mesh CNI: rendered objects, node annotations and their Pulumi wiring."""

from components.kilo.annotations import node_annotations
from components.kilo.component import Kilo
from components.kilo.render import dump_objects_yaml, render_kilo_objects

__all__ = ["Kilo", "dump_objects_yaml", "node_annotations", "render_kilo_objects"]

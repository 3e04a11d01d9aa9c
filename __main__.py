"""Pulumi entry point: the program lives in components/program.py."""

from components.program import main

main()

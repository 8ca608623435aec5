"""Experiment and workspace templates for flows, announced through entry points."""

__version__ = "0.1.0"

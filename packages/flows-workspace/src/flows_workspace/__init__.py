"""The flow command and run-time helpers for managing many ML experiments in one workspace."""

__version__ = "0.7.0"

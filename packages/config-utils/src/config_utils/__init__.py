"""A registry that pairs config dataclasses with what they configure and builds config trees into objects."""

__version__ = "0.1.0"

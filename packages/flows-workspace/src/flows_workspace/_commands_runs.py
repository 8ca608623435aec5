"""Subcommands that read the record of runs (placeholder, being built)."""

from __future__ import annotations

RUN_COMMANDS: dict[str, type] = {}

"""Subcommands that set up a workspace and its experiments (placeholder, being built)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegacyInit:
    """Placeholder for the original `flow_init`."""

    def run(self) -> None:
        """Not built yet."""
        raise NotImplementedError


@dataclass(frozen=True)
class LegacyCreate:
    """Placeholder for the original `flow_create`."""

    def run(self) -> None:
        """Not built yet."""
        raise NotImplementedError


WORKSPACE_COMMANDS: dict[str, type] = {}

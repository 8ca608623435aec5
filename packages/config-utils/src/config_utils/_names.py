"""Messages for names that are not registered: what is registered and what is closest."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

_SHOWN = 30  # listing hundreds of names helps nobody; the nearest matches come first anyway


def unknown_name_message(kind: str, name: str, known: Iterable[str], hint: str) -> str:
    """Say that `name` is not a registered `kind`, list the nearest and all registered names.

    Args:
        kind: What was looked up, e.g. "config" or "name".
        name: The name that was not found.
        known: Every registered name of that kind.
        hint: What to do about it, appended as the last sentence.
    """
    names = sorted(known)
    nearest = nearest_names(name, names)
    if not names:
        registered = f"no {kind} is registered"
    elif len(names) > _SHOWN:
        registered = f"registered: {', '.join(names[:_SHOWN])}, … ({len(names)} in all)"
    else:
        registered = f"registered: {', '.join(names)}"
    did_you_mean = f" Did you mean {nearest}?" if nearest else ""
    return f"`{name}` is not a registered {kind} ({registered}).{did_you_mean} {hint}"


def nearest_names(name: str, known: Iterable[str]) -> str:
    """The names in `known` closest to `name`, as "`A` or `B`" ("" when none is close)."""
    import difflib  # only errors pay for it

    nearest = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
    return " or ".join(f"`{n}`" for n in nearest)

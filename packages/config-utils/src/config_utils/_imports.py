"""What a registry imports when a lookup misses: its lazy modules and its entry points.

"X is not in the registry" usually means the module that registers X was never imported;
importing these before failing turns that into a working lookup.
"""

from __future__ import annotations

import importlib
import warnings

from ._errors import RegistryError, RegistryWarning, caller_stacklevel


def import_lazily(module: str) -> None:
    """Import `module`, which registers what it defines.

    Raises:
        RegistryError: The module, or something it imports, is not installed.
    """
    try:
        importlib.import_module(module)
    except ImportError as exc:
        msg = f"The registry's lazy import `{module}` failed: {exc}. Install it or remove it."
        raise RegistryError(msg, original=exc) from exc


def load_entry_points(group: str) -> bool:
    """Load every entry point of `group`; `True` if any loaded.

    An entry point that fails to load is skipped with a `RegistryWarning`: one broken
    plugin must not break every other lookup.
    """
    from importlib.metadata import entry_points  # slow to import; only a miss pays for it

    loaded = False
    for entry_point in entry_points(group=group):
        try:
            entry_point.load()
            loaded = True
        except Exception as exc:  # any failure: a broken plugin is skipped, see above
            msg = (
                f"The entry point `{entry_point.name} = {entry_point.value}` (group "
                f"`{group}`) failed to load: {type(exc).__name__}: {exc}; it was skipped."
            )
            warnings.warn(msg, RegistryWarning, stacklevel=caller_stacklevel())
    return loaded

"""The registry: `from config_utils.registry import registry`.

`registry` is the default `Registry`; a library may keep its own with `Registry()`.
This module imports neither tyro nor anything heavy.
"""

from __future__ import annotations

import config_utils as _package

from . import (  # noqa: F401 - re-exported through `__all__` below
    Configures,
    ConfiguresPartial,
    InvalidNameError,
    Registry,
    RegistryError,
    RegistryWarning,
    UnknownNameError,
    __version__,
    build,
    config_from_signature,
)

#: The default registry. Distributions may announce modules that register into it in the
#: entry-point group `config_utils.registry`; a name lookup that misses imports them.
registry = Registry(entry_point_group="config_utils.registry")

__all__ = ["registry"]
__all__ += _package.__all__  # the package's public names, importable from here too

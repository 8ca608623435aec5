"""The registry: `from config_utils.registry import registry`.

`registry` is the default `Registry`; libraries may make their own with `Registry()`.
This module imports neither tyro nor anything heavy.
"""

from __future__ import annotations

from ._errors import RegistryError as RegistryError
from ._errors import RegistryWarning as RegistryWarning
from ._errors import UnknownNameError as UnknownNameError
from ._registry import Registry as Registry

#: The default registry. Distributions may announce modules that register into it through
#: the entry-point group `config_utils.registry`; a name lookup that misses loads them.
registry = Registry(entry_point_group="config_utils.registry")

__all__ = ["Registry", "RegistryError", "RegistryWarning", "UnknownNameError", "registry"]

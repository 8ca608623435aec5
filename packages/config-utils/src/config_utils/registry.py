"""The registry: `from config_utils.registry import registry`.

`registry` is the default `Registry`; a library may keep its own with `Registry()`.
This module imports neither tyro nor anything heavy.
"""

from __future__ import annotations

from ._errors import RegistryError as RegistryError
from ._errors import RegistryWarning as RegistryWarning
from ._errors import UnknownNameError as UnknownNameError
from ._registry import Registry as Registry
from ._signature_config import config_from_signature as config_from_signature
from ._typed import Configures as Configures
from ._typed import ConfiguresPartial as ConfiguresPartial
from ._typed import build as build

#: The default registry. Distributions may announce modules that register into it in the
#: entry-point group `config_utils.registry`; a name lookup that misses imports them.
registry = Registry(entry_point_group="config_utils.registry")

__all__ = [
    "Configures",
    "ConfiguresPartial",
    "Registry",
    "RegistryError",
    "RegistryWarning",
    "UnknownNameError",
    "build",
    "config_from_signature",
    "registry",
]

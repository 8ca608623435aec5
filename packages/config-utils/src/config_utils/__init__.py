"""Config dataclasses paired with what they configure, and config trees built into objects.

The registry itself is `config_utils.registry.registry`; tyro helpers are in
`config_utils.cli` (the only module that imports tyro).
"""

from ._errors import InvalidNameError as InvalidNameError
from ._errors import RegistryError as RegistryError
from ._errors import RegistryWarning as RegistryWarning
from ._errors import UnknownNameError as UnknownNameError
from ._registry import Registry as Registry
from ._signature_config import config_from_signature as config_from_signature
from ._typed import Configures as Configures
from ._typed import ConfiguresPartial as ConfiguresPartial
from ._typed import build as build

__version__ = "0.1.0"

__all__ = [
    "Configures",
    "ConfiguresPartial",
    "InvalidNameError",
    "Registry",
    "RegistryError",
    "RegistryWarning",
    "UnknownNameError",
    "__version__",
    "build",
    "config_from_signature",
]

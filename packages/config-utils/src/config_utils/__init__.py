"""Config dataclasses paired with what they configure, and config trees built into objects."""

from ._errors import RegistryError as RegistryError
from ._errors import RegistryWarning as RegistryWarning
from ._errors import UnknownNameError as UnknownNameError

__version__ = "0.1.0"

__all__ = ["RegistryError", "RegistryWarning", "UnknownNameError", "__version__"]

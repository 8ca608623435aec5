"""The registry's exception and warning types."""

from __future__ import annotations

import os
import sys


class RegistryError(Exception):
    """Any error the registry reports: a bad registration, an unknown name, a failed build.

    Attributes:
        path: For a failed build, the path of the failing node inside the config tree
            (for example `config.loss.modules[1]`); otherwise `None`.
        original: The exception the failing constructor raised, if any; it is also the
            `__cause__` of this error.
    """

    def __init__(
        self, message: str, *, path: str | None = None, original: BaseException | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.original = original

    def __str__(self) -> str:
        return self.message


class UnknownNameError(RegistryError, KeyError):
    """A name that nothing registered under (also a `KeyError`, as a dict miss is)."""


class InvalidNameError(RegistryError, ValueError):
    """A name given to register under that cannot be one (empty, blank or not a string)."""


class RegistryWarning(UserWarning):
    """A registration that replaced another object under the same name."""


def caller_stacklevel() -> int:
    """The `stacklevel` that points a warning at the first frame outside config-utils.

    Warnings about a registration or a lookup belong on the user's line that made it,
    however deep inside config-utils the warning is raised.
    """
    here = os.path.dirname(__file__)
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level

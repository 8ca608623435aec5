"""Facts about the machine and interpreter a run used, for its manifest.

Environment variables are recorded only from an allow-list of names that describe
hardware and scheduling; names that look like credentials are dropped even when a
listed prefix matches them.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from flows_workspace._names import canonical_distribution_name

if TYPE_CHECKING:
    from flows_workspace.runs.manifest import PythonFacts

ALLOWED_ENV_NAMES = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "CUDA_DEVICE_ORDER",
        "NVIDIA_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "PYTHONHASHSEED",
        "CUBLAS_WORKSPACE_CONFIG",
        "WORLD_SIZE",
        "RANK",
        "LOCAL_RANK",
        "LOCAL_WORLD_SIZE",
        "NODE_RANK",
        "MASTER_PORT",
        "PBS_JOBID",
        "LSB_JOBID",
        "JOB_ID",
        "VIRTUAL_ENV",
        "CONDA_DEFAULT_ENV",
    }
)
"""Environment variables a manifest records."""
ALLOWED_ENV_PREFIXES = ("SLURM_", "TORCHELASTIC_")
"""Prefixes of environment variables a manifest records."""
SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH", "COOKIE")
"""Parts of a name that keep a variable out of the manifest whatever the allow-list says."""


def recorded_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment variables and their values, sorted by name."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in sorted(source.items())
        if _allowed(name) and not any(marker in name.upper() for marker in SECRET_MARKERS)
    }


def _allowed(name: str) -> bool:
    return name in ALLOWED_ENV_NAMES or name.startswith(ALLOWED_ENV_PREFIXES)


def python_facts() -> tuple[PythonFacts, str]:
    """The interpreter, and the platform: `Linux-6.1.0-x86_64-with-glibc2.36`.

    Read from `os.uname` and the C library's own answer: `platform.platform()` gives
    about the same string, but its import and its look at the interpreter's binary cost
    about 15 ms, and it may start `uname -p`.
    """
    from flows_workspace.runs.manifest import PythonFacts

    interpreter = PythonFacts(
        version=sys.version.split()[0],
        implementation=_IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
        executable=sys.executable,
    )
    if not hasattr(os, "uname"):  # Windows
        import platform

        return interpreter, platform.platform()
    system = os.uname()
    name = f"{system.sysname}-{system.release}-{system.machine}"
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"
    except (ValueError, OSError):  # not glibc
        libc = ""
    return interpreter, f"{name}-with-{libc.replace(' ', '')}" if libc else name


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython"}
"""How `platform.python_implementation()` spells `sys.implementation.name`."""


def installed_distributions() -> dict[str, str]:
    """Installed distributions and their versions, by name, as found on `sys.path`.

    Read from the names of the `*.dist-info` / `*.egg-info` folders (`name-version`), not
    from each distribution's metadata file: a few milliseconds instead of tens. The
    first folder for a name wins, as it does for imports. Names are in canonical form
    (PEP 503: lower case, runs of `-_.` as one `-`).
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = [item.name for item in os.scandir(entry or ".")]
        except OSError:
            continue
        for name in sorted(names):
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix not in ("dist-info", "egg-info"):
                continue
            distribution, _, version = stem.partition("-")
            version = version.split("-")[0]  # egg-info may add `-pyX.Y`
            canonical = canonical_distribution_name(distribution)
            if canonical and version and canonical not in found:
                found[canonical] = version
    return dict(sorted(found.items()))

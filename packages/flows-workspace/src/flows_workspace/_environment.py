"""Facts about the machine and interpreter a run used, for its manifest.

Environment variables are recorded only from an allow-list of names that describe
hardware and scheduling; names that look like credentials are dropped even when a
listed prefix matches them.
"""

from __future__ import annotations

import os
import platform
import socket
import sys

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


def machine_facts() -> dict[str, object]:
    """Interpreter, platform and host name (cheap: no subprocess, no metadata scan)."""
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
    }


def installed_distributions() -> dict[str, str]:
    """Every installed distribution's name and version, sorted by name (tens of ms)."""
    from importlib.metadata import distributions

    found: dict[str, str] = {}
    for distribution in distributions():
        name = distribution.metadata["Name"]
        if name and name not in found:  # the first one on sys.path is the one imported
            found[name] = distribution.version
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))

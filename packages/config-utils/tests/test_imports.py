"""Importing the registry stays light: no tyro, nothing heavy."""

import subprocess
import sys


def test_registry_import_does_not_import_tyro() -> None:
    """`import config_utils.registry` imports no tyro module (checked with -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import config_utils.registry"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "config_utils.registry" in imported
    heavy = [m for m in imported if m.split(".")[0] in {"tyro", "rich", "docstring_parser"}]
    assert heavy == []


def test_cli_module_does_import_tyro() -> None:
    """The check above can fail: importing `config_utils.cli` does import tyro."""
    code = "import sys, config_utils.cli; print('tyro' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"

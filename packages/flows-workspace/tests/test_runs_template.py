"""The `default` template's run.py with the run helper: record, list, rerun, override.

Until the template itself uses the helper, the test applies the change the template
needs (the lines the run helper's README section shows); afterwards it runs the
template as rendered.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from flows_workspace._cli import main as flow_main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

HELPER_IMPORT = "from flows_workspace import parse_config, record_run\n"
HELPER_MAIN = """if __name__ == "__main__":
    config = parse_config(RunConfig, description=__doc__)
    with record_run(config, __file__) as run:
        main(config, run.dir)
"""
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def use_run_helper(text: str) -> str:
    """The default template's run.py switched to the run helper (unchanged if it already is)."""
    if "record_run(" in text:
        return text
    anchor = "from config_utils.registry import registry\n"
    assert anchor in text
    text = text.replace(anchor, anchor + HELPER_IMPORT)
    # The helper finds the logs folder itself: no need to import the flows package.
    text, found = re.subn(
        r"try:\n    from \w+ import LOGS_ROOT\nexcept ImportError.*?\n\n", "", text, flags=re.S
    )
    assert found == 1
    # record_run writes config.json (with registry names); main must not overwrite it.
    for line in (
        "    run_dir.mkdir(parents=True, exist_ok=True)\n",
        '    (run_dir / "config.json").write_text(json.dumps(asdict(config), indent=2) + "\\n")\n',
    ):
        assert line in text
        text = text.replace(line, "")
    start = text.index('if __name__ == "__main__":')
    return text[:start] + HELPER_MAIN


def _run(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ws / "flows" / "fit" / "run.py"), *args],
        cwd=ws,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _git(ws: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(ws), *args], check=True, capture_output=True, env=env)


def _config(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    return data


def test_default_template_run_is_recorded_listed_and_reproduced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A default-template run gets its folder; `--from-run` reproduces it; a flag changes one."""
    ws = tmp_path / "research"
    assert flow_main(["init", str(ws), "--no-install"]) == 0
    monkeypatch.chdir(ws)
    assert flow_main(["create", "fit"]) == 0
    run_py = ws / "flows" / "fit" / "run.py"
    run_py.write_text(use_run_helper(run_py.read_text(encoding="utf-8")), encoding="utf-8")
    _git(ws, "init", "-q")
    _git(ws, "add", ".")
    _git(ws, "commit", "-qm", "fit")
    (ws / "flows" / "fit" / "README.md").write_text("edited\n", encoding="utf-8")

    done = _run(ws, "model:quadratic", "optimizer:momentum", "--steps", "20")
    assert done.returncode == 0, done.stderr
    [first] = sorted((ws / "logs" / "fit").iterdir())
    assert {p.name for p in first.iterdir()} >= {
        "config.json",
        "manifest.json",
        "uncommitted.patch",
        "stdout.log",
        "stderr.log",
        "metrics.json",
    }
    assert "final loss" in (first / "stdout.log").read_text(encoding="utf-8")
    assert _config(first)["model"]["@type"] == "QuadraticConfig"
    assert _config(first)["optimizer"]["@type"] == "MomentumConfig"

    assert _run(ws, "--from-run", str(first)).returncode == 0
    assert _run(ws, "--from-run", str(first), "--steps", "7").returncode == 0
    _, again, changed = sorted((ws / "logs" / "fit").iterdir())
    assert _config(again) == _config(first)
    assert _config(changed) == {**_config(first), "steps": 7}
    assert json.loads((again / "metrics.json").read_text()) == json.loads(
        (first / "metrics.json").read_text()
    )

    capsys.readouterr()
    assert flow_main(["runs", "fit"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [first.name, again.name, changed.name]
    assert all(" finished " in row for row in rows)
    # Momentum's fields are compared with Momentum's defaults, not with SGD's values.
    assert rows[2].endswith("model=QuadraticConfig optimizer=MomentumConfig steps=7")

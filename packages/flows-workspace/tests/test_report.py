"""`flow report`: one self-contained HTML file, checked as data and in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from subprocesses import run_python

if TYPE_CHECKING:
    from conftest import Flow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--metrics-recording-only",
]


@pytest.fixture
def report(workspace: Path, flow: Flow) -> tuple[Path, list[Path]]:
    """Three default-template runs of `fit` and their report; the file and the run folders."""
    pytest.importorskip("plotly")
    assert flow("create", "fit") == 0
    for args in (
        ("--optimizer.lr", "0.1"),
        ("--optimizer.lr", "0.05"),
        ("optimizer:momentum", "--optimizer.lr", "0.02"),
    ):
        done = run_python(workspace / "flows/fit/run.py", *args, "--steps", "40", cwd=workspace)
        assert done.returncode == 0, done.stderr
    out = workspace / "report.html"
    assert flow("report", "fit", "-o", str(out)) == 0
    return out, sorted((workspace / "logs" / "fit").iterdir())


def embedded_data(page: str) -> dict[str, Any]:
    """The data the page carries."""
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_report_is_one_self_contained_file(report: tuple[Path, list[Path]]) -> None:
    """The page inlines plotly.js and its data, loads nothing, and is small enough to mail."""
    out, runs = report
    page = out.read_text(encoding="utf-8")
    assert 1_000_000 < len(page) < 8_000_000
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link[^>]+href=", page)
    data = embedded_data(page)
    assert [run["name"] for run in data["runs"]] == [f"fit/{run.name}" for run in runs]
    assert data["metrics"] == ["loss"]
    assert len(data["runs"][0]["curves"]["loss"]["x"]) == 40
    assert data["runs"][2]["config"]["optimizer"]["lr"] == 0.02
    assert data["runs"][2]["manifest"]["run_id"] == runs[2].name
    assert {"optimizer", "optimizer.lr", "loss"} <= set(data["columns"])


def test_report_without_plotly_or_with_a_bad_name_is_one_line(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name not ending in .html: one line, exit 2, nothing written."""
    capsys.readouterr()
    assert flow("report", "fit", "-o", "report.txt") == 2
    assert "is not an HTML file name" in capsys.readouterr().err
    assert not (workspace / "report.txt").exists()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (`apt-get install chromium`)")
def test_report_in_headless_chromium_lists_sorts_filters_and_draws(
    report: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """In Chromium: every run listed, sorting by loss reorders, filtering hides, curves drawn."""
    sync_api = pytest.importorskip("playwright.sync_api")
    out, runs = report
    losses = {
        f"fit/{run.name}": json.loads((run / "manifest.json").read_text())["metrics"]["loss"][
            "last"
        ]
        for run in runs
    }
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(out.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)

            def listed() -> list[str]:
                rows = page.locator("#runs tbody tr:visible td:first-child")
                return [str(name) for name in rows.all_inner_texts()]

            assert listed() == list(losses)
            page.click("#runs th[data-column=loss]")
            assert listed() == sorted(losses, key=losses.__getitem__)
            page.click("#runs th[data-column=loss]")
            assert listed() == sorted(losses, key=losses.__getitem__, reverse=True)
            traces = page.locator(".chart[data-metric=loss] .scatterlayer .trace path.js-line")
            assert traces.count() == 3
            assert all(len(d or "") > 100 for d in (t.get_attribute("d") for t in traces.all()))
            page.fill("#filter", "momentum")
            assert listed() == [f"fit/{runs[2].name}"]
            assert page.inner_text("#count") == "1 of 3 runs"
            page.fill("#filter", "")
            page.click("#runs tbody tr:first-child")
            assert '"run_id"' in (page.text_content("#details") or "")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    artifacts = os.environ.get("FLOWS_TEST_ARTIFACTS")
    if artifacts:  # keep the screenshot (CI artifacts; the README's picture)
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / "report.png")
    assert errors == []
    assert requests == [out.as_uri()]

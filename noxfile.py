"""Every check of the flows monorepo: `nox -l` lists them, `nox` runs the default ones.

The three distributions under packages/ are always installed from this repository's
paths (or from wheels built from them), never from an index and never editable:
what is tested is what ships.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
from readme_command import readme_command  # noqa: E402 - tools/ is put on the path above

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"

# Distribution name -> import name, in dependency order.
DISTRIBUTIONS = {
    "config-utils": "config_utils",
    "flow-templates": "flow_templates",
    "flows-workspace": "flows_workspace",
}
PACKAGE_PATHS = [f"./packages/{name}" for name in DISTRIBUTIONS]
TEST_PATHS = [f"packages/{name}/tests" for name in DISTRIBUTIONS]
DEV = nox.project.load_toml(ROOT / "pyproject.toml")
# The one place Python versions are written: flows-workspace's classifiers (the lint
# session checks the other two distributions declare the same).
PYTHONS = nox.project.python_versions(
    nox.project.load_toml(ROOT / "packages/flows-workspace/pyproject.toml")
)
OLDEST, NEWEST = PYTHONS[0], PYTHONS[-1]
QUICKSTART_INSTALL = " ".join(PACKAGE_PATHS)


def _make_pyenv_interpreters_reachable() -> None:
    """Put pyenv's interpreters for PYTHONS on PATH, so nox finds python3.X without shims.

    pyenv's shims answer only for the selected version; CI sets no version, so the
    real `bin/` folders go first on PATH. uv must not download interpreters instead.
    """
    os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    found = []
    for wanted in PYTHONS:
        candidates = [
            p for p in versions.glob(f"{wanted}.*") if re.fullmatch(r"\d+\.\d+\.\d+", p.name)
        ]
        if candidates:
            newest = max(candidates, key=lambda p: tuple(int(n) for n in p.name.split(".")))
            found.append(str(newest / "bin"))
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_make_pyenv_interpreters_reachable()


def _install_from_repository(session: nox.Session, *names: str) -> None:
    """Install our distributions `names` from their paths and prove where they came from."""
    session.install(*(f"./packages/{name}" for name in names))
    session.run("python", str(ROOT / "tools/check_provenance.py"), str(ROOT), *names)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run every package's tests against the three distributions installed from this repo."""
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, *DISTRIBUTIONS)
    session.run("pytest", "-m", "not torch and not browser", *session.posargs, *TEST_PATHS)


@nox.session(python=OLDEST)
@nox.parametrize("distribution", ["config-utils", "flow-templates"])
def isolated(session: nox.Session, distribution: str) -> None:
    """Install one distribution alone and run its own tests, with no sibling present."""
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, distribution)
    others = [pkg for dist, pkg in DISTRIBUTIONS.items() if dist != distribution]
    session.run(
        "python",
        "-c",
        "import importlib.util, sys;"
        " present = [m for m in sys.argv[1:] if importlib.util.find_spec(m)];"
        " sys.exit(f'siblings present: {present}' if present else 0)",
        *others,
    )
    if distribution == "config-utils":
        # The registry must stay light: importing it may not pull in tyro.
        out = session.run(
            "python",
            "-X",
            "importtime",
            "-c",
            "import config_utils.registry",
            silent=True,
            stderr=subprocess.STDOUT,
        )
        heavy = sorted(
            {line.split("|")[-1].strip() for line in str(out).splitlines() if "tyro" in line}
        )
        if heavy:
            session.error(f"`import config_utils.registry` imported {heavy}")
    session.run("pytest", *session.posargs, f"packages/{distribution}/tests")


def _build_all(session: nox.Session, outdir: Path) -> dict[str, list[Path]]:
    """Build an sdist and a wheel (from that sdist) of each distribution into `outdir`."""
    session.install(*nox.project.dependency_groups(DEV, "build"))
    shutil.rmtree(outdir, ignore_errors=True)
    built = {}
    for name in DISTRIBUTIONS:
        target = outdir / name
        session.run(
            "python",
            "-m",
            "build",
            "--installer",
            "uv",
            "--outdir",
            str(target),
            f"packages/{name}",
        )
        built[name] = sorted(target.iterdir())
    return built


def _shipped_files(name: str) -> list[str]:
    """Every file under a distribution's package folder that the wheel must contain."""
    package = DISTRIBUTIONS[name]
    src = ROOT / "packages" / name / "src"
    return sorted(
        path.relative_to(src).as_posix()
        for path in (src / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def _check_artifacts(session: nox.Session, name: str, artifacts: list[Path]) -> None:
    """Fail unless `artifacts` are one wheel and one sdist holding every shipped file."""
    wheels = [a for a in artifacts if a.suffix == ".whl"]
    sdists = [a for a in artifacts if a.name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1 or len(artifacts) != 2:
        session.error(
            f"{name}: expected one wheel and one sdist, got {[a.name for a in artifacts]}"
        )
    expected = _shipped_files(name)
    with zipfile.ZipFile(wheels[0]) as wheel:
        missing = sorted(set(expected) - set(wheel.namelist()))
    with tarfile.open(sdists[0]) as sdist:
        in_sdist = {m.name.split("/", 1)[1] for m in sdist.getmembers() if "/" in m.name}
    missing += sorted(f"sdist:src/{f}" for f in expected if f"src/{f}" not in in_sdist)
    if f"{DISTRIBUTIONS[name]}/py.typed" not in expected:
        missing.append("py.typed")
    if missing:
        session.error(f"{name}: built artifacts lack {missing}")
    session.log(f"{name}: {wheels[0].name} and {sdists[0].name} hold all {len(expected)} files")


@nox.session(python=NEWEST)
def build(session: nox.Session) -> None:
    """Build wheel and sdist of each distribution; check every file and py.typed ship."""
    for name, artifacts in _build_all(session, ROOT / "dist").items():
        _check_artifacts(session, name, artifacts)


@nox.session(python=NEWEST)
def e2e(session: nox.Session) -> None:
    """Run the README's quick start verbatim, then from built wheels, then with uv and no pip."""
    work = Path(session.create_tmp()).resolve() / "e2e"
    shutil.rmtree(work, ignore_errors=True)
    wheels = _build_all(session, work / "dist")
    wheel_files = " ".join(str(p) for files in wheels.values() for p in files if p.suffix == ".whl")
    quickstart = readme_command("quickstart")
    if QUICKSTART_INSTALL not in quickstart:
        session.error(f"the README quick start no longer installs `{QUICKSTART_INSTALL}`")
    checkout = _copy_checkout(work / "checkout")
    _quickstart(session, quickstart, cwd=checkout, home=work / "home-source")
    _quickstart(
        session,
        quickstart.replace(QUICKSTART_INSTALL, wheel_files),
        cwd=work / "fresh",
        home=work / "home-wheels",
    )
    _without_pip(session, wheel_files, work / "uv")


def _copy_checkout(target: Path) -> Path:
    """Copy the files git knows (tracked or new, not ignored): a clone of the work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return target


def _quickstart(session: nox.Session, command: str, cwd: Path, home: Path) -> None:
    """Run `command` as a new user in `cwd` with an empty home, then import flows elsewhere."""
    cwd.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True)
    elsewhere = home.parent / f"{home.name}-elsewhere"
    elsewhere.mkdir()
    script = f'{command}\ncd "{elsewhere}" && python -c "import flows; print(flows.PROJ_ROOT)"'
    with session.chdir(cwd):
        out = session.run(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script,
            env={"HOME": str(home)},
            external=True,
            silent=True,
        )
    print(out)
    workspace = str(home / "my-research")
    if str(out).strip().splitlines()[-1] != workspace:
        session.error(f"`import flows` from another folder did not find {workspace}")


def _without_pip(session: nox.Session, wheel_files: str, work: Path) -> None:
    """The same journey in a uv-made environment that has no pip."""
    session.install("uv")
    work.mkdir(parents=True)
    venv = work / "venv"
    script = f"""
uv venv --quiet "{venv}" && . "{venv}/bin/activate"
uv pip install --quiet --python "{venv}" {wheel_files}
! python -c "import pip" 2>/dev/null
mkdir ws && cd ws && flow init && flow create exp1 && python flows/exp1/run.py
cd "{work}" && python -c "import flows; print(flows.PROJ_ROOT)"
"""
    with session.chdir(work):
        # nox points uv at the session's interpreter through UV_PYTHON; this journey
        # must use its own environment.
        env = {"UV_PYTHON": None, "VIRTUAL_ENV": None}
        out = session.run(
            "bash", "-euo", "pipefail", "-c", script, env=env, external=True, silent=True
        )
    print(out)
    if str(out).strip().splitlines()[-1] != str(work / "ws"):
        session.error("`import flows` did not find the workspace made in a uv environment")


@nox.session(python=NEWEST)
def lint(session: nox.Session) -> None:
    """Lint and format-check with ruff; check the three distributions agree on Pythons."""
    session.install(*nox.project.dependency_groups(DEV, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    for name in DISTRIBUTIONS:
        declared = nox.project.python_versions(
            nox.project.load_toml(ROOT / "packages" / name / "pyproject.toml")
        )
        if declared != PYTHONS:
            session.error(
                f"{name} declares Python {declared}, flows-workspace {PYTHONS}; make them agree"
            )


@nox.session(python=OLDEST)
def typecheck(session: nox.Session) -> None:
    """Type-check the three packages, typing_tests/ and tools/ with mypy --strict."""
    session.install(*nox.project.dependency_groups(DEV, "typecheck"))
    _install_from_repository(session, *DISTRIBUTIONS)
    session.run(
        "mypy",
        *(f"packages/{name}/src" for name in DISTRIBUTIONS),
        "typing_tests",
        "tools",
    )


@nox.session(python="3.11", venv_backend="venv", default=False, tags=["optional"])
def pytorch(session: nox.Session) -> None:
    """Run the torch-marked tests (the pytorch template) with the CPU build of torch.

    Uses pip, not uv: on these machines only `pip install torch==2.13.0` on Python 3.11
    takes a local CPU wheel; anything else downloads a multi-GB CUDA build.
    """
    session.install("torch==2.13.0")
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, *DISTRIBUTIONS)
    session.run("pytest", "-m", "torch", *session.posargs, *TEST_PATHS)


@nox.session(python=NEWEST, default=False, tags=["optional"])
def report(session: nox.Session) -> None:
    """Run the browser-marked tests: `flow report`'s page in Debian's headless chromium.

    Needs `chromium` on PATH (`apt-get install -y chromium`); playwright drives it and
    downloads no browser. Screenshots go to `$FLOWS_TEST_ARTIFACTS` when it is set.
    """
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        session.error("the report session needs chromium: `apt-get install -y chromium`")
    session.install(*nox.project.dependency_groups(DEV, "test", "browser"))
    _install_from_repository(session, *DISTRIBUTIONS)
    session.run("pytest", "-m", "browser", *session.posargs, *TEST_PATHS)


@nox.session(python=NEWEST, default=False, tags=["optional"])
def bench(session: nox.Session) -> None:
    """Run the side-by-side benchmarks in bench/ and print their ratios."""
    session.install(*nox.project.dependency_groups(DEV, "bench"))
    _install_from_repository(session, *DISTRIBUTIONS)
    for script in sorted((ROOT / "bench").glob("*_bench.py")):
        session.run("python", str(script), *session.posargs)

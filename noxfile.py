"""Every check of the flows monorepo: `nox -l` lists them, `nox` runs the default ones.

The three distributions under packages/ are always installed from this repository's
paths (or from wheels built from them), never from an index and never editable:
what is tested is what ships. The one exception is the `develop` session, which checks
the contributors' environment (`uv sync`: the three packages editable) in a fresh clone.
"""

from __future__ import annotations

import json
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
# The repository URL in the README's install commands; the install session points it at
# a clone of HEAD.
REPOSITORY_URL = "https://github.com/nishi951/pytorch-flows.git"


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

# Sessions run as on users' machines, which do not set PYTHONDONTWRITEBYTECODE (this
# one does): with it set, a file written only when bytecode is written goes unseen.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# The root pyproject.toml makes packages/ a uv workspace whose sources turn a sibling
# dependency into an editable install; nox installs what ships, as pip would.
os.environ["UV_NO_SOURCES"] = "1"
# What a user's shell has none of: nox's pointers to the session's environment and
# interpreter, and the setting above.
AS_A_USER: dict[str, str | None] = {"VIRTUAL_ENV": None, "UV_PYTHON": None, "UV_NO_SOURCES": None}


def _install_from_repository(
    session: nox.Session, *names: str, extras: dict[str, str] | None = None
) -> None:
    """Install our distributions `names` from their paths and prove where they came from.

    `extras` maps a distribution to the extra to install with it (`{"flows-workspace": "ray"}`).
    """
    extras = extras or {}
    session.install(
        *(
            f"./packages/{name}[{extras[name]}]" if name in extras else f"./packages/{name}"
            for name in names
        )
    )
    session.run("python", str(ROOT / "tools/check_provenance.py"), str(ROOT), *names)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run every package's tests against the three distributions installed from this repo."""
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, *DISTRIBUTIONS)
    session.run(
        "pytest",
        "-m",
        "not torch and not slurm and not ray and not browser",
        *session.posargs,
        *TEST_PATHS,
    )


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


@nox.session  # with nox's own interpreter: the wheels are pure Python, any 3.10+ builds them
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
if python -c "import pip" 2>/dev/null; then exit 1; fi
mkdir ws && cd ws && flow init && flow create exp1 && python flows/exp1/run.py
cd "{work}" && python -c "import flows; print(flows.PROJ_ROOT)"
"""
    with session.chdir(work):
        # nox points uv at the session's interpreter through UV_PYTHON; this journey
        # must use its own environment.
        out = session.run(
            "bash", "-euo", "pipefail", "-c", script, env=AS_A_USER, external=True, silent=True
        )
    print(out)
    if str(out).strip().splitlines()[-1] != str(work / "ws"):
        session.error("`import flows` did not find the workspace made in a uv environment")


def _clone_head(session: nox.Session, target: Path) -> Path:
    """Clone this checkout's HEAD commit to `target`: what the repository URL would serve."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    session.run("git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target), external=True)
    session.run("git", "-C", str(target), "checkout", "--quiet", "-B", "head", head, external=True)
    return target


def _readme_command_for(session: nox.Session, name: str, url: str) -> str:
    """The README's command `name`, with the repository URL replaced by `url`."""
    command = readme_command(name)
    if REPOSITORY_URL not in command:
        session.error(f"the README command `{name}` no longer uses {REPOSITORY_URL}")
    return command.replace(REPOSITORY_URL, url)


def _as_a_user(session: nox.Session, script: str, cwd: Path) -> None:
    """Run the bash `script` in `cwd` with the environment of a user's shell."""
    cwd.mkdir(parents=True)
    with session.chdir(cwd):
        session.run("bash", "-euo", "pipefail", "-c", script, env=AS_A_USER, external=True)


def _check_recorded_run(session: nox.Session, workspace: Path) -> None:
    """Fail unless `workspace` holds one finished run of exp1 in logs/exp1/<run-id>/."""
    manifests = sorted((workspace / "logs" / "exp1").glob("*/manifest.json"))
    statuses = [json.loads(m.read_text(encoding="utf-8"))["status"] for m in manifests]
    if statuses != ["finished"]:
        session.error(f"expected one finished run under {workspace}/logs/exp1, got {statuses}")
    session.log(f"recorded run: {manifests[0].parent}")


@nox.session(python=NEWEST)
def install(session: nox.Session) -> None:
    """Run each of the README's install commands, against a clone of HEAD, as a user would.

    Each way starts in a fresh environment and runs the command as the README writes
    it, with the repository URL pointing at the clone; then checks that our three
    distributions were installed (not the index's unrelated `config-utils`); then
    `flow init`, `flow create exp1` and a recorded run of it. Installing flows-workspace
    alone with pip must fail rather than take that `config-utils`.
    """
    session.install("nox", "uv")  # nox: the wheels way runs `nox -s build` in its clone
    work = Path(session.create_tmp()).resolve() / "install"
    shutil.rmtree(work, ignore_errors=True)
    origin = _clone_head(session, work / "origin")
    url = origin.as_uri()
    all_three = " ".join(DISTRIBUTIONS)
    check = f'python "{ROOT / "tools/check_provenance.py"}" "{work}" {{names}} --source "{origin}"'
    pip_venv = "python3 -m venv venv && . venv/bin/activate"
    clone = f'git clone --quiet "{url}" flows-src && cd flows-src'
    journey = "mkdir ws && cd ws && flow init && flow create exp1 && python flows/exp1/run.py"
    ways = {
        "install-clone": pip_venv,
        "install-url": pip_venv,
        "install-url-uv": 'uv venv --quiet -p "$(command -v python3)" venv && . venv/bin/activate',
        "install-wheels": f"{pip_venv} && {clone}",
    }
    for way, setup in ways.items():
        place = work / way
        command = readme_command(way)
        if way != "install-wheels":
            command = _readme_command_for(session, way, url)
        script = "\n".join(
            [setup, command, f'cd "{place}"', check.format(names=all_three), journey]
        )
        _as_a_user(session, script, place)
        _check_recorded_run(session, place / "ws")

    place = work / "install-url-registry"
    only_registry = [
        pip_venv,
        _readme_command_for(session, "install-url-registry", url),
        check.format(names="config-utils"),
        "python -c 'import config_utils.registry'",
        "if python -c 'import flow_templates' 2>/dev/null; then exit 1; fi",
    ]
    _as_a_user(session, "\n".join(only_registry), place)

    # The README says why this fails and what to do instead.
    place = work / "install-workspace-alone"
    alone = [
        f"{pip_venv} && {clone}",
        "if pip install ./packages/flows-workspace >alone.log 2>&1; then exit 1; fi",
        "grep 'config-utils<0.2' alone.log",
        "if pip show config-utils; then exit 1; fi",
    ]
    _as_a_user(session, "\n".join(alone), place)

    # The original one-URL install names the repository root: one line says how now.
    place = work / "install-root-url"
    root = [
        pip_venv,
        f'if pip install "flows-workspace @ git+{url}" >root.log 2>&1; then exit 1; fi',
        "grep -F 'subdirectory=packages/flows-workspace' root.log",
        "if pip show flows-workspace; then exit 1; fi",
    ]
    _as_a_user(session, "\n".join(root), place)


# Every one of the three packages in `uv sync`'s environment is an editable install of
# the clone (run there by `uv run python -c`).
_EDITABLE_CHECK = """
import importlib.metadata as m, json, sys
for name in sys.argv[1:]:
    info = json.loads(m.distribution(name).read_text("direct_url.json") or "{}")
    if not info.get("dir_info", {}).get("editable"):
        sys.exit(f"{name} is not an editable install: {info}")
    print(name, "editable from", info["url"])
"""


@nox.session(python=NEWEST)
def develop(session: nox.Session) -> None:
    """The README's development environment, in a fresh clone of HEAD: `uv sync`, editable."""
    session.install("uv")
    work = Path(session.create_tmp()).resolve() / "develop"
    shutil.rmtree(work, ignore_errors=True)
    clone = _clone_head(session, work / "clone")
    script = [
        readme_command("develop"),
        f"uv run python -c '{_EDITABLE_CHECK}' {' '.join(DISTRIBUTIONS)}",
        "uv run ruff --version && uv run mypy --version",
    ]
    with session.chdir(clone):
        session.run(
            "bash", "-euo", "pipefail", "-c", "\n".join(script), env=AS_A_USER, external=True
        )


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


SWEEP_TESTS = "packages/flows-workspace/tests/test_sweeps.py"


@nox.session(python=NEWEST, default=False, tags=["optional"])
def slurm(session: nox.Session) -> None:
    """Run the slurm-marked sweep tests on a one-node SLURM cluster started on this machine.

    Needs root: installs Debian's slurm-wlm and munge when missing, then starts munged,
    slurmctld and slurmd with tools/slurm_cluster.py (files in the session's temporary
    folder, no systemd) and always stops them at the end, also when a test fails.
    """
    _apt_install_missing(session, {"slurmctld": "slurm-wlm", "munged": "munge"})
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, *DISTRIBUTIONS, extras={"flows-workspace": "slurm"})
    state = Path(session.create_tmp()).resolve() / "slurm-cluster"
    shutil.rmtree(state, ignore_errors=True)
    cluster = str(ROOT / "tools/slurm_cluster.py")
    session.run("python", cluster, "start", str(state))
    try:
        env = {"SLURM_CONF": str(state / "slurm.conf")}
        session.run("pytest", "-m", "slurm", *session.posargs, SWEEP_TESTS, env=env)
    finally:
        session.run("python", cluster, "stop", str(state))


def _apt_install_missing(session: nox.Session, programs: dict[str, str]) -> None:
    """apt-get install the Debian package of each program (name -> package) not found."""
    search = os.pathsep.join(["/usr/sbin", "/usr/bin", "/sbin", os.environ.get("PATH", "")])
    missing = sorted({pkg for name, pkg in programs.items() if not shutil.which(name, path=search)})
    if not missing:
        return
    if os.geteuid() != 0:
        session.error(f"install {' '.join(missing)} first (apt-get install needs root)")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-q", external=True, env=env)
    session.run("apt-get", "install", "-y", "-q", *missing, external=True, env=env)


@nox.session(python=NEWEST, default=False, tags=["optional"])
def ray(session: nox.Session) -> None:
    """Run the ray-marked sweep tests on a local Ray instance (flows-workspace[ray])."""
    session.install(*nox.project.dependency_groups(DEV, "test"))
    _install_from_repository(session, *DISTRIBUTIONS, extras={"flows-workspace": "ray"})
    session.run("pytest", "-m", "ray", *session.posargs, SWEEP_TESTS)

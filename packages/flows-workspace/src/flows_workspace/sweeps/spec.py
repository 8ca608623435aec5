r"""Sweep specs: which variations a sweep runs, from `-p` parameters or a sweep file.

A parameter uses the experiment's own command-line syntax: `optimizer.lr=1e-3,1e-2`
becomes `--optimizer.lr 1e-3` and `--optimizer.lr 1e-2`; `model:linear,quadratic`
becomes the subcommands `model:linear` and `model:quadratic`. A grid runs every
combination; `--random N` draws N variations, where a parameter may also be a range:
`uniform(a,b)`, `loguniform(a,b)`, `int(a,b)` (both ends included) or `choice(x,y)`.
Values are split on the commas outside quotes, and each is read like shell words:
`name='a,b',c` (or `name=a\,b,c`) sweeps the two values `a,b` and `c`.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from pathlib import Path

_RANGE = re.compile(r"^(uniform|loguniform|int|choice)\((.*)\)$")
_KEY = re.compile(r"^[A-Za-z_][\w.-]*$")


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: a flag (`--key value`) or a subcommand choice (`key:value`)."""

    key: str
    subcommand: bool
    values: tuple[str, ...] = ()
    """The listed values (a grid, or `choice`)."""
    distribution: str | None = None
    """`uniform`, `loguniform` or `int` for a range; None for listed values."""
    low: float = 0.0
    high: float = 0.0

    def arguments(self, value: str) -> list[str]:
        """The experiment's arguments setting this parameter to `value`."""
        if self.subcommand:
            return [f"{self.key}:{value}"]
        return [f"--{self.key}", *(shlex.split(value) or [value])]

    def draw(self, rng: random.Random) -> str:
        """A random value: a range's draw, or one of the listed values."""
        if self.distribution == "uniform":
            return repr(rng.uniform(self.low, self.high))
        if self.distribution == "loguniform":
            return repr(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        if self.distribution == "int":
            return str(rng.randint(int(self.low), int(self.high)))
        return rng.choice(self.values)


def parse_parameter(text: str) -> Parameter:
    """Parse one `-p` value: `key=v1,v2`, `key:v1,v2` or `key=RANGE(...)`.

    Raises:
        BadInputError: the text is not of that form, or a range is malformed.
    """
    flag_at, choice_at = text.find("="), text.find(":")
    positions = [at for at in (flag_at, choice_at) if at > 0]
    if not positions:
        msg = (
            f"sweep parameter `{text}` needs a value: `KEY=V1,V2` for a flag "
            "(`optimizer.lr=1e-3,1e-2`) or `KEY:A,B` for a subcommand (`model:linear,quadratic`)"
        )
        raise BadInputError(msg)
    at = min(positions)
    key, rest = text[:at].removeprefix("--"), text[at + 1 :]
    subcommand = at == choice_at
    if not _KEY.match(key):
        msg = f"sweep parameter `{text}`: `{key}` is not a parameter name"
        raise BadInputError(msg)
    ranged = _RANGE.match(rest.strip())
    if ranged is None:
        return Parameter(key, subcommand, _listed(text, rest, subcommand=subcommand))
    kind, inside = ranged.groups()
    if kind == "choice":
        return Parameter(key, subcommand, _listed(text, inside, subcommand=subcommand))
    if subcommand:
        msg = f"sweep parameter `{text}`: a subcommand takes listed names, not `{kind}(...)`"
        raise BadInputError(msg)
    return _range(text, key, kind, inside)


def _listed(text: str, values: str, *, subcommand: bool) -> tuple[str, ...]:
    """The values of `values`, split on the commas outside quotes and checked as shell words.

    A subcommand's value is its one word, unquoted; a flag's keeps its quotes until
    `Parameter.arguments` splits it into the flag's words.
    """
    listed = tuple(value.strip() for value in _split_commas(values))
    if not listed or any(not value for value in listed):
        msg = f"sweep parameter `{text}` has an empty value; list values as `KEY=V1,V2`"
        raise BadInputError(msg)
    read = [_read_words(text, value) for value in listed]
    if subcommand:
        named = [words[0] if len(words) == 1 else None for words in read]
        bad = next((value for value, name in zip(listed, named, strict=True) if not name), None)
        if bad is not None:
            msg = f"sweep parameter `{text}`: `{bad}` is not one subcommand name"
            raise BadInputError(msg)
        listed = tuple(name for name in named if name)
        read = [[name] for name in listed]
    twice = next((value for index, value in enumerate(listed) if read[index] in read[:index]), None)
    if twice is not None:
        msg = (
            f"sweep parameter `{text}` lists `{twice}` twice, which would run one variation "
            "twice; list each value once (to repeat runs, sweep a seed)"
        )
        raise BadInputError(msg)
    return listed


def _split_commas(values: str) -> list[str]:
    """`values` split on its commas outside quotes and not after a backslash, as written."""
    pieces: list[str] = []
    current: list[str] = []
    quote: str | None = None
    escaped = False
    for char in values:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote is not None:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _read_words(text: str, value: str) -> list[str]:
    """`value` read like shell words; an unclosed quote or a lone backslash is refused.

    Raises:
        BadInputError: `value` cannot be read, naming the parameter `text` and the value.
    """
    try:
        return shlex.split(value)
    except ValueError as error:
        if "escaped" in str(error):
            problem, fix = "ends in a backslash", "write a backslash as `\\\\`"
        else:
            problem = "has an unclosed quote"
            fix = "put a quote inside the other quote (`\"it's\"`) or after a backslash (`it\\'s`)"
        msg = (
            f"sweep parameter `{text}`: value `{value}` {problem}; "
            f"values are read like shell words: {fix}"
        )
        raise BadInputError(msg) from error


def _range(text: str, key: str, kind: str, inside: str) -> Parameter:
    try:
        low, high = (float(bound) for bound in inside.split(","))
    except ValueError:
        low = high = math.nan
    if math.isnan(low) or math.isnan(high) or low > high:
        msg = f"sweep parameter `{text}`: write `{kind}(LOW,HIGH)` with numbers, LOW <= HIGH"
        raise BadInputError(msg)
    if kind == "loguniform" and low <= 0:
        msg = f"sweep parameter `{text}`: loguniform needs LOW > 0"
        raise BadInputError(msg)
    if kind == "int" and not (low.is_integer() and high.is_integer()):
        msg = f"sweep parameter `{text}`: int(LOW,HIGH) needs whole numbers"
        raise BadInputError(msg)
    return Parameter(key, subcommand=False, distribution=kind, low=low, high=high)


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: parameters, grid or random, and the arguments every variation gets."""

    parameters: tuple[Parameter, ...]
    common_args: tuple[str, ...] = ()
    """Arguments passed unchanged to every variation, before its own."""
    random: int | None = None
    """Draw this many variations instead of the grid."""
    seed: int = 0
    """Seed of the random draws."""
    texts: tuple[str, ...] = field(default=(), compare=False)
    """The parameters as given, for the record."""

    def variations(self) -> list[list[str]]:
        """Every variation's arguments (common arguments first), in a stable order.

        Raises:
            BadInputError: no parameters, a range outside `--random`, or `--random 0`.
        """
        if not self.parameters:
            msg = "the sweep has no variations: give parameters with `-p KEY=V1,V2` or a file"
            raise BadInputError(msg)
        if self.random is None:
            ranged = [p for p in self.parameters if p.distribution is not None]
            if ranged:
                msg = (
                    f"parameter `{ranged[0].key}` is a range; ranges need `--random N` "
                    "(a grid lists values: `KEY=V1,V2`)"
                )
                raise BadInputError(msg)
            grid = itertools.product(*(p.values for p in self.parameters))
            return [self._arguments(values) for values in grid]
        if self.random < 1:
            msg = f"`--random {self.random}` draws no variations; give N >= 1"
            raise BadInputError(msg)
        rng = random.Random(self.seed)
        drawn = [[p.draw(rng) for p in self.parameters] for _ in range(self.random)]
        return [self._arguments(values) for values in drawn]

    def _arguments(self, values: tuple[str, ...] | list[str]) -> list[str]:
        own = [arg for p, v in zip(self.parameters, values, strict=True) for arg in p.arguments(v)]
        return [*self.common_args, *own]


@dataclass(frozen=True)
class SweepFile:
    """A sweep file (TOML): parameters, arguments and launcher settings for long sweeps.

    ```toml
    params = ["optimizer.lr=loguniform(1e-4,1e-1)", "model:linear,quadratic"]
    args = ["--steps", "50"]
    random = 8          # optional: draw 8 instead of the grid
    seed = 0
    launcher = "slurm"
    [resources]         # launcher settings, named as the command-line flags
    partition = "gpu"
    gpus = 1
    ```
    """

    params: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    random: int | None = None
    seed: int | None = None
    launcher: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)


_FILE_KEYS = {"params", "args", "random", "seed", "launcher", "resources"}


def read_sweep_file(path: Path) -> SweepFile:
    """Read a sweep file; unknown keys and wrong types are one-line errors."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        msg = f"cannot read sweep file `{path}`: {error}"
        raise BadInputError(msg) from error
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        msg = f"unknown key `{unknown[0]}` in sweep file `{path}`; known: {sorted(_FILE_KEYS)}"
        raise BadInputError(msg)
    for key in ("params", "args"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            msg = f"`{key}` in sweep file `{path}` must be a list of strings"
            raise BadInputError(msg)
    expected: dict[str, type] = {"random": int, "seed": int, "launcher": str, "resources": dict}
    for key, kind in expected.items():
        if key in data and not isinstance(data[key], kind):
            msg = f"`{key}` in sweep file `{path}` must be a {kind.__name__}"
            raise BadInputError(msg)
    return SweepFile(
        params=tuple(data.get("params", [])),
        args=tuple(data.get("args", [])),
        random=data.get("random"),
        seed=data.get("seed"),
        launcher=data.get("launcher"),
        resources=dict(data.get("resources", {})),
    )

"""Sweep specs in-process: parameters, grids, random draws, sweep files, check reasons."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
from typing import TYPE_CHECKING

import pytest
from flows_workspace._errors import BadInputError
from flows_workspace.sweeps.spec import SweepSpec, parse_parameter, read_sweep_file
from flows_workspace.sweeps.validate import _first_line
from hypothesis import given
from hypothesis import strategies as st

if TYPE_CHECKING:
    from pathlib import Path


def test_flag_and_subcommand_parameters_become_the_experiments_arguments() -> None:
    """`KEY=V` becomes `--KEY V`, `KEY:A` the subcommand `KEY:A`, a spaced value several words."""
    assert parse_parameter("optimizer.lr=1e-3,1e-2").arguments("1e-3") == ["--optimizer.lr", "1e-3"]
    assert parse_parameter("model:linear,quadratic").arguments("linear") == ["model:linear"]
    assert parse_parameter("--layers=64 64,128").arguments("64 64") == ["--layers", "64", "64"]


def test_grid_is_every_combination_in_order_after_the_common_arguments() -> None:
    """The grid varies the last parameter fastest and puts common arguments first."""
    spec = SweepSpec(
        (parse_parameter("lr=1,2"), parse_parameter("model:a,b")), common_args=("--steps", "3")
    )
    assert spec.variations() == [
        ["--steps", "3", "--lr", "1", "model:a"],
        ["--steps", "3", "--lr", "1", "model:b"],
        ["--steps", "3", "--lr", "2", "model:a"],
        ["--steps", "3", "--lr", "2", "model:b"],
    ]


@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=4))
def test_grid_size_is_the_product_of_the_value_counts(counts: list[int]) -> None:
    """A grid of parameters with n1, n2, ... values has n1 * n2 * ... distinct variations."""
    parameters = tuple(
        parse_parameter(f"p{i}=" + ",".join(str(v) for v in range(n))) for i, n in enumerate(counts)
    )
    variations = SweepSpec(parameters).variations()
    assert len(variations) == math.prod(counts)
    assert len({tuple(v) for v in variations}) == len(variations)


def test_random_draws_stay_in_their_ranges_and_repeat_with_the_seed() -> None:
    """Ranges draw inside their bounds (ints whole, both ends possible); a seed repeats them."""
    parameters = (
        parse_parameter("lr=loguniform(1e-4,1e-1)"),
        parse_parameter("x=uniform(-1,1)"),
        parse_parameter("n=int(1,3)"),
        parse_parameter("act=choice(relu,gelu)"),
    )
    draws = SweepSpec(parameters, random=200, seed=3).variations()
    assert draws == SweepSpec(parameters, random=200, seed=3).variations()
    assert draws != SweepSpec(parameters, random=200, seed=4).variations()
    assert {d[5] for d in draws} == {"1", "2", "3"}
    assert {d[7] for d in draws} == {"relu", "gelu"}
    assert all(1e-4 <= float(d[1]) <= 1e-1 and -1 <= float(d[3]) <= 1 for d in draws)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr", "needs a value"),
        ("lr=1,,2", "empty value"),
        ("lr=uniform(2,1)", "LOW <= HIGH"),
        ("lr=loguniform(0,1)", "LOW > 0"),
        ("n=int(1.5,3)", "whole numbers"),
        ("model:uniform(0,1)", "subcommand takes listed names"),
        ("1lr=1", "not a parameter name"),
    ],
)
def test_malformed_parameters_are_refused_with_the_reason(text: str, message: str) -> None:
    """Each malformed `-p` value is a BadInputError naming what is wrong."""
    with pytest.raises(BadInputError, match=message):
        parse_parameter(text)


@pytest.mark.parametrize(
    ("text", "values", "arguments"),
    [
        ("name='a,b',c", ("'a,b'", "c"), [["--name", "a,b"], ["--name", "c"]]),
        ('name="a, b",c', ('"a, b"', "c"), [["--name", "a, b"], ["--name", "c"]]),
        ("name=a\\,b,c", ("a\\,b", "c"), [["--name", "a,b"], ["--name", "c"]]),
        ('name="it\'s",x', ('"it\'s"', "x"), [["--name", "it's"], ["--name", "x"]]),
        ("name=it\\'s", ("it\\'s",), [["--name", "it's"]]),
        (
            "model:'linear',quadratic",
            ("linear", "quadratic"),
            [["model:linear"], ["model:quadratic"]],
        ),
        ("act=choice('a,b',c)", ("'a,b'", "c"), [["--act", "a,b"], ["--act", "c"]]),
    ],
)
def test_commas_inside_quotes_or_escaped_stay_in_the_value(
    text: str, values: tuple[str, ...], arguments: list[list[str]]
) -> None:
    """Values split on commas outside quotes; each value is then read like shell words."""
    parameter = parse_parameter(text)
    assert parameter.values == values
    assert [parameter.arguments(value) for value in values] == arguments


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("name=it's", "it's"),
        ("name='a,b", "'a,b"),
        ("name=a,b\\", "b\\"),
        ('name=a,"b', '"b'),
        ("model:it's", "it's"),
    ],
)
def test_an_unreadable_quote_or_backslash_is_refused_with_how_to_write_it(
    text: str, value: str
) -> None:
    """An unclosed quote or a trailing backslash names the parameter and value and the fix."""
    with pytest.raises(BadInputError) as refused:
        parse_parameter(text)
    message = str(refused.value)
    assert f"`{text}`" in message
    assert f"`{value}`" in message
    assert "read like shell words: " in message
    assert "\n" not in message


def test_a_value_quoted_twice_the_same_is_listed_twice() -> None:
    """`'a',a` are the same value once read, so the duplicate is refused."""
    with pytest.raises(BadInputError, match="twice"):
        parse_parameter("name='a',a")


def test_ranges_need_random_and_random_needs_a_count() -> None:
    """A range in a grid, no parameters and `--random 0` are errors, not empty sweeps."""
    with pytest.raises(BadInputError, match="ranges need `--random N`"):
        SweepSpec((parse_parameter("lr=uniform(0,1)"),)).variations()
    with pytest.raises(BadInputError, match="no variations"):
        SweepSpec(()).variations()
    with pytest.raises(BadInputError, match="draws no variations"):
        SweepSpec((parse_parameter("lr=1,2"),), random=0).variations()


def test_sweep_file_is_read_and_checked(tmp_path: Path) -> None:
    """A sweep file gives its fields; an unknown key or a wrong type is one error."""
    good = tmp_path / "good.toml"
    good.write_text(
        'params = ["lr=1,2"]\nargs = ["--steps", "3"]\nrandom = 4\n[resources]\njobs = 2\n'
    )
    read = read_sweep_file(good)
    assert (read.params, read.args, read.random, read.resources) == (
        ("lr=1,2",),
        ("--steps", "3"),
        4,
        {"jobs": 2},
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('parameters = ["lr=1,2"]\n')
    with pytest.raises(BadInputError, match="unknown key `parameters`"):
        read_sweep_file(bad)
    bad.write_text('params = "lr=1,2"\n')
    with pytest.raises(BadInputError, match="must be a list of strings"):
        read_sweep_file(bad)


@dataclasses.dataclass
class _Settings:
    steps: int = 1


@pytest.mark.parametrize("stdout_captured", [False, True])
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--steps"], "Missing value for argument '--steps'. Expected 1 values."),
        (["--steps", "x"], "Error parsing --steps: invalid literal for int() with base 10: 'x'"),
        (["--nope", "1"], "Unrecognized options: --nope, 1"),
    ],
)
def test_a_variations_reason_is_what_tyro_says_is_wrong(
    monkeypatch: pytest.MonkeyPatch, args: list[str], reason: str, stdout_captured: bool
) -> None:
    """The sweep check's reason is the first section of tyro's box, drawn with or without lines."""
    import tyro

    monkeypatch.setenv("COLUMNS", "400")
    error = io.StringIO()
    quiet = (
        contextlib.redirect_stdout(io.StringIO()) if stdout_captured else contextlib.nullcontext()
    )
    with pytest.raises(SystemExit), contextlib.redirect_stderr(error), quiet:
        tyro.cli(_Settings, args=args)
    assert _first_line(error.getvalue()) == reason

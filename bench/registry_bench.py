"""Build the same nested config tree with config-utils, plain calls, fiddle and Hydra.

The tree is a model holding N layers, each layer with two sub-configs (attention and
mlp): 3N + 1 nodes. Every tool builds the same objects; the benchmark prints the best
time over a few repeats in microseconds per node, and the ratios to config-utils.

    python bench/registry_bench.py            # N = 100, 1,000, 10,000
    python bench/registry_bench.py 50000      # other sizes

fiddle and hydra-core are optional: without them their columns say "not installed"
(`pip install fiddle hydra-core` to compare).
"""

from __future__ import annotations

import functools
import gc
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from config_utils.registry import Registry

if TYPE_CHECKING:
    from collections.abc import Callable

registry = Registry()


@dataclass
class AttentionConfig:
    heads: int = 8
    dim: int = 64


@dataclass
class MlpConfig:
    hidden: int = 256
    activation: str = "gelu"


@dataclass
class LayerConfig:
    attention: AttentionConfig = field(default_factory=AttentionConfig)
    mlp: MlpConfig = field(default_factory=MlpConfig)
    dropout: float = 0.1


@dataclass
class ModelConfig:
    layers: list[LayerConfig] = field(default_factory=list)
    name: str = "model"


@registry.register_with_config
class Attention:
    def __init__(self, heads: int, dim: int) -> None:
        self.heads = heads
        self.dim = dim


@registry.register_with_config
class Mlp:
    def __init__(self, hidden: int, activation: str) -> None:
        self.hidden = hidden
        self.activation = activation


@registry.register_with_config
class Layer:
    def __init__(self, attention: Attention, mlp: Mlp, dropout: float) -> None:
        self.attention = attention
        self.mlp = mlp
        self.dropout = dropout


@registry.register_with_config
class Model:
    def __init__(self, layers: list[Layer], name: str) -> None:
        self.layers = layers
        self.name = name


def config_tree(n: int) -> ModelConfig:
    """The dataclass config tree with `n` layers."""
    return ModelConfig(
        layers=[
            LayerConfig(AttentionConfig(heads=i % 16 + 1), MlpConfig(hidden=i), dropout=0.1)
            for i in range(n)
        ]
    )


def plain(cfg: ModelConfig) -> Model:
    """The same objects built by hand: the floor any registry is measured against."""
    return Model(
        layers=[
            Layer(
                attention=Attention(heads=c.attention.heads, dim=c.attention.dim),
                mlp=Mlp(hidden=c.mlp.hidden, activation=c.mlp.activation),
                dropout=c.dropout,
            )
            for c in cfg.layers
        ],
        name=cfg.name,
    )


def fiddle_builder(cfg: ModelConfig) -> Callable[[], Any] | None:
    """A thunk building the tree with `fiddle.build`, or None when fiddle is missing."""
    try:
        import fiddle as fdl  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    tree = fdl.Config(
        Model,
        layers=[
            fdl.Config(
                Layer,
                attention=fdl.Config(Attention, heads=c.attention.heads, dim=c.attention.dim),
                mlp=fdl.Config(Mlp, hidden=c.mlp.hidden, activation=c.mlp.activation),
                dropout=c.dropout,
            )
            for c in cfg.layers
        ],
        name=cfg.name,
    )
    return lambda: fdl.build(tree)


def hydra_builder(cfg: ModelConfig) -> Callable[[], Any] | None:
    """A thunk building the tree with Hydra's `instantiate`, or None when it is missing."""
    try:
        # Optional, like fiddle: the ignores keep mypy quiet where it is not installed.
        from hydra.utils import instantiate  # type: ignore[import-not-found,unused-ignore]
        from omegaconf import OmegaConf  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    here = __name__
    tree = OmegaConf.create(
        {
            "_target_": f"{here}.Model",
            "name": cfg.name,
            "layers": [
                {
                    "_target_": f"{here}.Layer",
                    "attention": {
                        "_target_": f"{here}.Attention",
                        "heads": c.attention.heads,
                        "dim": c.attention.dim,
                    },
                    "mlp": {
                        "_target_": f"{here}.Mlp",
                        "hidden": c.mlp.hidden,
                        "activation": c.mlp.activation,
                    },
                    "dropout": c.dropout,
                }
                for c in cfg.layers
            ],
        }
    )
    return lambda: instantiate(tree)


def best_time(thunk: Callable[[], Any], budget: float = 1.0, most: int = 7) -> float:
    """The fastest of up to `most` runs of `thunk`, stopping early after `budget` seconds.

    The garbage collector is off while timing (as in `timeit`): its pauses depend on
    what else is alive, not on the tool being measured.
    """
    best = float("inf")
    spent = 0.0
    for _ in range(most):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            thunk()
            elapsed = time.perf_counter() - start
        finally:
            gc.enable()
        best = min(best, elapsed)
        spent += elapsed
        if spent > budget:
            break
    return best


def summary(built: Model) -> list[tuple[Any, ...]]:
    """What a built model holds, comparable across tools."""
    return [
        (type(x).__name__, vars(x.attention), vars(x.mlp), x.dropout, built.name)
        for x in built.layers
    ]


def check_same(built: Model, expected: Model, tool: str) -> None:
    """Every tool must build the same objects, or the timing means nothing."""
    if type(built) is not Model or summary(built) != summary(expected):
        sys.exit(f"{tool} built something else than the plain calls: the benchmark is wrong")


def main(sizes: list[int]) -> None:
    print(
        f"Python {sys.version.split()[0]}; best of up to 7 runs (gc off); "
        "us per node (3N + 1 nodes)"
    )
    header = f"{'N':>7} {'config-utils':>13} {'plain calls':>12} {'fiddle':>14} {'hydra':>14}"
    print(header + "   fiddle/ours  hydra/ours  ours/plain")
    per_node: dict[int, float] = {}
    last: tuple[int, float, dict[str, float]] = (0, 0.0, {})
    for n in sizes:
        cfg = config_tree(n)
        nodes = 3 * n + 1
        expected = plain(cfg)
        check_same(registry.configure_submodules(cfg), expected, "config-utils")
        ours = best_time(functools.partial(registry.configure_submodules, cfg)) / nodes * 1e6
        floor = best_time(functools.partial(plain, cfg)) / nodes * 1e6
        columns: list[str] = []
        ratios: list[str] = []
        speedups: dict[str, float] = {}
        for tool, make in (("fiddle", fiddle_builder), ("hydra", hydra_builder)):
            thunk = make(cfg)
            if thunk is None:
                columns.append(f"{'not installed':>14}")
                ratios.append(f"{'-':>11}")
                continue
            check_same(thunk(), expected, tool)
            theirs = best_time(thunk, budget=3.0, most=3) / nodes * 1e6
            columns.append(f"{theirs:>14.2f}")
            speedups[tool] = theirs / ours
            ratios.append(f"{theirs / ours:>10.1f}x")
        print(
            f"{n:>7} {ours:>13.2f} {floor:>12.2f} {columns[0]} {columns[1]}"
            f"   {ratios[0]}  {ratios[1]}  {ours / floor:>9.2f}x"
        )
        per_node[n] = ours
        last = (n, ours, speedups)
    verdict(per_node, *last)


def verdict(per_node: dict[int, float], n: int, ours: float, speedups: dict[str, float]) -> None:
    """Print the targets of the registry (issue 3) against the largest size measured."""
    smallest = min(per_node)
    print(f"targets at N = {n}:")
    print(f"  <= 2 us per node: {ours:.2f} us -> {'met' if ours <= 2 else 'MISSED'}")
    for tool, wanted in (("fiddle", 5), ("hydra", 50)):
        if tool in speedups:
            got = speedups[tool]
            met = "met" if got >= wanted else "MISSED"
            print(f"  >= {wanted}x faster than {tool}: {got:.1f}x -> {met}")
        else:
            print(f"  >= {wanted}x faster than {tool}: {tool} not installed")
    if n != smallest:
        growth = per_node[n] / per_node[smallest]
        print(f"  per-node time at N = {n} / at N = {smallest}: {growth:.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1_000, 10_000])

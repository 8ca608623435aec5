"""Registration: decorator forms, where configs are found, duplicates, state, lazy imports."""

from __future__ import annotations

import functools
import gc
import sys
import textwrap
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from config_utils.registry import Registry, RegistryError, RegistryWarning, UnknownNameError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# A target registered before its config class exists, at module level.
late = Registry()


@late.register_with_config
class LateTarget:
    def __init__(self, x: int) -> None:
        self.x = x


@dataclass
class LateTargetConfig:
    x: int = 1


@pytest.fixture
def reg() -> Registry:
    return Registry()


def test_config_defined_after_target_in_module() -> None:
    """A module-level config defined after its target is found at first use."""
    built = late.configure_submodules(LateTargetConfig(x=4))
    assert isinstance(built, LateTarget)
    assert built.x == 4
    assert late.config_class("LateTargetConfig") is LateTargetConfig


def test_config_defined_after_target_in_function_body(reg: Registry) -> None:
    """A config defined after its target in the same function body is found at first use."""

    @reg.register_with_config
    class Widget:
        def __init__(self, size: int) -> None:
            self.size = size

    @dataclass
    class WidgetConfig:
        size: int

    assert reg.configure_submodules(WidgetConfig(size=2)).size == 2


def test_config_found_by_name_only_after_definition(reg: Registry) -> None:
    """config_class finds a later-defined config in the registering function's locals."""

    def define() -> type:
        @reg.register_with_config("GadgetSettings")
        def gadget(n: int) -> list[int]:
            return [n]

        @dataclass
        class GadgetSettings:
            n: int

        return GadgetSettings

    settings = define()
    assert reg.config_class("GadgetSettings") is settings
    assert reg.configure_submodules(settings(n=3)) == [3]


def test_decorator_forms(reg: Registry) -> None:
    """Bare, positional name, config_name=, config class positional and config= all pair."""

    @dataclass
    class aConfig:
        v: int

    @dataclass
    class Settings:
        v: int

    @reg.register_with_config
    def a(v: int) -> str:
        return f"a{v}"

    @reg.register_with_config("Settings")
    def b(v: int) -> str:
        return f"b{v}"

    @dataclass
    class CConfig:
        v: int

    @reg.register_with_config(CConfig)
    def c(v: int) -> str:
        return f"c{v}"

    @dataclass
    class DParams:
        v: int

    @reg.register_with_config(config=DParams, name="d_renamed")
    def d(v: int) -> str:
        return f"d{v}"

    @dataclass
    class EParams:
        v: int

    @reg.register_with_config(config_name=EParams)
    def e(v: int) -> str:
        return f"e{v}"

    built = reg.configure_submodules([aConfig(1), Settings(2), CConfig(3), DParams(4), EParams(5)])
    assert built == ["a1", "b2", "c3", "d4", "e5"]
    assert reg.get("d_renamed") is d
    assert reg.config_for(d) is DParams


def test_register_with_name(reg: Registry) -> None:
    """`register(name=...)` stores under that name; bare `register` under `__name__`."""

    @reg.register(name="renamed")
    def thing() -> None: ...

    @reg.register
    def other() -> None: ...

    assert reg.get("renamed") is thing
    assert reg.get("other") is other
    assert "renamed" in reg
    assert "thing" not in reg


@pytest.mark.parametrize(
    ("register", "where", "bad"),
    [
        (lambda reg, bad: reg.register(name=bad), "name", ""),
        (lambda reg, bad: reg.register(name=bad), "name", "  "),
        (lambda reg, bad: reg.register_with_config(name=bad), "name", ""),
        (lambda reg, bad: reg.register_with_config(bad), "config_name", ""),
        (lambda reg, bad: reg.register_with_config(config_name=bad), "config_name", ""),
        (lambda reg, bad: reg.register_with_generated_config(name=bad), "name", ""),
        (lambda reg, bad: reg.register_with_generated_config(cli_name=bad), "cli_name", ""),
    ],
)
def test_an_empty_name_is_refused_with_one_error(
    reg: Registry, register: Any, where: str, bad: str
) -> None:
    """`name=""` (or a blank name) is a ValueError naming it; nothing is registered."""

    def target(x: int = 1) -> int:
        return x

    with pytest.raises(ValueError, match=f"^`{where}={bad!r}` is not a name") as raised:
        register(reg, bad)(target)
    assert isinstance(raised.value, RegistryError)
    assert len(str(raised.value).splitlines()) == 1
    assert "target" not in reg


def test_registries_do_not_share_state() -> None:
    """Two Registry instances keep separate names (the original shared class-level dicts)."""
    first, second = Registry(), Registry()

    @first.register
    class OnlyInFirst:
        pass

    assert "OnlyInFirst" in first
    assert "OnlyInFirst" not in second


def test_reregistering_same_definition_is_silent(reg: Registry) -> None:
    """Re-running the same definition (a reloaded module, a notebook cell) does not warn."""

    def define() -> type:
        @dataclass
        class CellConfig:
            k: int

        @reg.register_with_config
        class Cell:
            def __init__(self, k: int) -> None:
                self.k = k

        return Cell

    first = define()
    second = define()  # pytest turns any warning into an error
    assert first is not second
    assert reg.get("Cell") is second


def test_different_object_under_taken_name_warns(reg: Registry) -> None:
    """A different object under an existing name warns, naming both, and replaces it."""

    @reg.register(name="clash")
    def one() -> None: ...

    with pytest.warns(RegistryWarning, match=r"name `clash` is already registered .*one.*two"):

        @reg.register(name="clash")
        def two() -> None: ...

    assert reg.get("clash") is two


def test_strict_registry_raises_on_duplicate() -> None:
    """A strict registry raises RegistryError instead of replacing a different object."""
    strict = Registry(strict=True)

    @strict.register(name="clash")
    def one() -> None: ...

    with pytest.raises(RegistryError) as caught:

        @strict.register(name="clash")
        def two() -> None: ...

    message = str(caught.value)
    assert message.startswith("The name `clash` is already registered (")
    assert "a strict registry refuses it" in message
    assert "replaces" not in message, "nothing was replaced"

    assert strict.get("clash") is one


def test_config_field_not_accepted_fails_at_registration(reg: Registry) -> None:
    """A config field the target does not accept is reported when the pair is registered."""

    @dataclass
    class PumpConfig:
        rate: int
        colour: str

    with pytest.raises(RegistryError) as caught:

        @reg.register_with_config
        class Pump:
            def __init__(self, rate: int) -> None:
                self.rate = rate

    message = str(caught.value)
    assert "`" in message
    assert "field(s) `colour` that `Pump(rate: 'int')` does not accept" in message
    assert "accepts: rate" in message


def test_config_field_not_accepted_fails_when_late_config_resolves(reg: Registry) -> None:
    """With a config defined later, the bad field is reported on first resolution, not later."""

    @reg.register_with_config
    class Valve:
        def __init__(self, size: int) -> None:
            self.size = size

    @dataclass
    class ValveConfig:
        size: int
        extra: int

    with pytest.raises(RegistryError, match=r"field\(s\) `extra` that `Valve\(size: 'int'\)`"):
        reg.configure_submodules(ValveConfig(1, 2))
    assert not reg.is_registered_config(ValveConfig)
    with pytest.raises(RegistryError, match=r"field\(s\) `extra`"):
        reg.config_name(ValveConfig)


def test_config_that_is_no_dataclass_is_an_error(reg: Registry) -> None:
    """A config class that is not a dataclass is refused at registration."""

    class KnobConfig:
        pass

    with pytest.raises(RegistryError, match=r"`.*KnobConfig` is not a dataclass"):

        @reg.register_with_config
        class Knob:
            pass


def test_config_never_defined_is_explained(reg: Registry) -> None:
    """Looking up a config that was never defined says which target expects it and where."""

    @reg.register_with_config
    def lonely() -> None: ...

    with pytest.raises(UnknownNameError, match=r"`lonely` .* waits for its config `lonelyConfig`"):
        reg.config_class("lonelyConfig")


def test_target_whose_config_was_never_defined_says_so(reg: Registry) -> None:
    """`config_for` a target whose config never appeared names the missing config."""

    @reg.register_with_config
    class Orphan:
        pass

    with pytest.raises(UnknownNameError, match=r"^`Orphan` .* waits for its config `OrphanConfig`"):
        reg.config_for(Orphan)


def test_unknown_name_lists_registered_and_nearest(reg: Registry) -> None:
    """A `_clsname2cls` (seed alias) miss raises a KeyError listing names and the nearest."""

    @reg.register
    class Encoder:
        pass

    with pytest.raises(KeyError) as caught:
        reg._clsname2cls["Encodr"]
    assert isinstance(caught.value, UnknownNameError)
    assert str(caught.value).startswith(
        "`Encodr` is not a registered name (registered: Encoder). Did you mean `Encoder`?"
    )


def test_instantiate_false_keeps_the_config(reg: Registry) -> None:
    """`instantiate=False` keeps such configs as configs while their sub-configs are built."""

    @dataclass
    class InnerConfig:
        n: int

    @reg.register_with_config("InnerConfig")
    def inner(n: int) -> int:
        return n * 10

    @dataclass
    class HolderConfig:
        inner: InnerConfig

    @reg.register_with_config(instantiate=False)
    class Holder:
        def __init__(self, inner: int) -> None:
            self.inner = inner

    built = reg.configure_submodules(HolderConfig(InnerConfig(2)))
    assert type(built) is HolderConfig
    assert built.inner == 20
    assert reg.target_of(HolderConfig) is Holder


def test_partial_true_always_gives_partial(reg: Registry) -> None:
    """`partial=True` builds a partial even when every argument is given."""

    @dataclass
    class StepConfig:
        lr: float

    @reg.register_with_config("StepConfig", partial=True)
    def step(lr: float) -> float:
        return lr * 2

    built = reg.configure_submodules(StepConfig(0.5))
    assert isinstance(built, functools.partial)
    assert built() == 1.0


def test_threaded_registration_loses_nothing(reg: Registry) -> None:
    """Registering from many threads at once keeps every registration and its config pair."""

    def work(t: int) -> None:
        for i in range(50):
            config = dataclass(type(f"Th{t}_{i}Config", (), {"__annotations__": {"v": int}}))
            target = type(f"Th{t}_{i}", (), {"__init__": lambda self, v: None})
            reg.register_with_config(config=config)(target)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = [f"Th{t}_{i}" for t in range(8) for i in range(50)]
    assert all(name in reg for name in names)
    assert all(reg.target_of(reg.config_class(f"{name}Config")) is reg.get(name) for name in names)


def _write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


REGISTERING_MODULE = """
    from dataclasses import dataclass
    from config_utils.registry import Registry
    import {registry_module}

    reg = {registry_module}.REG

    @dataclass
    class PluginModelConfig:
        depth: int = 2

    @reg.register_with_config
    class PluginModel:
        def __init__(self, depth):
            self.depth = depth
"""


@pytest.fixture
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("cu_test_")]:
        del sys.modules[name]


def test_lazy_import_on_miss(plugin_folder: Path) -> None:
    """A name missing from the registry imports the registry's lazy modules, then is found."""
    _write_module(plugin_folder, "cu_test_holder", "REG = None\n")
    _write_module(
        plugin_folder, "cu_test_models", REGISTERING_MODULE.format(registry_module="cu_test_holder")
    )
    import cu_test_holder  # type: ignore[import-not-found]

    cu_test_holder.REG = Registry(lazy_imports=["cu_test_models"])
    assert "cu_test_models" not in sys.modules
    config = cu_test_holder.REG.config_class("PluginModelConfig")
    assert "cu_test_models" in sys.modules
    assert cu_test_holder.REG.configure_submodules(config()).depth == 2


CONFIG_MODULE = """
    from dataclasses import dataclass

    @dataclass
    class SplitModelConfig:
        depth: int = 2
"""

TARGET_MODULE = """
    from cu_test_split_configs import SplitModelConfig
    import cu_test_split_holder

    @cu_test_split_holder.REG.register_with_config(config=SplitModelConfig)
    class SplitModel:
        def __init__(self, depth):
            self.depth = depth
"""


def test_build_imports_lazy_modules_for_an_unpaired_config(plugin_folder: Path) -> None:
    """A config whose target's module was never imported is built after a lazy import."""
    _write_module(plugin_folder, "cu_test_split_holder", "REG = None\n")
    _write_module(plugin_folder, "cu_test_split_configs", CONFIG_MODULE)
    _write_module(plugin_folder, "cu_test_split_models", TARGET_MODULE)
    import cu_test_split_configs  # type: ignore[import-not-found]
    import cu_test_split_holder  # type: ignore[import-not-found]

    cu_test_split_holder.REG = Registry(lazy_imports=["cu_test_split_models"])
    built = cu_test_split_holder.REG.configure_submodules(
        {"model": cu_test_split_configs.SplitModelConfig(depth=5)}
    )
    assert "cu_test_split_models" in sys.modules
    assert type(built["model"]).__name__ == "SplitModel"
    assert built["model"].depth == 5


def test_lazy_import_that_fails_is_reported(plugin_folder: Path) -> None:
    """A lazy import that cannot be imported raises RegistryError naming the module."""
    reg = Registry(lazy_imports=["cu_test_does_not_exist"])
    with pytest.raises(RegistryError, match=r"lazy import `cu_test_does_not_exist` failed"):
        reg.config_class("AnythingConfig")


def test_failed_lazy_import_is_reported_at_every_miss(plugin_folder: Path) -> None:
    """A lazy import that failed once (even where a miss is only a False) fails again later."""
    reg = Registry(lazy_imports=["cu_test_does_not_exist"])

    @dataclass
    class UnpairedConfig:
        a: int

    assert not reg.is_registered_config(UnpairedConfig)
    with pytest.raises(RegistryError, match=r"lazy import `cu_test_does_not_exist` failed"):
        reg.config_class("AnythingConfig")
    with pytest.raises(RegistryError, match=r"lazy import `cu_test_does_not_exist` failed"):
        reg.configure_submodules(UnpairedConfig(1))


def test_entry_point_group_is_loaded_on_miss(plugin_folder: Path) -> None:
    """A module announced in the registry's entry-point group is imported on a miss."""
    _write_module(plugin_folder, "cu_test_holder2", "REG = None\n")
    _write_module(
        plugin_folder,
        "cu_test_plugin",
        REGISTERING_MODULE.format(registry_module="cu_test_holder2"),
    )
    dist_info = plugin_folder / "cu_test_plugin-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cu-test-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[cu_test.registry]\nmodels = cu_test_plugin\n", encoding="utf-8"
    )
    import cu_test_holder2  # type: ignore[import-not-found]

    cu_test_holder2.REG = Registry(entry_point_group="cu_test.registry")
    assert cu_test_holder2.REG.get("PluginModel").__module__ == "cu_test_plugin"


def test_redefined_config_class_still_builds(reg: Registry) -> None:
    """Re-running only the config's definition (a notebook cell) keeps it paired."""

    def define_config() -> type:
        @dataclass
        class LampConfig:
            watts: int

        return LampConfig

    first = define_config()

    @reg.register_with_config(config=first)
    class Lamp:
        def __init__(self, watts: int) -> None:
            self.watts = watts

    second = define_config()
    assert second is not first
    assert isinstance(reg.configure_submodules(second(5)), Lamp)
    assert reg.config_name(second) == "LampConfig"
    assert isinstance(reg.configure_submodules(first(5)), Lamp)


def test_broken_entry_point_warns_and_is_skipped(plugin_folder: Path) -> None:
    """An entry point that fails to import warns (name and error) and the miss still fails."""
    _write_module(plugin_folder, "cu_test_broken", "raise RuntimeError('boom')\n")
    dist_info = plugin_folder / "cu_test_broken-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cu-test-broken\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[cu_test.broken]\nbad = cu_test_broken\n", encoding="utf-8"
    )
    reg = Registry(entry_point_group="cu_test.broken")
    with (
        pytest.warns(RegistryWarning, match=r"`bad = cu_test_broken` .* RuntimeError: boom") as w,
        pytest.raises(UnknownNameError, match=r"`Missing` is not a registered name"),
    ):
        reg.get("Missing")
    assert w[0].filename == __file__, "the warning points at the failing lookup"


def test_object_without_name_needs_explicit_name(reg: Registry) -> None:
    """Registering an object with no `__name__` asks for `name=`."""
    unnamed = functools.partial(print)
    with pytest.raises(RegistryError, match=r"has no `__name__`; register it with an explicit"):
        reg.register(unnamed)
    assert reg.register(unnamed, name="printer") is unnamed


def test_non_callable_target_is_refused(reg: Registry) -> None:
    """Only classes and functions can be paired with a config."""

    @dataclass
    class NumberConfig:
        pass

    with pytest.raises(RegistryError, match=r"`3` is not a class or function"):
        reg.register_with_config(config=NumberConfig)(3)


def test_config_name_taken_by_another_pair_warns_once(reg: Registry) -> None:
    """Pairing a different config and target under taken names warns once, naming both."""

    def define(offset: int) -> type:
        @dataclass
        class GaugeConfig:
            v: int

        GaugeConfig.__qualname__ = f"GaugeConfig{offset}"  # a different definition

        @reg.register_with_config(config=GaugeConfig, name="Gauge")
        def gauge(v: int) -> int:
            return v + offset

        return GaugeConfig

    define(0)
    with pytest.warns(RegistryWarning) as caught:
        newer = define(100)
    assert len(caught) == 1
    assert "The config `GaugeConfig` is already registered" in str(caught[0].message)
    assert reg.configure_submodules(newer(1)) == 101


def test_config_not_defined_yet_claimed_twice_warns(reg: Registry) -> None:
    """Two different targets naming the same not-yet-defined config warn, as a defined one does."""

    @reg.register_with_config("SharedLaterConfig")
    def first(x: int) -> str:
        return "first"

    with pytest.warns(RegistryWarning, match=r"config `SharedLaterConfig` \(not defined yet\)"):

        @reg.register_with_config("SharedLaterConfig")
        def second(x: int) -> str:
            return "second"

    @dataclass
    class SharedLaterConfig:
        x: int

    assert reg.configure_submodules(SharedLaterConfig(1)) == "second"


def test_strict_registry_refuses_a_second_claim_on_a_later_config() -> None:
    """A strict registry raises when a not-yet-defined config is claimed by another target."""
    strict = Registry(strict=True)

    @strict.register_with_config("ClaimedConfig")
    def first(x: int) -> str:
        return "first"

    with pytest.raises(RegistryError, match=r"a strict registry refuses it"):

        @strict.register_with_config("ClaimedConfig")
        def second(x: int) -> str:
            return "second"

    @dataclass
    class ClaimedConfig:
        x: int

    assert strict.configure_submodules(ClaimedConfig(1)) == "first"


def test_misspelt_config_name_stops_the_next_build(reg: Registry) -> None:
    """A target whose config was never defined (a typo) makes any build fail, naming all three."""

    @dataclass
    class FooConfg:  # the typo: the registry waits for FooConfig
        a: int = 1

    @reg.register_with_config
    class Foo:
        def __init__(self, a: int) -> None:
            self.a = a

    with pytest.raises(RegistryError) as caught:
        reg.configure_submodules(FooConfg())
    message = str(caught.value)
    assert "\n" not in message
    assert "`Foo` (registered in " in message
    assert "waits for its config `FooConfig`, which was never defined" in message
    assert "(nearest defined: `FooConfg`" in message
    with pytest.raises(RegistryError, match=r"waits for its config `FooConfig`"):
        reg.configure_submodules({"anything": 1})


def test_config_defined_after_the_failed_build_is_then_found(reg: Registry) -> None:
    """Once the awaited config exists, the registry pairs it and builds again."""

    @reg.register_with_config
    class Bar:
        def __init__(self, b: int) -> None:
            self.b = b

    with pytest.raises(RegistryError, match=r"`Bar` .* waits for its config `BarConfig`"):
        reg.configure_submodules([])

    @dataclass
    class BarConfig:
        b: int = 2

    assert reg.configure_submodules([BarConfig()])[0].b == 2


def test_registering_keeps_no_frame_alive(reg: Registry) -> None:
    """A target waiting for its config does not keep the registering function's locals alive."""

    class Payload:
        pass

    def register_and_return() -> weakref.ref[Payload]:
        payload = Payload()

        @reg.register_with_config
        class Waiting:
            pass

        return weakref.ref(payload)

    alive = register_and_return()
    gc.collect()
    assert alive() is None

"""The plugin manager: built-ins, installed entry points, and error isolation.

The manager is the project's one global. A plugin that fails to import, raises in its
hook or returns bad data is reported (``plugin_errors``) under its name and skipped; the
other plugins keep working. Set ``CLUE_DISABLE_PLUGINS=name1,name2`` to block plugins.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs

if TYPE_CHECKING:
    from agents.spec import AgentSpec
    from clue_env.variant import Variant

ENTRY_POINT_GROUP = "clue"
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("builtin", "clue_env.builtin_variants"),
    ("builtin-agents", "agents.builtin"),
)
DISABLE_ENV = "CLUE_DISABLE_PLUGINS"


@dataclass(frozen=True)
class PluginError:
    plugin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r}: {self.message}"


@dataclass(frozen=True)
class VariantEntry:
    variant: Variant
    plugin: str


@dataclass(frozen=True)
class AgentEntry:
    spec: AgentSpec
    plugin: str


class _State:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.errors: list[PluginError] = []
        self.tables: dict[str, dict[str, Any]] = {}


_lock = threading.Lock()
_state: _State | None = None


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _load(state: _State) -> None:
    blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    for name in blocked:
        state.pm.set_blocked(name)
    for name, module_name in BUILTIN_PLUGINS:
        if name in blocked:
            continue
        state.pm.register(importlib.import_module(module_name), name=name)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in blocked or state.pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as err:  # a broken plugin must not take the others down
            state.errors.append(PluginError(ep.name, f"failed to import {ep.value!r}: {_describe(err)}"))
            continue
        try:
            state.pm.register(plugin, name=ep.name)
        except Exception as err:
            state.errors.append(PluginError(ep.name, f"could not be registered: {_describe(err)}"))


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with built-ins and installed plugins loaded on first use."""
    global _state
    with _lock:
        if _state is None:
            state = _State()
            _load(state)
            _state = state
        return _state.pm


def reset_plugin_manager() -> None:
    """Forget loaded plugins (tests; after installing a plugin in a running process)."""
    global _state
    with _lock:
        _state = None


def _call_each(hook_name: str) -> list[tuple[str, Any]]:
    """Call a hook on each plugin separately, so one plugin's failure stays its own."""
    pm = get_plugin_manager()
    assert _state is not None
    out = []
    # Registration order (built-ins first), not pluggy's call order: a plugin must not
    # get ahead of the built-ins (and win a name clash) by marking its hook trylast.
    order = {id(plugin): i for i, (_, plugin) in enumerate(pm.list_name_plugin()) if plugin is not None}
    impls = sorted(getattr(pm.hook, hook_name).get_hookimpls(), key=lambda impl: order.get(id(impl.plugin), len(order)))
    for impl in impls:
        name = pm.get_name(impl.plugin) or repr(impl.plugin)
        try:
            out.append((name, impl.function()))
        except Exception as err:
            _state.errors.append(PluginError(name, f"{hook_name}() raised {_describe(err)}"))
    return out


def _collect(hook_name: str, cls: type, what: str, make_entry) -> dict[str, Any]:
    """Items of one hook by name, each checked to be a ``cls``; problems become errors."""
    get_plugin_manager()
    assert _state is not None
    with _lock:
        if hook_name in _state.tables:
            return dict(_state.tables[hook_name])
    found: dict[str, Any] = {}
    for plugin, result in _call_each(hook_name):
        if not isinstance(result, (list, tuple)):
            _state.errors.append(
                PluginError(plugin, f"{hook_name}() must return a list of {cls.__name__}, got {type(result).__name__}")
            )
            continue
        for item in result:
            if not isinstance(item, cls):
                _state.errors.append(
                    PluginError(
                        plugin,
                        f"{hook_name}() returned {type(item).__name__} {item!r:.60}, not a {cls.__module__.split('.')[0]}.{cls.__name__}",
                    )
                )
                continue
            if item.name in found:
                _state.errors.append(
                    PluginError(
                        plugin,
                        f"{what} {item.name!r} is already offered by plugin {found[item.name].plugin!r}; skipped",
                    )
                )
                continue
            found[item.name] = make_entry(item, plugin)
    with _lock:
        _state.tables[hook_name] = found
    return dict(found)


def _unknown(what: str, name: str, known: dict) -> ValueError:
    names = ", ".join(sorted(known)) or "none"
    hint = ""
    broken = plugin_errors()
    if broken:
        hint = " (some plugins failed to load: " + "; ".join(str(e) for e in broken) + ")"
    return ValueError(f"unknown {what} {name!r}; known {what}s: {names}{hint}")


def variants() -> dict[str, VariantEntry]:
    """Every variant on offer, by name, with the plugin that offers it."""
    from clue_env.variant import Variant

    return _collect("clue_variants", Variant, "variant", VariantEntry)


def get_variant(name: str) -> Variant:
    """The variant called ``name``; a clear error listing the known ones otherwise."""
    table = variants()
    if name in table:
        return table[name].variant
    raise _unknown("variant", name, table)


def agents() -> dict[str, AgentEntry]:
    """Every agent on offer, by name, with the plugin that offers it."""
    from agents.spec import AgentSpec

    return _collect("clue_agents", AgentSpec, "agent", AgentEntry)


def get_agent(name: str) -> AgentSpec:
    """The agent called ``name``; a clear error listing the known ones otherwise."""
    table = agents()
    if name in table:
        return table[name].spec
    raise _unknown("agent", name, table)


def plugin_errors() -> list[PluginError]:
    """Problems met while loading plugins and calling their hooks."""
    variants()
    agents()
    assert _state is not None
    return list(_state.errors)

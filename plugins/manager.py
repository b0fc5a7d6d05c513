"""The plugin manager and the registries built on it: built-ins, installed entry points, error isolation.

The manager is the project's one global. Each kind of thing that plugins offer (variants,
agents, trainers) has one :class:`Registry`, declared by the package that defines the kind:
a hook name, the item type, and the module of the project's own built-ins, which are
registered through the same hook as third-party plugins. The manager itself knows no
concrete kind.

A plugin that fails to import, raises in its hook or returns bad data is reported
(:func:`plugin_errors`) under its name and skipped; the other plugins keep working. Set
``CLUE_DISABLE_PLUGINS=name1,name2`` to block plugins (the built-ins too, by their names).
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "clue"
DISABLE_ENV = "CLUE_DISABLE_PLUGINS"
BUILTIN_PREFIX = "builtin"
"""Plugin names starting with this are the project's own; an entry point may not take one."""

T = TypeVar("T")


@dataclass(frozen=True)
class PluginError:
    plugin: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r}: {self.message}"


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One item of a registry and the plugin that offers it."""

    item: T
    plugin: str


class UnknownName(ValueError):
    """A name no plugin offers; the message lists the known names."""


class _State:
    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.errors: list[PluginError] = []
        self.blocked = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        self.builtins: list[str] = []  # registered built-in plugin names, in registration order
        self.tables: dict[str, dict[str, Entry]] = {}


_lock = threading.RLock()
_state: _State | None = None
_registries: dict[str, Registry] = {}


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def _load_entry_points(state: _State) -> None:
    for name in state.blocked:
        state.pm.set_blocked(name)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in state.blocked:
            continue
        if ep.name.startswith(BUILTIN_PREFIX):
            state.errors.append(PluginError(ep.name, f"names starting with {BUILTIN_PREFIX!r} are reserved; skipped"))
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


def _current() -> _State:
    global _state
    with _lock:
        if _state is None:
            state = _State()
            _load_entry_points(state)
            _state = state
        return _state


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with the installed plugins and every declared registry's built-ins loaded."""
    state = _current()
    with _lock:
        for registry in list(_registries.values()):
            registry._ensure_builtin(state)
    return state.pm


def reset_plugin_manager() -> None:
    """Forget loaded plugins (tests; after installing a plugin in a running process)."""
    global _state
    with _lock:
        _state = None


class Registry(Generic[T]):
    """The table of one kind of item that plugins offer through one hook.

    Args:
        hook: the hook's name in :mod:`plugins.hookspecs` (``clue_variants``, ...).
        kind: what an item is called in messages ("variant").
        item_type: the class every item must be an instance of (it validates itself).
        builtin: ``(plugin name, module name)`` of the project's built-ins for this hook;
            the name must start with ``"builtin"``. The module is imported on first use.
    """

    def __init__(self, hook: str, kind: str, item_type: type[T], builtin: tuple[str, str] | None = None):
        if not hasattr(hookspecs, hook):
            raise ValueError(f"no hook {hook!r} in plugins.hookspecs")
        if builtin is not None and not builtin[0].startswith(BUILTIN_PREFIX):
            raise ValueError(f"built-in plugin name {builtin[0]!r} must start with {BUILTIN_PREFIX!r}")
        self.hook, self.kind, self.item_type, self.builtin = hook, kind, item_type, builtin
        with _lock:
            _registries[hook] = self

    def __repr__(self) -> str:
        return f"Registry({self.hook!r}, {self.kind!r}, {self.item_type.__name__})"

    def _ensure_builtin(self, state: _State) -> None:
        if self.builtin is None:
            return
        name, module = self.builtin
        if name in state.blocked or state.pm.has_plugin(name) or state.pm.is_blocked(name):
            return
        state.pm.register(importlib.import_module(module), name=name)
        state.builtins.append(name)

    def _call_each(self, state: _State) -> list[tuple[str, Any]]:
        """Call the hook on each plugin alone (pluggy's subset caller), built-ins first, so one
        plugin's failure stays its own and no plugin gets ahead of the built-ins."""
        pm = state.pm
        impls = getattr(pm.hook, self.hook).get_hookimpls()
        names = {id(impl.plugin): pm.get_name(impl.plugin) or repr(impl.plugin) for impl in impls}
        rank = {name: i for i, name in enumerate(state.builtins)}
        ordered = sorted(impls, key=lambda impl: (rank.get(names[id(impl.plugin)], len(rank)), names[id(impl.plugin)]))
        out = []
        for impl in ordered:
            name = names[id(impl.plugin)]
            others = [other.plugin for other in impls if other.plugin is not impl.plugin]
            try:
                results = pm.subset_hook_caller(self.hook, remove_plugins=others)()
            except Exception as err:
                state.errors.append(PluginError(name, f"{self.hook}() raised {_describe(err)}"))
                continue
            out.append((name, results[0] if results else None))
        return out

    def table(self) -> dict[str, Entry[T]]:
        """Every item on offer, by name, with the plugin that offers it."""
        get_plugin_manager()
        state = _current()
        with _lock:
            if self.hook in state.tables:
                return dict(state.tables[self.hook])
            found: dict[str, Entry[T]] = {}
            cls = self.item_type
            for plugin, result in self._call_each(state):
                if not isinstance(result, (list, tuple)):
                    state.errors.append(
                        PluginError(
                            plugin, f"{self.hook}() must return a list of {cls.__name__}, got {type(result).__name__}"
                        )
                    )
                    continue
                for item in result:
                    if not isinstance(item, cls):
                        state.errors.append(
                            PluginError(
                                plugin,
                                f"{self.hook}() returned {type(item).__name__} {item!r:.60}, "
                                f"not a {cls.__module__.split('.')[0]}.{cls.__name__}",
                            )
                        )
                        continue
                    name = item.name  # type: ignore[attr-defined]
                    if name in found:
                        state.errors.append(
                            PluginError(
                                plugin,
                                f"{self.kind} {name!r} is already offered by plugin {found[name].plugin!r}; skipped",
                            )
                        )
                        continue
                    found[name] = Entry(item, plugin)
            state.tables[self.hook] = found
            return dict(found)

    def get(self, name: str) -> T:
        """The item called ``name``; :class:`UnknownName` listing the known ones otherwise."""
        table = self.table()
        if name in table:
            return table[name].item
        names = ", ".join(sorted(table)) or "none"
        broken = plugin_errors()
        hint = " (some plugins failed to load: " + "; ".join(str(e) for e in broken) + ")" if broken else ""
        raise UnknownName(f"unknown {self.kind} {name!r}; known {self.kind}s: {names}{hint}")


def registries() -> dict[str, Registry]:
    """The registries declared so far (by the packages imported so far), by hook name."""
    with _lock:
        return dict(_registries)


def plugin_errors() -> list[PluginError]:
    """Problems met while loading plugins and calling the hooks of every declared registry."""
    for registry in registries().values():
        registry.table()
    return list(_current().errors)

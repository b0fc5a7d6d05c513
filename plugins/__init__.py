"""The plugin system: hook specifications, the one plugin manager, and the registry mechanism
(:class:`Registry` lists and gets a kind's items; :func:`registry_table` shows them).

Variants, agents and trainers are all plugins. Each kind has one :class:`Registry` (declared
by the package that defines the kind: ``clue_env``, ``agents``, ``trainers``); the project's
built-ins register through the same hooks as third-party packages, which expose a module
with ``@hookimpl`` functions under the ``clue`` entry-point group::

    [project.entry-points.clue]
    my_variants = "my_package.clue_plugin"

This package imports nothing of the domain packages.
"""

from .hookspecs import hookimpl, hookspec
from .manager import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    Entry,
    PluginError,
    Registry,
    UnknownName,
    get_plugin_manager,
    plugin_errors,
    registries,
    reset_plugin_manager,
)
from .registry import registry_table

__all__ = [
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "Entry",
    "PluginError",
    "Registry",
    "UnknownName",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "plugin_errors",
    "registries",
    "registry_table",
    "reset_plugin_manager",
]

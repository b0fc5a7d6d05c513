"""The plugin system: hook specifications and the one plugin manager.

Third-party packages add variants (and, later, agents and trainers) by exposing a module
with ``@hookimpl`` functions under the ``clue`` entry-point group::

    [project.entry-points.clue]
    my_variants = "my_package.clue_plugin"
"""

from .hookspecs import hookimpl, hookspec
from .manager import (
    BUILTIN_PLUGINS,
    ENTRY_POINT_GROUP,
    AgentEntry,
    PluginError,
    VariantEntry,
    agents,
    get_agent,
    get_plugin_manager,
    get_variant,
    plugin_errors,
    reset_plugin_manager,
    variants,
)

__all__ = [
    "BUILTIN_PLUGINS",
    "AgentEntry",
    "agents",
    "get_agent",
    "ENTRY_POINT_GROUP",
    "PluginError",
    "VariantEntry",
    "get_plugin_manager",
    "get_variant",
    "hookimpl",
    "hookspec",
    "plugin_errors",
    "reset_plugin_manager",
    "variants",
]

"""Errors of a plugin call that went wrong inside the plugin; each names the plugin.

A fault fails the render of the clip using the plugin (FAILED_PRECONDITION: the installed plugin is
broken, the request is fine); the host itself and other renders carry on.
"""

from __future__ import annotations

from svckit.errors import FailedPrecondition, Resource


class PluginFault(FailedPrecondition):
    """The plugin trapped, ran out of fuel or time, hit its memory ceiling, or returned an error status."""

    default_reason = "PLUGIN_TRAP"

    def __init__(self, plugin_id: str, what: str, *, reason: str | None = None, detail: str = "") -> None:
        super().__init__(
            f"plugin {plugin_id!r} {what}",
            reason=reason,
            metadata={"plugin_id": plugin_id, **({"detail": detail[:200]} if detail else {})},
            resources=[Resource("plugin", plugin_id, what)],
        )
        self.plugin_id = plugin_id

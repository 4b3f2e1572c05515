"""Frontend commands of this issue's groups that are not translated yet: each answers
UNIMPLEMENTED with its name and what to use meanwhile, instead of "unknown command" or a native
RPC reading the wrong shape."""

from __future__ import annotations

from svckit.errors import Unimplemented

from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

PENDING = {
    "get_preview_data_with_recognition": (
        "drawing the boxes onto the preview is not done yet; get_media_preview_data answers the "
        "thumbnail and the recognition_results"
    ),
}


def _refuse(name: str, meanwhile: str) -> Handler:
    async def handler(call: TauriCall) -> None:
        raise Unimplemented(
            f"{name} is not available through the gateway yet; {meanwhile}", reason="NOT_TRANSLATED"
        )

    return handler


COMMANDS = [TauriCommand(name, _refuse(name, meanwhile), ()) for name, meanwhile in PENDING.items()]

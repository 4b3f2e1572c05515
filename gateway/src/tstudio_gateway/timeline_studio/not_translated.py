"""Frontend commands of this issue's groups that are not translated yet: each answers
UNIMPLEMENTED with its name and what to use meanwhile, instead of "unknown command" or a native
RPC reading the wrong shape."""

from __future__ import annotations

from svckit.errors import Unimplemented

from tstudio_gateway.timeline_studio.registry import Handler, TauriCall, TauriCommand

PENDING = {
    "process_video_recognition": "recognition.analyze_video (our shapes) runs detection meanwhile",
    "get_preview_data_with_recognition": "get_media_preview_data answers the stored preview data",
    "clear_recognition_results": "clear_media_preview_data clears a file's stored data",
    "create_timeline_project": "compile_video takes the ProjectSchema directly",
}


def _refuse(name: str, meanwhile: str) -> Handler:
    async def handler(call: TauriCall) -> None:
        raise Unimplemented(
            f"{name} is not available through the gateway yet; {meanwhile}", reason="NOT_TRANSLATED"
        )

    return handler


COMMANDS = [TauriCommand(name, _refuse(name, meanwhile), ()) for name, meanwhile in PENDING.items()]

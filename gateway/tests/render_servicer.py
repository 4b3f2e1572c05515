"""A small CompilerService for the gateway's tests, until the compiler service lands in-process here:
`Render` writes a real (tiny) video with PyAV, streams its progress and publishes progress and
completion events on the bus; `GetRender` answers NOT_FOUND with a resource, `ValidateProject`
checks one field with a field path, `ListEffects` takes as long as asked (for deadlines). Every
other RPC is left unimplemented, as a service still being built would be."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import grpc
from svckit.bus import EventBus
from svckit.errors import FieldViolation, InvalidArgument, NotFound, Resource
from svckit.events import new_event, subject
from svckit.testing import make_video
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc
from tstudio.events.v1 import events_pb2

FRAMES_PER_STEP = 10


class RenderServicer(compiler_pb2_grpc.CompilerServiceServicer):
    def __init__(self, bus: EventBus, list_effects_delay: float = 0.0) -> None:
        self.bus = bus
        self.list_effects_delay = list_effects_delay
        self.seen_deadlines: list[float | None] = []
        self.cancelled = asyncio.Event()

    async def Render(self, request: compiler_pb2.RenderRequest, context: Any) -> Any:
        output = request.project.output.path
        if not output:
            raise InvalidArgument(
                "an output path is required",
                field_violations=[FieldViolation("project.output.path", "must not be empty")],
            )
        job_id = uuid.uuid4().hex[:12]
        seconds = 1.0
        fps = 30
        total = int(seconds * fps)
        try:
            for done in range(0, total + 1, FRAMES_PER_STEP):
                progress = common_pb2.Progress(
                    stage=common_pb2.STAGE_RUNNING, percent=100.0 * done / total, done=done, total=total
                )
                await self._publish(
                    job_id, "progress", progress=events_pb2.JobProgress(job_id=job_id, progress=progress)
                )
                yield compiler_pb2.RenderResponse(
                    job=compiler_pb2.RenderJob(
                        id=job_id,
                        status=compiler_pb2.JOB_STATUS_RUNNING,
                        progress=progress,
                        output_path=output,
                    )
                )
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        await asyncio.to_thread(
            make_video, Path(output), seconds=seconds, width=160, height=120, fps=fps, audio_hz=None
        )
        await self._publish(
            job_id, "completed", completed=events_pb2.JobCompleted(job_id=job_id, output_path=output)
        )
        yield compiler_pb2.RenderResponse(
            job=compiler_pb2.RenderJob(
                id=job_id,
                status=compiler_pb2.JOB_STATUS_SUCCEEDED,
                progress=common_pb2.Progress(
                    stage=common_pb2.STAGE_COMPLETED, percent=100.0, done=total, total=total
                ),
                output_path=output,
                result=compiler_pb2.RenderResult(
                    output_path=output, frames=total, size_bytes=Path(output).stat().st_size
                ),
            )
        )

    async def _publish(self, job_id: str, kind: str, **payload: Any) -> None:
        name = subject("compiler", "render", job_id, kind)
        await self.bus.publish(name, new_event("compiler", name, **payload))

    async def GetRender(self, request: compiler_pb2.GetRenderRequest, context: Any) -> Any:
        raise NotFound(
            f"no render job {request.job_id!r}", resources=[Resource("render_job", request.job_id)]
        )

    async def ValidateProject(self, request: compiler_pb2.ValidateProjectRequest, context: Any) -> Any:
        if request.project.settings.fps < 0:
            raise InvalidArgument(
                "invalid project",
                field_violations=[FieldViolation("project.settings.fps", "must be > 0")],
            )
        return compiler_pb2.ValidateProjectResponse(valid=True)

    async def ListEffects(
        self, request: compiler_pb2.ListEffectsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        self.seen_deadlines.append(context.time_remaining())
        await asyncio.sleep(self.list_effects_delay)
        return compiler_pb2.ListEffectsResponse()

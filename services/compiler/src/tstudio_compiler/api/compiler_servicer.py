"""`tstudio.compiler.v1.CompilerService`: proto <-> domain translation around the `Compiler` core."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import grpc
from svckit import errors
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, compiler_pb2_grpc, project_import_pb2

from tstudio_compiler import __version__
from tstudio_compiler.api.convert import (
    STATUS_FROM_PROTO,
    effect_to_proto,
    job_to_proto,
    profile_from_proto,
    project_from_proto,
    transition_to_proto,
)
from tstudio_compiler.api.plugin_rpc import PluginRpc
from tstudio_compiler.api.project_import_rpc import ProjectImportRpc
from tstudio_compiler.api.scale_rpc import ScaleRpc
from tstudio_compiler.domain.compiler import Compiler
from tstudio_compiler.domain.encoding import HARDWARE, choose_encoder
from tstudio_compiler.domain.jobs import JobStatus, JobView
from tstudio_compiler.domain.model import Acceleration, OutputSettings
from tstudio_compiler.domain.profiles import Profile
from tstudio_compiler.domain.validation import CONTAINERS
from tstudio_compiler.plugins import PluginRegistry

log = logging.getLogger(__name__)

_FORMATS = {
    compiler_pb2.IMAGE_FORMAT_UNSPECIFIED: "jpeg",
    compiler_pb2.IMAGE_FORMAT_JPEG: "jpeg",
    compiler_pb2.IMAGE_FORMAT_PNG: "png",
    compiler_pb2.IMAGE_FORMAT_WEBP: "webp",
}
_ERRORS: dict[str, type[errors.ServiceError]] = {
    cls.code.value: cls
    for cls in (
        errors.InvalidArgument,
        errors.NotFound,
        errors.PermissionDenied,
        errors.FailedPrecondition,
        errors.ResourceExhausted,
        errors.DataLoss,
        errors.Unavailable,
        errors.Cancelled,
        errors.Unimplemented,
        errors.Internal,
    )
}


def _job_error(job: JobView) -> errors.ServiceError:
    """The failure of a finished job as the error the Render call ends with."""
    if job.status is JobStatus.CANCELLED:
        return errors.Cancelled("the render was cancelled", reason="RENDER_CANCELLED")
    cls = _ERRORS.get(job.error_code, errors.Internal)
    return cls(
        job.error or "render failed",
        reason=job.error_reason or "RENDER_FAILED",
        metadata={**dict(job.error_metadata), "job_id": job.id},
    )


class CompilerServicer(compiler_pb2_grpc.CompilerServiceServicer):
    def __init__(
        self, compiler: Compiler, plugins: PluginRegistry | None = None, scale: ScaleRpc | None = None
    ) -> None:
        self._compiler = compiler
        self._plugins = PluginRpc(plugins, compiler.run_blocking)
        self._scale = scale
        self._import = ProjectImportRpc(compiler)

    async def ValidateProject(
        self, request: compiler_pb2.ValidateProjectRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ValidateProjectResponse:
        violations = await self._compiler.validate(project_from_proto(request.project))
        return compiler_pb2.ValidateProjectResponse(
            valid=not violations,
            violations=[compiler_pb2.Violation(field=f, description=d) for f, d in violations],
        )

    async def Render(
        self, request: compiler_pb2.RenderRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[compiler_pb2.RenderResponse]:
        job = await self._compiler.submit(
            project_from_proto(request.project),
            use_cache=not request.no_cache,
            profile=profile_from_proto(request.profile, Profile.FINAL),
        )
        await self._record_sources(request.project)
        async for view in self._until_finished(job.id):
            yield compiler_pb2.RenderResponse(job=job_to_proto(view))

    async def _until_finished(self, job_id: str) -> AsyncIterator[JobView]:
        """The job's states until it succeeds; a failure ends in its error, and a caller that goes
        away cancels it (a render nobody waits for is stopped)."""
        finished = False
        try:
            async for view in self._compiler.jobs.watch(job_id):
                finished = view.status.finished
                yield view
                if finished and view.status is not JobStatus.SUCCEEDED:
                    raise _job_error(view)
        finally:
            if not finished:
                await asyncio.shield(self._compiler.jobs.cancel(job_id))

    async def PrerenderSegment(
        self, request: compiler_pb2.PrerenderSegmentRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.PrerenderSegmentResponse:
        job, start, end = await self._compiler.prerender(
            project_from_proto(request.project),
            request.start,
            request.end,
            profile_from_proto(request.profile, Profile.PREVIEW),
        )
        async for view in self._until_finished(job.id):
            job = view
        return compiler_pb2.PrerenderSegmentResponse(job=job_to_proto(job), start=start, end=end)

    async def SubmitRender(
        self, request: compiler_pb2.SubmitRenderRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.SubmitRenderResponse:
        job = await self._compiler.submit(
            project_from_proto(request.project),
            request.client_key,
            use_cache=not request.no_cache,
            profile=profile_from_proto(request.profile, Profile.FINAL),
        )
        await self._record_sources(request.project)
        return compiler_pb2.SubmitRenderResponse(job=job_to_proto(job))

    async def WatchRender(
        self, request: compiler_pb2.WatchRenderRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[compiler_pb2.WatchRenderResponse]:
        async for view in self._compiler.jobs.watch(request.job_id):
            yield compiler_pb2.WatchRenderResponse(job=job_to_proto(view))

    async def GetRender(
        self, request: compiler_pb2.GetRenderRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.GetRenderResponse:
        return compiler_pb2.GetRenderResponse(job=job_to_proto(await self._compiler.jobs.get(request.job_id)))

    async def ListRenders(
        self, request: compiler_pb2.ListRendersRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ListRendersResponse:
        statuses = {STATUS_FROM_PROTO[s] for s in request.statuses if s in STATUS_FROM_PROTO}
        jobs = await self._compiler.jobs.list(statuses, request.page_size)
        return compiler_pb2.ListRendersResponse(jobs=[job_to_proto(j) for j in jobs])

    async def CancelRender(
        self, request: compiler_pb2.CancelRenderRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.CancelRenderResponse:
        job = await self._compiler.jobs.cancel(request.job_id)
        return compiler_pb2.CancelRenderResponse(job=job_to_proto(job))

    async def RenderFrame(
        self, request: compiler_pb2.RenderFrameRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.RenderFrameResponse:
        if not 0 <= request.quality <= 100:
            raise errors.InvalidArgument(
                "quality must be within 1..100",
                field_violations=[errors.FieldViolation("quality", "must be within 1..100")],
            )
        frame = await self._compiler.render_frame(
            project_from_proto(request.project),
            request.time,
            request.width,
            _FORMATS.get(request.format, "jpeg"),
            request.quality,
        )
        return compiler_pb2.RenderFrameResponse(
            image=frame.image,
            mime_type=frame.mime_type,
            width=frame.width,
            height=frame.height,
            time=frame.time,
        )

    async def ExplainRender(
        self, request: compiler_pb2.ExplainRenderRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ExplainRenderResponse:
        explained = await self._compiler.explain(project_from_proto(request.project))
        plan = explained.plan
        return compiler_pb2.ExplainRenderResponse(
            segments=[
                compiler_pb2.PlanSegment(
                    index=s.index,
                    start=s.start_frame / plan.fps,
                    end=s.end_frame / plan.fps,
                    clip_ids=list(s.clip_ids),
                    filter_graph=s.graph.graph.render(),
                    cache_key=s.cache_key(),
                )
                for s in plan.segments
            ],
            ffmpeg_args=explained.args,
            ffmpeg_command=explained.command,
            audio_filter_graph=plan.audio_graph().render(),
            duration_seconds=plan.duration,
        )

    async def ListEffects(
        self, request: compiler_pb2.ListEffectsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ListEffectsResponse:
        effects = self._compiler.catalogs.effects.all()
        return compiler_pb2.ListEffectsResponse(effects=[effect_to_proto(e) for e in effects])

    async def ListTransitions(
        self, request: compiler_pb2.ListTransitionsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ListTransitionsResponse:
        transitions = self._compiler.catalogs.transitions.all()
        return compiler_pb2.ListTransitionsResponse(transitions=[transition_to_proto(t) for t in transitions])

    async def GetCapabilities(
        self, request: compiler_pb2.GetCapabilitiesRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.GetCapabilitiesResponse:
        inventory = self._compiler.encoders
        found = await self._compiler.encoder_statuses()
        auto = {}
        for codec in HARDWARE:
            auto[codec], _ = choose_encoder(
                OutputSettings(video_codec=codec, acceleration=Acceleration.AUTO), found
            )
        return compiler_pb2.GetCapabilitiesResponse(
            encoders=[
                compiler_pb2.EncoderInfo(
                    name=s.name, codec=s.codec, hardware=s.hardware, available=s.available, reason=s.reason
                )
                for s in found.values()
            ],
            containers=list(CONTAINERS),
            auto_encoders=auto,
            ffmpeg_version=inventory.ffmpeg_version(),
        )

    async def GetDiagnostics(
        self, request: compiler_pb2.GetDiagnosticsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.GetDiagnosticsResponse:
        inventory = self._compiler.encoders
        found = await self._compiler.encoder_statuses()
        items = [
            common_pb2.DiagnosticItem(name="ffmpeg.version", value=inventory.ffmpeg_version(), ok=True),
            common_pb2.DiagnosticItem(name="cpu.count", value=str(os.cpu_count() or 0), ok=True),
        ]
        queue = await self._compiler.jobs.diagnostics()
        items.extend(common_pb2.DiagnosticItem(name=n, value=v, ok=ok) for n, v, ok in queue)
        for status in found.values():
            items.append(
                common_pb2.DiagnosticItem(
                    name=f"encoder.{status.name}",
                    value="available" if status.available else status.reason,
                    ok=status.available or status.hardware,
                )
            )
        if self._compiler.diagnostics is None:
            items.append(common_pb2.DiagnosticItem(name="cache.segments", value="disabled", ok=True))
        else:
            extra = await self._compiler.run_blocking(self._compiler.diagnostics.items)
            items.extend(common_pb2.DiagnosticItem(name=n, value=v, ok=ok) for n, v, ok in extra)
        gpu = any(s.available and s.hardware for s in found.values())
        items.append(common_pb2.DiagnosticItem(name="gpu.encoder", value=str(gpu).lower(), ok=True))
        return compiler_pb2.GetDiagnosticsResponse(
            diagnostics=common_pb2.Diagnostics(
                service="compiler", version=__version__, ready=True, items=items
            )
        )

    async def ListPlugins(
        self, request: compiler_pb2.ListPluginsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ListPluginsResponse:
        return await self._plugins.list_plugins(request)

    async def InstallPlugin(
        self, request: compiler_pb2.InstallPluginRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.InstallPluginResponse:
        return await self._plugins.install(request)

    async def RemovePlugin(
        self, request: compiler_pb2.RemovePluginRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.RemovePluginResponse:
        return await self._plugins.remove(request)

    async def GetPluginStats(
        self, request: compiler_pb2.GetPluginStatsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.GetPluginStatsResponse:
        return await self._plugins.stats(request)

    # -- scale-out (api/scale_rpc.py) ---------------------------------------------------------------

    async def ImportProject(
        self, request: project_import_pb2.ImportProjectRequest, context: grpc.aio.ServicerContext
    ) -> project_import_pb2.ImportProjectResponse:
        return await self._import.import_project(request)

    def _need_scale(self) -> ScaleRpc:
        if self._scale is None:
            raise errors.Unimplemented("this compiler was built without the scale-out RPCs")
        return self._scale

    async def _record_sources(self, project: Any) -> None:
        if self._scale is not None:
            await self._scale.record_sources(project)

    async def FindMissingMedia(
        self, request: compiler_pb2.FindMissingMediaRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.FindMissingMediaResponse:
        return await self._need_scale().find_missing_media(request)

    async def RelinkMedia(
        self, request: compiler_pb2.RelinkMediaRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.RelinkMediaResponse:
        return await self._need_scale().relink_media(request)

    async def ClearCache(
        self, request: compiler_pb2.ClearCacheRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.ClearCacheResponse:
        return await self._need_scale().clear_cache(request)

    async def GetCacheStats(
        self, request: compiler_pb2.GetCacheStatsRequest, context: grpc.aio.ServicerContext
    ) -> compiler_pb2.GetCacheStatsResponse:
        return await self._need_scale().get_cache_stats(request)

"""RecognitionService: translates requests to domain calls; blocking work goes to the executor."""

from __future__ import annotations

import platform
from collections.abc import AsyncIterator
from typing import Any

from tstudio.common.v1 import common_pb2
from tstudio.recognition.v1 import recognition_pb2 as pb
from tstudio.recognition.v1 import recognition_pb2_grpc

from tstudio_recognition import __version__
from tstudio_recognition.api import convert
from tstudio_recognition.deps import RecognitionDeps
from tstudio_recognition.domain.recognizer import check_detect_params


class RecognitionServicer(recognition_pb2_grpc.RecognitionServiceServicer):
    def __init__(self, deps: RecognitionDeps) -> None:
        self._d = deps

    def _info(self, name: str) -> pb.ModelInfo:
        manifest = self._d.registry.get(name)
        return convert.model_info(manifest, self._d.sessions.loaded().get(manifest.name))

    async def ListModels(self, request: pb.ListModelsRequest, context: Any) -> pb.ListModelsResponse:
        loaded = self._d.sessions.loaded()
        return pb.ListModelsResponse(
            models=[convert.model_info(m, loaded.get(m.name)) for m in self._d.registry.list()]
        )

    async def GetModel(self, request: pb.GetModelRequest, context: Any) -> pb.GetModelResponse:
        return pb.GetModelResponse(model=self._info(request.name))

    async def RegisterModel(self, request: pb.RegisterModelRequest, context: Any) -> pb.RegisterModelResponse:
        path = self._d.roots.existing_file(request.path, field="path")
        task = convert.PB_TO_TASK.get(request.task)
        manifest = await self._d.executor.run(
            self._d.registry.register,
            request.name,
            str(path),
            request.sha256,
            task,
            tuple(request.labels),
            request.default_score,
            request.description,
        )
        return pb.RegisterModelResponse(model=convert.model_info(manifest))

    async def RemoveModel(self, request: pb.RemoveModelRequest, context: Any) -> pb.RemoveModelResponse:
        manifest = self._d.registry.remove(request.name)
        self._d.sessions.drop(manifest.name)
        return pb.RemoveModelResponse(model=convert.model_info(manifest))

    async def LoadModel(self, request: pb.LoadModelRequest, context: Any) -> pb.LoadModelResponse:
        session = await self._d.executor.run(self._d.sessions.session, request.name)
        return pb.LoadModelResponse(model=convert.model_info(session.manifest, session.report))

    async def DetectImage(self, request: pb.DetectImageRequest, context: Any) -> pb.DetectImageResponse:
        params = check_detect_params(
            convert.tasks_from_pb(request.tasks),
            list(request.classes),
            request.min_score,
            request.object_model,
        )
        self._d.recognizer.models_for(params)
        image, (width, height) = await self._d.executor.run(
            self._d.decode_image, request.image, self._d.settings.max_side
        )
        found = await self._d.executor.run(self._d.recognizer.detect, [image], params)
        return pb.DetectImageResponse(
            detections=[convert.detection_pb(d) for d in found[0]], width=width, height=height
        )

    async def _source(self, path: str) -> Any:
        resolved = self._d.roots.existing_file(path, field="path")
        return await self._d.executor.run(self._d.open_video, resolved)

    async def AnalyzeVideo(
        self, request: pb.AnalyzeVideoRequest, context: Any
    ) -> AsyncIterator[pb.AnalyzeVideoResponse]:
        params = convert.analysis_params(request)
        source = await self._source(request.path)
        self._d.analyzer.check(source, params)
        async for analysis_id, update in self._d.jobs.run(source, params):
            yield convert.update_pb(analysis_id, update)

    async def StartAnalysis(self, request: pb.StartAnalysisRequest, context: Any) -> pb.StartAnalysisResponse:
        params = convert.analysis_params(request.analysis)
        source = await self._source(request.analysis.path)
        self._d.analyzer.check(source, params)
        return pb.StartAnalysisResponse(analysis_id=self._d.jobs.start(source, params))

    async def GetRecognitionResults(
        self, request: pb.GetRecognitionResultsRequest, context: Any
    ) -> pb.GetRecognitionResultsResponse:
        return convert.results_pb(self._d.jobs.get(request.analysis_id), request.include_frames)

    async def DetectShots(self, request: pb.DetectShotsRequest, context: Any) -> pb.DetectShotsResponse:
        source = await self._source(request.path)
        shots = await self._d.shots.find(source, request.threshold, request.min_shot_seconds)
        return pb.DetectShotsResponse(
            shots=[convert.shot_pb(s) for s in shots], cuts=[s.start for s in shots[1:]]
        )

    async def GetCapabilities(
        self, request: pb.GetCapabilitiesRequest, context: Any
    ) -> pb.GetCapabilitiesResponse:
        return self._capabilities()

    def _capabilities(self) -> pb.GetCapabilitiesResponse:
        settings = self._d.settings
        reports = list(self._d.sessions.loaded().values())
        fallback = next((r.fallback for r in reports if r.fallback), "") or self._d.provider_note
        return pb.GetCapabilitiesResponse(
            onnxruntime_version=self._d.runtime_version,
            available_providers=self._d.available_providers,
            requested_providers=self._d.requested_providers,
            active_provider=reports[0].primary if reports else "",
            fallback_reason=fallback,
            tasks=list(convert.TASK_TO_PB.values()),
            intra_op_threads=settings.intra_op_threads,
            inter_op_threads=settings.inter_op_threads,
            batch_size=settings.batch_size,
            max_side=settings.max_side,
        )

    async def GetDiagnostics(
        self, request: pb.GetDiagnosticsRequest, context: Any
    ) -> pb.GetDiagnosticsResponse:
        caps = self._capabilities()
        loaded = self._d.sessions.loaded()
        items = [
            common_pb2.DiagnosticItem(name="onnxruntime.version", value=caps.onnxruntime_version, ok=True),
            common_pb2.DiagnosticItem(
                name="providers.available", value=",".join(caps.available_providers), ok=True
            ),
            common_pb2.DiagnosticItem(
                name="providers.active",
                value=caps.active_provider or "(no model loaded yet)",
                ok=not caps.fallback_reason,
            ),
            common_pb2.DiagnosticItem(name="python", value=platform.python_version(), ok=True),
            common_pb2.DiagnosticItem(
                name="cache.analysis_entries", value=str(self._d.analyzer.cached_results), ok=True
            ),
        ]
        if caps.fallback_reason:
            items.append(
                common_pb2.DiagnosticItem(name="providers.fallback", value=caps.fallback_reason, ok=False)
            )
        for manifest in self._d.registry.list():
            report = loaded.get(manifest.name)
            items.append(
                common_pb2.DiagnosticItem(
                    name=f"model.{manifest.name}",
                    value=f"loaded on {report.primary}" if report else "not loaded",
                    ok=True,
                )
            )
        return pb.GetDiagnosticsResponse(
            diagnostics=common_pb2.Diagnostics(
                service="recognition", version=__version__, ready=True, items=items
            )
        )

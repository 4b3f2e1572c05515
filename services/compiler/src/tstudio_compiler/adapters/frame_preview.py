"""One composited frame of the timeline as an image, for scrubbing."""

from __future__ import annotations

import io

import av

from tstudio_compiler.adapters.frame_feeders import make_feeder
from tstudio_compiler.adapters.graph_runner import SegmentRunner
from tstudio_compiler.adapters.preview_decoders import PreviewDecoders
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.plan import InputSpec, RenderPlan, SegmentGraph
from tstudio_compiler.domain.ports import FrameEffects


class PyAvFramePreviewer:
    def __init__(
        self,
        decoders: PreviewDecoders | None = None,
        plugins: FrameEffects | None = None,
        sources: SourceFiles = ANY_SOURCE,
    ) -> None:
        self._decoders = decoders or PreviewDecoders(sources=sources)
        self._plugins = plugins
        self._sources = sources

    def render_frame(
        self, graph: SegmentGraph, plan: RenderPlan, width: int, image_format: str, quality: int
    ) -> tuple[bytes, int, int]:
        frames = {spec.label: self._input_frame(spec) for spec in graph.inputs}
        runner = SegmentRunner(graph, frames, plan.fps)
        for spec in graph.inputs:
            runner.push(spec.label, frames[spec.label], spec.first_frame)
        runner.end()
        out = runner.pull()
        frame = out[0]
        height = max(2, round(plan.height * width / plan.width / 2) * 2)
        image = (
            frame.to_image(width=width, height=height)
            if (width, height) != (frame.width, frame.height)
            else frame.to_image()
        )
        buffer = io.BytesIO()
        if image_format == "png":
            image.save(buffer, format="PNG", compress_level=1)
        elif image_format == "webp":
            image.save(buffer, format="WEBP", quality=quality)
        else:
            image.save(buffer, format="JPEG", quality=quality)
        return buffer.getvalue(), image.width, image.height

    def _input_frame(self, spec: InputSpec) -> av.VideoFrame:
        if spec.kind == "video" and not spec.frame_effects:
            return self._decoders.frame(spec, spec.first_frame)
        feeder = make_feeder(spec, self._plugins, self._sources)
        try:
            return feeder.frame(spec.first_frame)
        finally:
            feeder.close()

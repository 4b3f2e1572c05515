"""Executes a render plan in-process: decode (threads) -> segment filter graphs -> encode.

Output goes to a hidden temporary file beside the target and is renamed only when complete, so a
failed or cancelled render never leaves a file under the final name.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from svckit.errors import Cancelled, DataLoss, FailedPrecondition, Resource
from svckit.safe_open import AtomicOutput, Identity, identity_of, open_folder
from svckit.work_watch import beat

from tstudio_compiler.adapters import audio_mix
from tstudio_compiler.adapters.chapters import chapters
from tstudio_compiler.adapters.frame_feeders import FrameFeeder, make_feeder
from tstudio_compiler.adapters.gif_writer import intermediate_settings, write_gif
from tstudio_compiler.adapters.graph_runner import SegmentRunner
from tstudio_compiler.adapters.image_sequence import images, is_pattern
from tstudio_compiler.adapters.output_colour import reformat, tag_encoder
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.encoding import EncodeSettings
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.ports import FrameEffects, ProgressCallback, RenderStats

log = logging.getLogger(__name__)


class _EncoderOpenError(Exception):
    pass


def source_identities(plan: RenderPlan) -> set[Identity]:
    """(st_dev, st_ino) of every file the plan reads (nested timelines' too): what its output must
    never replace."""
    # An image sequence's pattern names no file: its images are the sources.
    paths = {image for path in _read_paths(plan) for image in _files_of(path)}
    return {ident for ident in map(identity_of, paths) if ident is not None}


def _read_paths(plan: RenderPlan) -> set[str]:
    specs = [spec for segment in plan.segments for spec in segment.graph.inputs]
    paths = {spec.path for spec in specs if spec.path}
    paths |= {clip.path for clip in plan.audio if clip.path}
    for spec in specs:
        if spec.nested is not None:
            paths |= _read_paths(spec.nested)
    return paths


def _files_of(path: str) -> list[str]:
    if not is_pattern(path):
        return [path]
    try:
        return [image for _, image in images(path)]
    except OSError:
        return []


class PyAvRenderer:
    def __init__(self, plugins: FrameEffects | None = None, sources: SourceFiles = ANY_SOURCE) -> None:
        self._plugins = plugins
        self._sources = sources
        # Where outputs may be written (the roots and the compiler's own folders; empty: anywhere).
        self.output_roots = sources.output_roots

    def render(
        self,
        plan: RenderPlan,
        encode: EncodeSettings,
        progress: ProgressCallback,
        cancelled: threading.Event,
    ) -> RenderStats:
        started = time.monotonic()
        if encode.container_format == "image2":
            return self._render_images(plan, encode, progress, cancelled, started)
        final = Path(plan.output.path)
        final.parent.mkdir(parents=True, exist_ok=True)
        # The temp name carries the writer's pid (several replicas share a job's folder; a start-up
        # sweep removes those of dead writers). The sources are compared by identity again just
        # before the rename, so a folder swapped for a symlink meanwhile cannot replace one.
        output = AtomicOutput(final, protect=source_identities(plan), roots=self.output_roots)
        temp = output.temp
        try:
            try:
                if encode.video_encoder == "gif":
                    frames = self._write_gif(plan, encode, temp, progress, cancelled)
                else:
                    frames = self._write(plan, encode, temp, progress, cancelled)
            except _EncoderOpenError as exc:
                if encode.software_fallback is None:
                    raise FailedPrecondition(
                        f"encoder {encode.video_encoder} failed to open: {exc}", reason="ENCODER_UNAVAILABLE"
                    ) from exc
                log.warning("%s failed to open (%s); falling back to software", encode.video_encoder, exc)
                encode = encode.falling_back(str(exc))
                frames = self._write(plan, encode, temp, progress, cancelled)
            output.commit()
        finally:
            output.discard()
        return RenderStats(
            output_path=str(final),
            frames=frames,
            duration=frames / plan.fps,
            size_bytes=final.stat().st_size,
            video_encoder=encode.video_encoder,
            fallback_reason=encode.fallback_reason,
            segments=len(plan.segments),
            segments_reused=0,
            wall_seconds=time.monotonic() - started,
            chapters=plan.markers,
        )

    def _render_images(
        self,
        plan: RenderPlan,
        encode: EncodeSettings,
        progress: ProgressCallback,
        cancelled: threading.Event,
        started: float,
    ) -> RenderStats:
        """A numbered image sequence: written into a hidden folder beside the target, then each image
        moved to its name as any output is (AtomicOutput: under the roots, never over a source), so a
        failed render leaves no image under a final name."""
        pattern = Path(plan.output.path)
        pattern.parent.mkdir(parents=True, exist_ok=True)
        roots = self.output_roots
        # With roots, the folder is reached once without following a symlink swapped in later.
        folder_fd = open_folder(pattern.parent, roots, "output.path") if roots else -1
        base = Path(f"/proc/self/fd/{folder_fd}") if roots else pattern.parent
        scratch = base / f".{os.getpid()}.{uuid.uuid4().hex[:8]}.images.part"
        protect = source_identities(plan)
        size = 0
        try:
            scratch.mkdir()
            frames = self._write(plan, encode, scratch / pattern.name, progress, cancelled)
            for image in sorted(scratch.iterdir()):
                size += image.stat().st_size
                output = AtomicOutput(pattern.parent / image.name, protect=protect, roots=roots)
                try:
                    os.replace(image, output.temp)
                    output.commit()
                finally:
                    output.discard()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if folder_fd >= 0:
                os.close(folder_fd)
        return RenderStats(
            output_path=str(pattern),
            frames=frames,
            duration=frames / plan.fps,
            size_bytes=size,
            video_encoder=encode.video_encoder,
            fallback_reason=encode.fallback_reason,
            segments=len(plan.segments),
            segments_reused=0,
            wall_seconds=time.monotonic() - started,
        )

    def _write_gif(
        self,
        plan: RenderPlan,
        encode: EncodeSettings,
        temp: Path,
        progress: ProgressCallback,
        cancelled: threading.Event,
    ) -> int:
        """The frames into a lossless intermediate, then a palette made for them (gif_writer)."""
        intermediate = temp.with_name(temp.name + ".ffv1.mkv")
        try:
            self._write(plan, intermediate_settings(encode), intermediate, progress, cancelled)
            return write_gif(intermediate, temp, encode, plan.fps, plan.output.gif.dither)
        finally:
            intermediate.unlink(missing_ok=True)

    def _write(
        self,
        plan: RenderPlan,
        encode: EncodeSettings,
        temp: Path,
        progress: ProgressCallback,
        cancelled: threading.Event,
    ) -> int:
        rate = Fraction(plan.fps).limit_denominator(1001)
        progress(0, plan.frames, "preparing")
        mix = audio_mix.mix(plan, cancelled, temp.parent, self._sources) if encode.audio_encoder else None
        with av.open(
            str(temp), "w", format=encode.container_format, options=dict(encode.container_options)
        ) as container:
            video: Any = container.add_stream(encode.video_encoder, rate=rate)
            video.width, video.height = plan.width, plan.height
            video.pix_fmt = encode.pix_fmt
            video.codec_context.options = dict(encode.options)
            tag_encoder(video, plan.colour)
            if encode.bit_rate:
                video.bit_rate = encode.bit_rate
            video.thread_type = "AUTO"
            audio: Any = None
            if mix is not None:
                audio = container.add_stream(encode.audio_encoder, rate=plan.sample_rate)
                audio.layout = "stereo" if plan.channels == 2 else "mono"
                if encode.audio_bit_rate:
                    audio.bit_rate = encode.audio_bit_rate
            if plan.markers:
                container.set_chapters(chapters(plan.markers, plan.duration))
            try:
                # Opens the encoders now, so a hardware encoder that fails can give way to software.
                container.start_encoding()
            except av.error.FFmpegError as exc:
                raise _EncoderOpenError(str(exc)) from exc
            writer = (
                _AudioWriter(container, audio, mix, plan) if audio is not None and mix is not None else None
            )
            written = self._video(plan, container, video, writer, progress, cancelled, encode.pix_fmt)
            progress(written, plan.frames, "finalizing")
            for packet in video.encode():
                container.mux(packet)
            if writer is not None:
                writer.finish()
        return written

    def _video(
        self,
        plan: RenderPlan,
        container: Any,
        video: Any,
        writer: _AudioWriter | None,
        progress: ProgressCallback,
        cancelled: threading.Event,
        pix_fmt: str,
    ) -> int:
        # A clip's feeder carries on from segment to segment. Keyed by kind too: a plugin transition's
        # input has its incoming clip's id but other pictures than that clip's own input.
        feeders: dict[tuple[str, str], FrameFeeder] = {}
        last_use: dict[tuple[str, str], int] = {}
        for segment in plan.segments:
            for spec in segment.graph.inputs:
                if spec.clip_id:
                    last_use[(spec.kind, spec.clip_id)] = segment.index
        written = 0
        report_every = max(1, round(plan.fps / 2))
        try:
            for segment in plan.segments:
                inputs = segment.graph.inputs
                local: dict[str, FrameFeeder] = {}
                for spec in inputs:
                    key = (spec.kind, spec.clip_id)
                    if spec.clip_id and key in feeders:
                        local[spec.label] = feeders[key]
                    else:
                        local[spec.label] = make_feeder(spec, self._plugins, self._sources)
                        if spec.clip_id:
                            feeders[key] = local[spec.label]
                templates = {s.label: local[s.label].frame(s.first_frame) for s in inputs}
                runner = SegmentRunner(segment.graph, templates, plan.fps)
                for j in range(segment.frames):
                    beat()  # a sign of life for svckit's stuck-work watch (health)
                    if cancelled.is_set():
                        raise Cancelled("render cancelled")
                    for spec in inputs:
                        local_frame = spec.first_frame + j
                        runner.push(spec.label, local[spec.label].frame(local_frame), local_frame)
                    for frame in runner.pull():
                        written = self._encode(container, video, frame, written, pix_fmt, writer, plan)
                        if written % report_every == 0:
                            progress(written, plan.frames, "running")
                runner.end()
                for frame in runner.pull():
                    written = self._encode(container, video, frame, written, pix_fmt, writer, plan)
                expected = segment.end_frame
                if written != expected:
                    raise DataLoss(
                        f"segment {segment.index} gave {written} frames, expected {expected}",
                        resources=[Resource("segment", str(segment.index))],
                    )
                for key, last in list(last_use.items()):
                    if last == segment.index and key in feeders:
                        feeders.pop(key).close()
        except av.error.FFmpegError as exc:
            raise FailedPrecondition(f"the filter graph failed: {exc}", reason="RENDER_FAILED") from exc
        finally:
            for feeder in feeders.values():
                feeder.close()
        return written

    @staticmethod
    def _encode(
        container: Any,
        video: Any,
        frame: av.VideoFrame,
        index: int,
        pix_fmt: str,
        writer: _AudioWriter | None,
        plan: RenderPlan,
    ) -> int:
        if frame.format.name != pix_fmt:
            frame = reformat(frame, plan.colour, pix_fmt)
        frame.pts = index
        frame.time_base = 1 / video.average_rate
        for packet in video.encode(frame):
            container.mux(packet)
        if writer is not None:
            writer.until_frame(index + 1)
        return index + 1


class _AudioWriter:
    """Encodes the mix in its own thread (AAC is not free: it would otherwise wait on the picture)
    and muxes its packets alongside the picture so the file stays interleaved."""

    def __init__(self, container: Any, stream: Any, mix: np.ndarray, plan: RenderPlan) -> None:
        self._container, self._stream, self._mix = container, stream, mix
        self._rate = plan.sample_rate
        self._fps = plan.fps
        self._layout = "stereo" if plan.channels == 2 else "mono"
        self._packets: queue.Queue[Any] = queue.Queue()
        self._pending: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode_all, name="audio-encode", daemon=True)
        self._thread.start()

    def _encode_all(self) -> None:
        chunk = 1024
        try:
            for start in range(0, self._mix.shape[1], chunk):
                samples = np.ascontiguousarray(self._mix[:, start : start + chunk])
                frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=self._layout)
                frame.sample_rate = self._rate
                frame.pts = start
                frame.time_base = Fraction(1, self._rate)
                for packet in self._stream.encode(frame):
                    self._packets.put(packet)
            for packet in self._stream.encode():
                self._packets.put(packet)
        except BaseException as exc:
            self._error = exc
        finally:
            self._packets.put(None)

    def until_frame(self, frame: int) -> None:
        """Mux the audio packets encoded so far that start before the picture's time."""
        limit = frame / self._fps
        while True:
            if self._pending is None:
                try:
                    self._pending = self._packets.get_nowait()
                except queue.Empty:
                    return
                if self._pending is None:
                    self._packets.put(None)  # keep the end marker for finish()
                    return
            packet = self._pending
            if packet.pts is not None and float(packet.pts * packet.time_base) > limit:
                return
            self._container.mux(packet)
            self._pending = None

    def finish(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._pending is not None:
            self._container.mux(self._pending)
        while (packet := self._packets.get()) is not None:
            self._container.mux(packet)

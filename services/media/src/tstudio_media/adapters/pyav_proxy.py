"""Proxy transcodes with PyAV: H.264 (all-intra or short GOP) at a low resolution plus AAC audio,
written under a temporary name and renamed only when complete."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from svckit.errors import Cancelled, FailedPrecondition, Resource
from svckit.safe_open import AtomicOutput, identity_of

from tstudio_media.adapters.pyav_open import is_image_format, limit_decoder, open_media, translate_av_error
from tstudio_media.domain.media_info import clockwise_rotation
from tstudio_media.domain.proxy_plan import ProxyPlan, ProxyResult, proxy_size

log = logging.getLogger(__name__)

# (seconds done, seconds in total; 0 when unknown)
ProgressCallback = Callable[[float, float], None]
_PROGRESS_EVERY_SECONDS = 0.25
_AUDIO_RATE = 48000


class PyAVProxies:
    """Blocking: call from a worker thread."""

    def __init__(self, max_pixels: int) -> None:
        self._max_pixels = max_pixels

    def transcode(
        self, source: Path, output: Path, plan: ProxyPlan, cancel: threading.Event, progress: ProgressCallback
    ) -> ProxyResult:
        if cancel.is_set():
            raise Cancelled("the proxy was cancelled before it started", reason="PROXY_CANCELLED")
        output.parent.mkdir(parents=True, exist_ok=True)
        # svckit's temp naming: unique per writer, swept if the process dies; never onto the source.
        atomic = AtomicOutput(output, protect=[i for i in [identity_of(source)] if i is not None])
        partial = atomic.temp
        try:
            with open_media(source, max_pixels=self._max_pixels) as src:
                result = self._transcode(src, source, partial, output, plan, cancel, progress)
            atomic.commit()
            return result
        except (av.error.FFmpegError, EOFError, ValueError) as exc:
            raise translate_av_error(source, exc) from exc
        finally:
            # Cancelled, failed or renamed: no partial file stays behind.
            atomic.discard()

    def _transcode(
        self,
        src: Any,
        source: Path,
        partial: Path,
        output: Path,
        plan: ProxyPlan,
        cancel: threading.Event,
        progress: ProgressCallback,
    ) -> ProxyResult:
        if not src.streams.video or is_image_format(src.format.name):
            raise FailedPrecondition(
                f"{source.name} has no video stream to make a proxy of",
                reason="NO_VIDEO_STREAM",
                resources=[Resource("file", str(source))],
            )
        video_in = src.streams.video[0]
        if video_in.codec_context is None:
            raise translate_av_error(source, av.error.DecoderNotFoundError(0, "no decoder"))
        limit_decoder(video_in, self._max_pixels)
        video_in.codec_context.thread_type = "AUTO"
        audio_in = src.streams.audio[0] if src.streams.audio and src.streams.audio[0].codec_context else None
        total = float(src.duration / av.time_base) if src.duration else 0.0
        start = float(video_in.start_time * video_in.time_base) if video_in.start_time else 0.0
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(30)
        # The muxer opens every encoder at its first packet, so the size (which depends on the
        # rotation, known from a decoded frame) must be settled before any audio goes out.
        first = next(iter(src.decode(video_in)), None)
        if first is None:
            raise FailedPrecondition(
                f"no video frame could be decoded from {source.name}", reason="NO_FRAMES"
            )
        rotation = clockwise_rotation(first.rotation)
        size = proxy_size(first.width, first.height, rotation, plan.height)
        src.seek(0)
        with av.open(str(partial), "w", format="mp4") as out:
            video_out: Any = out.add_stream("libx264", rate=rate)
            video_out.pix_fmt = "yuv420p"
            video_out.width, video_out.height = size
            if rotation:
                video_out.set_display_rotation(-rotation)
            video_out.codec_context.time_base = video_in.time_base
            video_out.codec_context.gop_size = plan.gop_frames
            video_out.options = {"preset": "veryfast", "crf": "23", "tune": "fastdecode"}
            if plan.gop_frames == 1:
                video_out.codec_context.max_b_frames = 0
            audio_out: Any = None
            resampler: Any = None
            if audio_in is not None:
                audio_out = out.add_stream("aac", rate=_AUDIO_RATE)
                audio_out.layout = "stereo"
                audio_out.bit_rate = 128_000
                resampler = av.AudioResampler(
                    format="fltp", layout="stereo", rate=_AUDIO_RATE, frame_size=1024
                )
            streams = [video_in] + ([audio_in] if audio_in is not None else [])
            samples = 0
            done = 0.0
            last_report = 0.0
            for packet in src.demux(streams):
                if cancel.is_set():
                    raise Cancelled("the proxy was cancelled", reason="PROXY_CANCELLED")
                for frame in packet.decode():
                    if packet.stream is video_in:
                        scaled = frame.reformat(width=size[0], height=size[1], format="yuv420p")
                        scaled.pts, scaled.time_base = frame.pts, frame.time_base
                        out.mux(video_out.encode(scaled))
                        if frame.pts is not None:
                            done = max(done, float(frame.pts * frame.time_base) - start)
                    elif resampler is not None:
                        for chunk in resampler.resample(frame):
                            chunk.pts, chunk.time_base = samples, Fraction(1, _AUDIO_RATE)
                            samples += chunk.samples
                            out.mux(audio_out.encode(chunk))
                now = time.monotonic()
                if now - last_report >= _PROGRESS_EVERY_SECONDS:
                    last_report = now
                    progress(done, total)
            out.mux(video_out.encode(None))
            if resampler is not None:
                for chunk in resampler.resample(None):
                    chunk.pts, chunk.time_base = samples, Fraction(1, _AUDIO_RATE)
                    samples += chunk.samples
                    out.mux(audio_out.encode(chunk))
                out.mux(audio_out.encode(None))
        progress(total or done, total or done)
        return ProxyResult(output, total or done, size[0], size[1])

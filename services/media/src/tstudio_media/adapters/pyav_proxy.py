"""Proxy transcodes with PyAV: H.264 (all-intra or short GOP) at a low resolution plus AAC audio,
written under a temporary name and renamed only when complete.

The proxy is upright, square-pixel and limited-range: one FFmpeg filter graph per proxy applies the
source description (deinterlace by field order, scale with the source's range and matrix given
explicitly to limited range, turn by the display rotation, SAR 1), and the output is tagged with
its range and matrix (BT.709 from 720 lines up, BT.601 below)."""

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
from svckit.source_description import SourceDescription, describe_container

from tstudio_media.adapters.pyav_open import is_image_format, limit_decoder, open_media, translate_av_error
from tstudio_media.adapters.tone_map_lut import tone_map_lut
from tstudio_media.domain.proxy_plan import ProxyPlan, ProxyResult, upright_proxy_size

log = logging.getLogger(__name__)

# (seconds done, seconds in total; 0 when unknown)
ProgressCallback = Callable[[float, float], None]
_PROGRESS_EVERY_SECONDS = 0.25
_AUDIO_RATE = 48000
# The display rotation as FFmpeg filters that turn the picture upright.
_TURN = {90: "transpose=clock", 180: "hflip,vflip", 270: "transpose=cclock"}
# Source matrix (FFmpeg name) -> the scale filter's in_color_matrix.
_SCALE_MATRICES = {
    "bt709": "bt709",
    "bt470bg": "bt601",
    "smpte170m": "smpte170m",
    "smpte240m": "smpte240m",
    "fcc": "fcc",
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
}
# AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic values for the output tags.
_TAGS = {"bt709": (1, 1, 1), "smpte170m": (6, 6, 6)}


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
        if src.streams.video[0].codec_context is None:
            raise translate_av_error(source, av.error.DecoderNotFoundError(0, "no decoder"))
        for stream in src.streams.video:
            if stream.codec_context is not None:  # set before the description opens the decoder
                limit_decoder(stream, self._max_pixels)
                stream.codec_context.thread_type = "AUTO"
        # The muxer opens every encoder at its first packet, so the size (which depends on the
        # rotation and pixel aspect) must be settled before any audio goes out.
        description = describe_container(src, source, max_pixels=self._max_pixels, measure_timing=False)
        if not description.has_video:
            raise FailedPrecondition(
                f"{source.name} has no video stream to make a proxy of (cover art is not video)",
                reason="NO_VIDEO_STREAM",
                resources=[Resource("file", str(source))],
            )
        video_in = src.streams[description.video_stream_index]
        audio_in = src.streams.audio[0] if src.streams.audio and src.streams.audio[0].codec_context else None
        total = float(src.duration / av.time_base) if src.duration else 0.0
        start = float(video_in.start_time * video_in.time_base) if video_in.start_time else 0.0
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(30)
        src.seek(0)
        size = upright_proxy_size(description.display_width, description.display_height, plan.height)
        graph: Any = None  # made at the first frame, for its pixel format (libvpx gives yuva420p)
        # VP8/VP9 alpha is read by libvpx (the native decoder drops it); H.264 carries no alpha,
        # so alpha sources are composited over black in the graph instead of showing hidden pixels.
        video_decoder = _video_decoder(description, video_in, self._max_pixels)
        out_matrix = "bt709" if size[1] >= 720 else "smpte170m"
        with av.open(str(partial), "w", format="mp4") as out:
            video_out: Any = out.add_stream("libx264", rate=rate)
            video_out.pix_fmt = "yuv420p"
            video_out.width, video_out.height = size
            context = video_out.codec_context
            context.color_range = 1  # limited (tv)
            context.colorspace, context.color_primaries, context.color_trc = _TAGS[out_matrix]
            context.time_base = video_in.time_base
            context.gop_size = plan.gop_frames
            video_out.options = {"preset": "veryfast", "crf": "23", "tune": "fastdecode"}
            if plan.gop_frames == 1:
                context.max_b_frames = 0
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
                decoded = video_decoder.decode(packet) if packet.stream is video_in else packet.decode()
                for frame in decoded:
                    if packet.stream is video_in:
                        if graph is None:
                            graph = _proxy_graph(description, video_in, size, frame.format)
                        graph.push(frame)
                        for upright in _pulled(graph, video_in.time_base):
                            out.mux(video_out.encode(upright))
                        if frame.pts is not None and video_in.time_base is not None:
                            done = max(done, float(frame.pts * video_in.time_base) - start)
                    elif resampler is not None:
                        for chunk in resampler.resample(frame):
                            chunk.pts, chunk.time_base = samples, Fraction(1, _AUDIO_RATE)
                            samples += chunk.samples
                            out.mux(audio_out.encode(chunk))
                now = time.monotonic()
                if now - last_report >= _PROGRESS_EVERY_SECONDS:
                    last_report = now
                    progress(done, total)
            if graph is not None:
                graph.push(None)
                for upright in _pulled(graph, video_in.time_base):
                    out.mux(video_out.encode(upright))
            out.mux(video_out.encode(None))
            if resampler is not None:
                for chunk in resampler.resample(None):
                    chunk.pts, chunk.time_base = samples, Fraction(1, _AUDIO_RATE)
                    samples += chunk.samples
                    out.mux(audio_out.encode(chunk))
                out.mux(audio_out.encode(None))
        progress(total or done, total or done)
        return ProxyResult(output, total or done, size[0], size[1])


def _proxy_graph(description: SourceDescription, video_in: Any, size: tuple[int, int], pixels: Any) -> Any:
    """buffer -> [bwdif] -> scale (explicit range and matrix; HDR through a tone-mapping LUT) ->
    [turn] -> [premultiply] -> setsar=1 -> sink."""
    turned = description.rotation in (90, 270)
    width, height = (size[1], size[0]) if turned else size
    out_matrix = "bt709" if size[1] >= 720 else "smpte170m"
    in_matrix = _SCALE_MATRICES.get(description.effective_matrix, "bt601")
    in_range = "pc" if description.color_range == "pc" else "tv"
    steps = []
    if description.interlaced:
        steps.append(f"bwdif=mode=send_frame:parity={'tff' if description.top_field_first else 'bff'}")
    if description.hdr:
        # HDR: to 16-bit R'G'B' (BT.2020 by name), tone-mapped by a LUT, then into the output YUV.
        steps += [
            f"scale=w={width}:h={height}:in_range={in_range}:in_color_matrix=bt2020",
            "format=gbrp16le",
            f"lut3d=file={tone_map_lut(description.hdr)}:interp=tetrahedral",
            f"scale=in_range=pc:out_range=tv:out_color_matrix={out_matrix}",
        ]
    else:
        steps.append(
            f"scale=w={width}:h={height}:in_range={in_range}:out_range=tv"
            f":in_color_matrix={in_matrix}:out_color_matrix={out_matrix}"
        )
    if description.rotation in _TURN:
        steps.append(_TURN[description.rotation])
    if any(c.is_alpha for c in pixels.components):
        steps.append("premultiply=inplace=1")  # colour times alpha: the picture over black
    steps += ["setsar=1", "format=yuv420p"]
    time_base = video_in.time_base or Fraction(1, 90000)
    sar = description.sample_aspect
    graph = av.filter.Graph()
    buffer = graph.add(
        "buffer",
        f"video_size={description.width}x{description.height}:pix_fmt={pixels.name}"
        f":time_base={time_base.numerator}/{time_base.denominator}"
        f":pixel_aspect={sar.numerator}/{sar.denominator}",
    )
    chain = graph.add("null")
    buffer.link_to(chain)
    # One parsed chain between the buffer and the sink.
    last = chain
    for step in ",".join(steps).split(","):
        name, _, args = step.partition("=")
        node = graph.add(name, args) if args else graph.add(name)
        last.link_to(node)
        last = node
    last.link_to(graph.add("buffersink"))
    graph.configure()
    return graph


def _video_decoder(description: SourceDescription, video_in: Any, max_pixels: int) -> Any:
    if description.alpha_decoder:
        try:
            decoder = av.CodecContext.create(description.alpha_decoder, "r")
        except (av.error.FFmpegError, ValueError):
            return video_in.codec_context  # no libvpx in this FFmpeg: the picture without alpha
        decoder.options = {"max_pixels": str(max_pixels)}
        return decoder
    return video_in.codec_context


def _pulled(graph: Any, time_base: Any) -> list[Any]:
    """Every frame the graph has ready now, on the sink's time base (bwdif halves it)."""
    frames: list[Any] = []
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return frames
        if frame.time_base is None:
            frame.time_base = time_base
        frames.append(frame)

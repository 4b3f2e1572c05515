"""The one description of how a source must be shown, read once from the file with PyAV.

Every consumer (render, RenderFrame, thumbnails, filmstrips, proxies, recognition input, waveforms)
takes its rotation, pixel aspect, colour range/matrix/primaries/transfer, alpha, field order, HDR
transfer and timing from here instead of re-deriving them. PyAV is imported inside the functions so
services without PyAV still import svckit.

Reading costs one open, the first decoded frame of the shown picture (FFmpeg puts the display matrix
and EXIF orientation on frames only; `from_headers=True` reads MP4/MOV from their headers instead)
and, for frame-rate regularity, the MP4 sample index or up to `_VFR_PACKETS` demuxed packets (no
decoding).
"""

from __future__ import annotations

import errno
import itertools
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from svckit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Resource,
)
from svckit.exif_orientation import TRANSFORMS, jpeg_orientation

# FFmpeg enum values -> FFmpeg's names (libavutil/pixfmt.h, av_color_*_name).
_MATRICES = {
    0: "gbr",
    1: "bt709",
    4: "fcc",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "ycgco",
    9: "bt2020nc",
    10: "bt2020c",
    14: "ictcp",
}
_PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020"}
_TRANSFERS = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
_FIELD_ORDERS = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}
_HDR = {"smpte2084": "pq", "arib-std-b67": "hlg"}
# Decoders that hand over VP8/VP9 alpha (the native vp8/vp9 decoders drop the BlockAdditional plane).
_ALPHA_DECODERS = {"vp9": "libvpx-vp9", "vp8": "libvpx"}
_FULL_RANGE_CODECS = frozenset({"mjpeg", "jpegls", "ljpeg", "png", "apng", "webp", "gif", "bmp", "tiff"})
_VFR_PACKETS = 240
_MAX_REASONABLE_FPS = 1000.0
_ATTACHED_PIC = 0x0400  # AV_DISPOSITION_ATTACHED_PIC

DEFAULT_MAX_PIXELS = 64 * 1024 * 1024


@dataclass(frozen=True)
class SourceDescription:
    """How a source must be shown. Sizes are of the shown picture: the video stream, or the
    attached picture (cover art) of an audio file when it has no real video (then has_video is
    False and attached_picture True)."""

    has_video: bool  # a real video stream (attached pictures / cover art are NOT video)
    has_audio: bool
    attached_picture: bool  # the file carries cover art (ID3 APIC, MP4 covr)
    width: int = 0  # coded size
    height: int = 0
    rotation: int = 0  # clockwise degrees to turn the decoded picture upright: 0/90/180/270
    mirrored: bool = False  # after turning, mirror left-right (EXIF orientations 2, 4, 5, 7)
    sample_aspect: Fraction = Fraction(1)  # SAR, 1 when unknown
    display_width: int = 0  # upright and square-pixel size
    display_height: int = 0
    color_range: str = "tv"  # "tv" | "pc"
    color_matrix: str = "unknown"  # FFmpeg names: bt709, bt470bg, smpte170m, bt2020nc, ...
    color_primaries: str = "unknown"
    color_transfer: str = "unknown"  # ..., smpte2084 (PQ), arib-std-b67 (HLG)
    bit_depth: int = 8
    pix_fmt: str = ""
    has_alpha: bool = False
    alpha_decoder: str | None = None  # e.g. "libvpx-vp9" when the native decoder would drop alpha
    field_order: str = "unknown"  # "progressive" | "tt" | "bb" | "tb" | "bt" | "unknown"
    hdr: str = ""  # "" | "pq" | "hlg"
    fps: float = 0.0  # real frame rate (not the 90000 timebase); 0 for stills
    variable_frame_rate: bool = False  # measured from packet timestamps
    start_time: float = 0.0  # container start (seconds); stream starts are on the same clock
    video_start: float = 0.0
    audio_start: float = 0.0
    duration: float = 0.0
    audio_channels: int = 0
    audio_layout: str = ""
    audio_sample_rate: int = 0
    video_codec: str = ""
    still: bool = False  # a single picture (image demuxer), not a clip
    video_stream_index: int = -1  # the shown picture's stream (video or attached picture)
    audio_stream_index: int = -1
    notes: tuple[str, ...] = field(default=())

    @property
    def interlaced(self) -> bool:
        return self.field_order in ("tt", "bb", "tb", "bt")

    @property
    def top_field_first(self) -> bool:
        return self.field_order in ("tt", "tb")

    @property
    def effective_matrix(self) -> str:
        """The matrix to decode with: the tagged one, else FFmpeg players' guess by size
        (BT.709 from 720 lines or 1280 columns up, BT.601 below)."""
        if self.color_matrix not in ("unknown", ""):
            return self.color_matrix
        if self.pix_fmt.startswith(("rgb", "bgr", "gbr", "argb", "abgr", "rgba", "bgra", "pal8", "gray")):
            return "gbr"
        return "bt709" if self.height >= 720 or self.width >= 1280 else "smpte170m"

    @property
    def offset_video(self) -> float:
        """Seconds from the container's start to the first video frame."""
        return max(0.0, self.video_start - self.start_time)

    @property
    def offset_audio(self) -> float:
        """Seconds from the container's start to the first audio sample (late audio > 0)."""
        return max(0.0, self.audio_start - self.start_time)


def display_size(width: int, height: int, sample_aspect: Fraction, rotation: int) -> tuple[int, int]:
    """Upright, square-pixel size: SAR widens (or narrows) the coded width, then rotation swaps.
    Odd sizes stay odd (an output that needs even sizes rounds them itself)."""
    wide = width * sample_aspect if sample_aspect > 0 else Fraction(width)
    w = max(1, round(wide)) if width else 0
    return (height, w) if rotation in (90, 270) else (w, height)


def clockwise_rotation(counterclockwise_degrees: float | None) -> int:
    """A display-matrix angle (counter-clockwise, -180..180, as FFmpeg reports) as 0/90/180/270
    clockwise."""
    if not counterclockwise_degrees:
        return 0
    return round(-float(counterclockwise_degrees) / 90.0) % 4 * 90


def describe_source(
    path: str | os.PathLike[str], field: str = "path", max_pixels: int = DEFAULT_MAX_PIXELS
) -> SourceDescription:
    """Probe `path` and describe how it must be shown. Blocking (call from a worker thread).

    Raises svckit errors with `field` as the field path: NotFound, PermissionDenied,
    InvalidArgument (reason NOT_MEDIA for unreadable files, NO_FRAMES for a video stream with no
    decodable frame) or FailedPrecondition (PICTURE_TOO_LARGE / PICTURE_SIZE_UNREADABLE over the
    pixel budget)."""
    import av
    import av.error

    where = Path(path)
    try:
        if where.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(where))
        if where.stat().st_size == 0:
            raise _not_media(where, field, "the file is empty")
        container = av.open(str(where), "r", options={"max_pixels": str(max_pixels)})
    except (OSError, av.error.FFmpegError, EOFError, ValueError) as exc:
        raise _translate(where, field, exc) from exc
    try:
        with container:
            return describe_container(container, where, field, max_pixels)
    except (OSError, av.error.FFmpegError, EOFError) as exc:
        raise _translate(where, field, exc) from exc


def describe_container(
    container: Any,
    path: Path,
    field: str = "path",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    measure_timing: bool = True,
    from_headers: bool = False,
) -> SourceDescription:
    """The description of a freshly opened PyAV input container (it is read: seek before decoding).
    `measure_timing=False` skips the frame-rate measurement (fps is then the declared rate and
    variable_frame_rate False), for consumers that only show pictures. By default the first frame
    of the shown picture is decoded, which also proves the stream decodable; `from_headers=True`
    lets MP4/MOV be described from their headers alone (Probe: no 1080p decode per file)."""
    return describe_with_first_frame(container, path, field, max_pixels, measure_timing, from_headers)[0]


def describe_with_first_frame(
    container: Any,
    path: Path,
    field: str = "path",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    measure_timing: bool = True,
    from_headers: bool = False,
) -> tuple[SourceDescription, Any]:
    """`describe_container` and the first frame of the shown picture it decoded (None when there
    is no picture): a still's only frame, which cannot be read again without reopening."""
    video_streams = [s for s in container.streams.video if s.codec_context is not None]
    real_video = [s for s in video_streams if not _is_attached_picture(s)]
    pictures = [s for s in video_streams if _is_attached_picture(s)]
    audio = [s for s in container.streams.audio if s.codec_context is not None]
    if not real_video and not audio and not pictures:
        if any(s.type in ("video", "audio") for s in container.streams):
            raise FailedPrecondition(
                f"this FFmpeg build has no decoder for the streams of {path.name}",
                reason="UNSUPPORTED_CODEC",
                resources=[Resource("file", str(path))],
            )
        raise _not_media(path, field, "the file has no audio or video stream")
    start = _micro(container.start_time)
    duration = _micro(container.duration)
    common: dict[str, Any] = {
        "has_video": bool(real_video),
        "has_audio": bool(audio),
        "attached_picture": bool(pictures),
        "start_time": start,
        "duration": duration,
    }
    notes: list[str] = []
    if audio:
        stream = audio[0]
        context = stream.codec_context
        layout = getattr(context, "layout", None)
        common.update(
            audio_channels=int(getattr(layout, "nb_channels", 0) or getattr(context, "channels", 0) or 0),
            audio_layout=str(getattr(layout, "name", "") or ""),
            audio_sample_rate=int(context.sample_rate or 0),
            audio_start=_stream_seconds(stream.start_time, stream.time_base, start),
            audio_stream_index=stream.index,
        )
    shown = real_video[0] if real_video else (pictures[0] if pictures else None)
    if shown is None:
        return SourceDescription(**common, notes=tuple(notes)), None
    still = _is_image_format(container.format.name) or not real_video
    context = shown.codec_context
    codec = str(context.name or "")
    width, height = int(context.width or 0), int(context.height or 0)
    if not real_video and (width * height > max_pixels or not width or not height):
        # Cover art over the pixel budget (or unsized): still an audio file, without its picture.
        notes.append("the attached picture is not shown (over the pixel budget or unreadable)")
        return SourceDescription(**common, notes=tuple(notes)), None
    if width * height > max_pixels:
        raise FailedPrecondition(
            f"{path.name} declares {width}x{height} pixels, more than this service decodes ({max_pixels})",
            reason="PICTURE_TOO_LARGE",
            resources=[Resource("file", str(path))],
        )
    if not width or not height:
        # The decoder refused to size it while probing (over max_pixels), or it is damaged.
        raise FailedPrecondition(
            f"{path.name} has no readable picture size (damaged, or over the {max_pixels}-pixel limit)",
            reason="PICTURE_SIZE_UNREADABLE",
            resources=[Resource("file", str(path))],
        )
    metadata = {str(k).lower(): str(v) for k, v in (shown.metadata or {}).items()}
    alpha_decoder = None
    if codec in _ALPHA_DECODERS and metadata.get("alpha_mode") == "1":
        alpha_decoder = _ALPHA_DECODERS[codec]
    # Stream-level facts, before decoding (the decoder may refine them from the bitstream).
    field_order = _FIELD_ORDERS.get(int(context.field_order or 0), "unknown") if not still else "progressive"
    video_start = _stream_seconds(shown.start_time, shown.time_base, start)
    sar = _sar(shown.sample_aspect_ratio or context.sample_aspect_ratio)
    # MP4/MOV when asked: every fact is in the headers (rotation in tkhd, colour in the codec
    # parameters), so no frame is decoded (a 1080p decode costs more than the rest of a probe).
    # Otherwise the first frame right after opening (an attached picture is queued once; raw
    # streams cannot seek back), then the timing from the sample index or the packets that follow.
    header = None if still or not from_headers else _from_mp4_headers(container, path, shown, real_video)
    frame = header if header is not None else _first_frame(container, shown, max_pixels)
    if still:
        fps, vfr = 0.0, False
    elif measure_timing:
        fps, vfr = _frame_rate(container, shown)
    else:
        fps, vfr = _declared_rate(shown), False
    if frame is None and not real_video:
        # Undecodable cover art: still an audio file, shown without its picture.
        notes.append("the attached picture could not be decoded")
        return SourceDescription(**common, notes=tuple(notes)), None
    if frame is None:
        raise InvalidArgument(
            f"{path.name}: the {'picture' if still else 'video'} stream has no decodable frame",
            reason="NO_FRAMES",
            field_violations=[FieldViolation(field, "the video stream has no frames")],
            resources=[Resource("file", str(path))],
        )
    pix_fmt = str(frame.format.name)
    rotation = clockwise_rotation(getattr(frame, "rotation", 0))
    mirrored = False
    if still and codec == "mjpeg" and (orientation := jpeg_orientation(path)) is not None:
        rotation, mirrored = TRANSFORMS[orientation]  # FFmpeg's angle is wrong for mirrors
    range_code = int(frame.color_range or context.color_range or 0)
    matrix = _MATRICES.get(int(frame.colorspace or context.colorspace or 2), "unknown")
    primaries = _PRIMARIES.get(int(frame.color_primaries or context.color_primaries or 2), "unknown")
    transfer = _TRANSFERS.get(int(frame.color_trc or context.color_trc or 2), "unknown")
    if field_order in ("unknown", "progressive") and getattr(frame, "interlaced_frame", False):
        field_order = "tt" if _top_field_first(frame) else "bb"
    elif field_order == "unknown" and not still:
        field_order = _FIELD_ORDERS.get(int(context.field_order or 0), "progressive")
    components = list(frame.format.components)
    has_alpha = any(c.is_alpha for c in components) or alpha_decoder is not None
    bit_depth = max((int(c.bits) for c in components), default=8)
    if sar == 1 and frame.width and (frame_sar := _sar(getattr(context, "sample_aspect_ratio", None))) != 1:
        sar = frame_sar
    if frame.width and frame.height:
        width, height = int(frame.width), int(frame.height)
    full = (
        range_code == 2
        or pix_fmt.startswith("yuvj")
        or (range_code == 0 and (codec in _FULL_RANGE_CODECS or frame.format.is_rgb))
    )
    if not real_video and pictures:
        notes.append("the picture is the file's attached cover art")
    display_w, display_h = display_size(width, height, sar, rotation)
    description = SourceDescription(
        **common,
        width=width,
        height=height,
        rotation=rotation,
        mirrored=mirrored,
        sample_aspect=sar,
        display_width=display_w,
        display_height=display_h,
        color_range="pc" if full else "tv",
        color_matrix=matrix,
        color_primaries=primaries,
        color_transfer=transfer,
        bit_depth=bit_depth,
        pix_fmt=pix_fmt,
        has_alpha=has_alpha,
        alpha_decoder=alpha_decoder,
        field_order="progressive" if still else field_order,
        hdr=_HDR.get(transfer, ""),
        fps=fps,
        variable_frame_rate=vfr,
        video_start=video_start,
        video_codec=codec,
        still=still,
        video_stream_index=shown.index,
        notes=tuple(notes),
    )
    return description, (None if frame is header else frame)


@dataclass(frozen=True)
class _HeaderFacts:
    """What a first decoded frame would say, read from MP4 headers and the codec parameters."""

    format: Any
    rotation: float
    color_range: int
    colorspace: int
    color_primaries: int
    color_trc: int
    width: int
    height: int
    interlaced_frame: bool = False


def _from_mp4_headers(container: Any, path: Path, shown: Any, real_video: list[Any]) -> _HeaderFacts | None:
    import av

    from svckit.mp4_rotation import video_track_rotations

    names = set(str(container.format.name).split(","))
    context = shown.codec_context
    if not names & {"mov", "mp4"} or not context.pix_fmt or not context.width:
        return None
    if not shown.frames and not len(shown.index_entries or ()):
        return None  # no samples: let the decode say so
    rotations = video_track_rotations(path)
    if rotations is None or len(rotations) != len(real_video):
        return None
    return _HeaderFacts(
        format=av.VideoFormat(context.pix_fmt),
        rotation=-float(rotations[real_video.index(shown)]),  # counter-clockwise, as frames say
        color_range=int(context.color_range or 0),
        colorspace=int(context.colorspace or 2),
        color_primaries=int(context.color_primaries or 2),
        color_trc=int(context.color_trc or 2),
        width=int(context.width),
        height=int(context.height),
    )


def _is_attached_picture(stream: Any) -> bool:
    try:
        return bool(int(stream.disposition) & _ATTACHED_PIC)
    except (TypeError, ValueError):
        return False


def _is_image_format(name: str) -> bool:
    return any(part == "image2" or part.endswith("_pipe") for part in str(name).split(","))


def _top_field_first(frame: Any) -> bool:
    value = getattr(frame, "top_field_first", None)
    return True if value is None else bool(value)


def _first_frame(container: Any, stream: Any, max_pixels: int) -> Any:
    import av.error

    context = stream.codec_context
    if not context.is_open:
        context.options = {**context.options, "max_pixels": str(max_pixels)}
    try:
        for frame in container.decode(stream):
            return frame
    except (av.error.FFmpegError, EOFError, ValueError):
        return None
    return None


def _frame_rate(container: Any, stream: Any) -> tuple[float, bool]:
    """(real fps, variable) from frame timestamps: the MP4/MOV sample index when there is one,
    else up to `_VFR_PACKETS` demuxed packets."""
    stamps: list[int] = []
    entries = getattr(stream, "index_entries", None)
    name = str(container.format.name)
    if entries is not None and ("mp4" in name or "mov" in name) and len(entries) >= 2:
        stamps = [int(entries[i].timestamp) for i in range(min(len(entries), _VFR_PACKETS * 8))]
    else:
        try:
            for packet in container.demux(stream):
                if packet.pts is not None:
                    stamps.append(int(packet.pts))
                if len(stamps) >= _VFR_PACKETS:
                    break
        except Exception:  # a damaged tail: measure what was read
            pass
    stamps = sorted(set(stamps))
    declared = _declared_rate(stream)
    if len(stamps) < 3 or stream.time_base is None:
        return declared, False
    steps = [(b - a) * stream.time_base for a, b in itertools.pairwise(stamps)]
    span = float(stamps[-1] - stamps[0]) * float(stream.time_base)
    measured = (len(stamps) - 1) / span if span > 0 else 0.0
    shortest, longest = min(steps), max(steps)
    tick = Fraction(stream.time_base)
    # Rounding of timestamps to the time base makes CFR steps differ by a tick or two.
    variable = float(longest - shortest) > max(float(tick) * 2, float(shortest) * 0.05)
    fps = declared if (declared and not variable) else measured
    return round(fps, 3), variable


def _declared_rate(stream: Any) -> float:
    return _rate(stream.average_rate) or _rate(stream.base_rate) or _rate(stream.guessed_rate)


def _rate(value: Any) -> float:
    if not value:
        return 0.0
    fps = float(value)
    return fps if 0 < fps <= _MAX_REASONABLE_FPS else 0.0


def _sar(value: Any) -> Fraction:
    try:
        sar = Fraction(value) if value else Fraction(1)
    except (TypeError, ValueError, ZeroDivisionError):
        return Fraction(1)
    return sar if sar > 0 else Fraction(1)


def _micro(value: int | None) -> float:
    return value / 1_000_000 if value else 0.0


def _stream_seconds(value: int | None, time_base: Any, fallback: float) -> float:
    if value is None or time_base is None:
        return fallback
    return float(value * time_base)


def _not_media(path: Path, field: str, why: str) -> InvalidArgument:
    return InvalidArgument(
        f"not a readable media file: {path.name}: {why}",
        reason="NOT_MEDIA",
        field_violations=[FieldViolation(field, why)],
        resources=[Resource("file", str(path))],
    )


def _translate(path: Path, field: str, exc: BaseException) -> Exception:
    if isinstance(exc, InvalidArgument | NotFound | PermissionDenied | FailedPrecondition):
        return exc
    code = getattr(exc, "errno", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return NotFound(
            f"no such file: {path}", reason="FILE_NOT_FOUND", resources=[Resource("file", str(path))]
        )
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return PermissionDenied(
            f"the service may not read {path.name}",
            reason="FILE_NOT_READABLE",
            resources=[Resource("file", str(path))],
        )
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return _not_media(path, field, "must name a file, not a directory")
    if isinstance(exc, EOFError):
        return _not_media(path, field, "the file ends before any readable media (truncated?)")
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _not_media(path, field, str(why))

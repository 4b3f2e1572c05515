"""Joining encoded segments into one output without re-encoding (PyAV remux).

Each segment is H.264 (or any one codec) in MP4 or MPEG-TS, encoded with identical settings and
starting on a keyframe. Its packets are copied with their timestamps shifted so segment k starts
where segment k-1 ended; the whole-timeline audio track is muxed in beside them, interleaved by time.
The output is written under a temporary name and renamed only when complete.
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from svckit.errors import DataLoss, FailedPrecondition, InvalidArgument, Resource
from svckit.safe_open import AtomicOutput

from tstudio_compiler.scale.adapters.atomic_files import fsync_dir

log = logging.getLogger(__name__)

_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".ts": "mpegts"}


@dataclass(frozen=True)
class JoinResult:
    output_path: str
    duration_seconds: float
    frames: int
    size_bytes: int
    segments: int
    audio: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "output_path": self.output_path,
            "duration_seconds": self.duration_seconds,
            "frames": self.frames,
            "size_bytes": self.size_bytes,
            "segments": self.segments,
            "audio": self.audio,
        }


@dataclass
class _Segment:
    packets: list[Any]
    time_base: Fraction
    start: int
    end: int
    template: Any


def _read_segment(path: Path, index: int) -> _Segment:
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise DataLoss(
            f"segment {index} is unreadable: {exc}", resources=[Resource("file", str(path))]
        ) from exc
    with container:
        if not container.streams.video:
            raise DataLoss(f"segment {index} has no video stream", resources=[Resource("file", str(path))])
        stream = container.streams.video[0]
        try:
            packets: list[Any] = [p for p in container.demux(stream) if p.size and p.pts is not None]
        except av.error.FFmpegError as exc:
            raise DataLoss(
                f"segment {index} is corrupt: {exc}", resources=[Resource("file", str(path))]
            ) from exc
        if not packets:
            raise DataLoss(f"segment {index} holds no video packets", resources=[Resource("file", str(path))])
        if not packets[0].is_keyframe:
            raise FailedPrecondition(
                f"segment {index} does not start on a keyframe; it cannot be joined without re-encoding",
                resources=[Resource("file", str(path))],
            )
        if stream.time_base is None:
            raise DataLoss(f"segment {index} has no time base", resources=[Resource("file", str(path))])
        time_base = Fraction(stream.time_base)
        start = min(p.pts for p in packets)
        end = max(p.pts + (p.duration or 0) for p in packets)
        template = {
            "codec": stream.codec_context.name,
            "size": (stream.codec_context.width, stream.codec_context.height),
            "pix_fmt": stream.codec_context.pix_fmt,
            "extradata": bytes(stream.codec_context.extradata or b""),
        }
        return _Segment(packets=packets, time_base=time_base, start=start, end=end, template=template)


def _check_compatible(first: dict[str, Any], other: dict[str, Any], index: int, path: Path) -> None:
    for name in ("codec", "size", "pix_fmt", "extradata"):
        if first[name] != other[name]:
            raise FailedPrecondition(
                f"segment {index} differs from segment 0 in {name}; segments must share encoder settings "
                "to be joined without re-encoding",
                resources=[Resource("file", str(path))],
            )


def join_segments(
    segment_paths: Sequence[str | Path], output_path: str | Path, audio_path: str | Path | None = None
) -> JoinResult:
    """Concatenate `segment_paths` (in order) into `output_path`, plus the audio of `audio_path`.
    Blocking: run it in an executor."""
    import av

    if not segment_paths:
        raise InvalidArgument("nothing to join: no segments")
    output = Path(output_path)
    fmt = _FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise InvalidArgument(
            f"cannot join into a {output.suffix or 'suffix-less'} file; use .mp4, .mov, .mkv or .ts"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    # svckit's temp naming (`.<name>.pid<pid>.<random>.part`): swept at start-up if this process dies.
    atomic = AtomicOutput(output)
    tmp = atomic.temp

    paths = [Path(p) for p in segment_paths]
    first_container = _open_template_source(paths[0])
    audio_container = None
    try:
        if audio_path:
            try:
                audio_container = av.open(str(audio_path))
            except (av.error.FFmpegError, OSError) as exc:
                raise DataLoss(
                    f"timeline audio is unreadable: {exc}", resources=[Resource("file", str(audio_path))]
                ) from exc
            if not audio_container.streams.audio:
                raise DataLoss(
                    "timeline audio file has no audio stream", resources=[Resource("file", str(audio_path))]
                )
        with av.open(str(tmp), "w", format=fmt) as out:
            out_video = out.add_stream_from_template(first_container.streams.video[0])
            out_audio = None
            if audio_container is not None:
                out_audio = out.add_stream_from_template(audio_container.streams.audio[0])
            state: dict[str, Any] = {"frames": 0, "end": Fraction(0)}
            video = _video_packets(paths, out_video, state)
            streams: list[Iterator[tuple[float, int, Any]]] = [video]
            if audio_container is not None and out_audio is not None:
                streams.append(_audio_packets(audio_container, out_audio))
            try:
                for _, _, packet in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
                    out.mux(packet)
            except av.error.FFmpegError as exc:
                raise DataLoss(f"joining segments failed: {exc}") from exc
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        atomic.commit()
        fsync_dir(output.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        first_container.close()
        if audio_container is not None:
            audio_container.close()
    log.info(
        "joined %d segments into %s (%.2fs, %d frames)",
        len(paths),
        output,
        float(state["end"]),
        state["frames"],
    )
    return JoinResult(
        output_path=str(output),
        duration_seconds=float(state["end"]),
        frames=int(state["frames"]),
        size_bytes=output.stat().st_size,
        segments=len(paths),
        audio=audio_container is not None,
    )


def _open_template_source(path: Path) -> Any:
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise DataLoss(f"segment 0 is unreadable: {exc}", resources=[Resource("file", str(path))]) from exc
    if not container.streams.video:
        container.close()
        raise DataLoss("segment 0 has no video stream", resources=[Resource("file", str(path))])
    return container


def _video_packets(
    paths: list[Path], out_stream: Any, state: dict[str, Any]
) -> Iterator[tuple[float, int, Any]]:
    """Packets of every segment in order, re-stamped onto one timeline; keys are dts seconds."""
    first_template: dict[str, Any] | None = None
    offset = Fraction(0)
    sequence = 0
    last_dts: Fraction | None = None
    for index, path in enumerate(paths):
        segment = _read_segment(path, index)
        if first_template is None:
            first_template = segment.template
        else:
            _check_compatible(first_template, segment.template, index, path)
        tb = segment.time_base
        shift = round(offset / tb) - segment.start
        for packet in segment.packets:
            packet.pts += shift
            packet.dts = (packet.dts if packet.dts is not None else packet.pts - shift) + shift
            dts_time = packet.dts * tb
            if last_dts is not None and dts_time <= last_dts:
                # A decoder delay longer than the gap between segments; keep dts strictly rising.
                packet.dts = int((last_dts / tb) + 1)
                dts_time = packet.dts * tb
            last_dts = dts_time
            packet.stream = out_stream
            packet.time_base = tb
            state["frames"] += 1
            sequence += 1
            yield float(dts_time), sequence, packet
        offset += (segment.end - segment.start) * tb
        state["end"] = offset


def _audio_packets(container: Any, out_stream: Any) -> Iterator[tuple[float, int, Any]]:
    stream = container.streams.audio[0]
    tb = Fraction(stream.time_base)
    start = stream.start_time or 0
    sequence = 0
    for packet in container.demux(stream):
        if not packet.size or packet.pts is None:
            continue
        packet.pts -= start
        packet.dts = (packet.dts if packet.dts is not None else packet.pts + start) - start
        packet.stream = out_stream
        packet.time_base = tb
        sequence += 1
        # Audio sorts after video at equal times (sequence offset keeps the merge stable).
        yield float(packet.dts * tb), 1_000_000_000 + sequence, packet

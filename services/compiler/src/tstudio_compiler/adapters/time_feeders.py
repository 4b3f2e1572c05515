"""Feeders that play a source out of order: a held frame (`freezeAt`) and a trimmed range played
backwards (`reverse`).

Reverse decodes with bounded memory: the range is walked backwards in chunks that each start at a
keyframe (found by reading packets, not decoding them); a chunk keeps at most `budget` bytes of
decoded pictures, so a long GOP is decoded again from its keyframe for each earlier part instead of
being held whole. One chunk is decoded ahead, in a thread, while the previous one is consumed.
"""

from __future__ import annotations

import bisect
import logging
import queue
import threading
from typing import Any

import av
from svckit.errors import DataLoss, Resource

from tstudio_compiler.adapters.source_decoding import decode_video
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.plan import InputSpec

log = logging.getLogger(__name__)

# Decoded pictures held per chunk (two chunks live at once: the one consumed and the one ahead).
CHUNK_BUDGET_BYTES = 32 * 1024 * 1024
_END = object()


def _origin(container: Any) -> float:
    return (container.start_time or 0) / av.time_base


def freeze_frame(spec: InputSpec, sources: SourceFiles = ANY_SOURCE) -> av.VideoFrame:
    """The picture on screen at source time `spec.source_in`: the last frame starting at or before it."""
    at = spec.source_in
    chosen = None
    try:
        with sources.open(spec.path) as container:
            stream = container.streams.video[0]
            origin = _origin(container)
            if at > 0.5 and stream.time_base:
                container.seek(int((at + origin - 0.5) / stream.time_base), stream=stream, backward=True)
            # Through the decoder the source names (libvpx-vp9 keeps VP9 alpha), as VideoFeeder does.
            for frame in decode_video(container, stream, spec.decoder):
                if frame.pts is None or frame.time_base is None:
                    continue
                t = float(frame.pts * frame.time_base) - origin
                if chosen is not None and t > at + 1e-3:
                    break
                chosen = frame
                if t > at + 1e-3:
                    break  # the source starts after `at`: its first picture
    except av.error.FFmpegError as exc:
        raise DataLoss(
            f"cannot decode {spec.path}", reason="MEDIA_CORRUPT", resources=[Resource("file", spec.path)]
        ) from exc
    if chosen is None:
        raise DataLoss(
            f"{spec.path} has no picture", reason="MEDIA_CORRUPT", resources=[Resource("file", spec.path)]
        )
    return chosen


class ReverseFeeder:
    """Clip-local frames of a reversed clip (`spec.reverse`): source times decrease frame by frame."""

    def __init__(
        self, spec: InputSpec, sources: SourceFiles = ANY_SOURCE, budget: int = CHUNK_BUDGET_BYTES
    ) -> None:
        self._spec = spec
        self._sources = sources
        self._budget = budget
        self._chunks: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._buffer: list[tuple[float, av.VideoFrame]] = []
        self._times: list[float] = []
        self._ended = False
        self._error: BaseException | None = None
        # The latest source time the first frame fed may show.
        upper = self._limit(spec.first_frame)
        lower = spec.source_time(spec.clip_frames - 1) - 1.0
        self._thread = threading.Thread(
            target=self._produce, args=(upper, lower), daemon=True, name="reverse"
        )
        self._thread.start()

    def _limit(self, local_frame: int) -> float:
        spec = self._spec
        # The forward feeder's fps-filter rounding, mirrored.
        return spec.source_time(local_frame) + 0.5 / spec.fps * spec.speed - 1e-6

    def _produce(self, upper: float, lower: float) -> None:
        try:
            with self._sources.open(self._spec.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                origin = _origin(container)
                keys = self._keyframes(container, stream, origin, lower, upper)
                while not self._stop.is_set():
                    chunk = self._chunk(container, stream, origin, keys, upper)
                    if not chunk:
                        break
                    self._put(chunk)
                    upper = chunk[0][0]
                    if upper <= lower or upper <= keys[0] + 1e-9:
                        break
        except av.error.FFmpegError as exc:
            log.warning("decoding %s backwards failed: %s", self._spec.path, exc)
            self._error = exc
        finally:
            self._put(_END)

    @staticmethod
    def _keyframes(container: Any, stream: Any, origin: float, lower: float, upper: float) -> list[float]:
        """Keyframe times from a little before `lower` to `upper`, read from packets (no decoding)."""
        if lower > 0.5 and stream.time_base:
            container.seek(int((lower + origin) / stream.time_base), stream=stream, backward=True)
        keys: list[float] = []
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            t = float(packet.pts * packet.time_base) - origin
            if packet.is_keyframe:
                keys.append(t)
            if t > upper + 1.0:
                break
        return sorted(keys) or [0.0]

    def _chunk(
        self, container: Any, stream: Any, origin: float, keys: list[float], upper: float
    ) -> list[tuple[float, av.VideoFrame]]:
        """Frames before `upper`, from the last keyframe before it; at most the budget's worth, the latest."""
        index = max(0, bisect.bisect_left(keys, upper) - 1)
        start = keys[index]
        container.seek(int((start + origin) / stream.time_base), stream=stream, backward=True)
        held: list[tuple[float, av.VideoFrame]] = []
        size = 0
        for frame in decode_video(container, stream, self._spec.decoder):
            if self._stop.is_set():
                return []
            if frame.pts is None or frame.time_base is None:
                continue
            t = float(frame.pts * frame.time_base) - origin
            if t >= upper:
                break
            if t < start - 1e-6:
                continue
            held.append((t, frame))
            size += _frame_bytes(frame)
            while size > self._budget and len(held) > 1:
                size -= _frame_bytes(held.pop(0)[1])
        return held

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def frame(self, local_frame: int) -> av.VideoFrame:
        limit = self._limit(local_frame)
        while not self._buffer or self._times[0] >= limit:
            if self._ended:
                break
            item = self._chunks.get()
            if item is _END:
                self._ended = True
                break
            self._buffer = item
            self._times = [t for t, _ in item]
        if not self._buffer:
            raise DataLoss(
                f"cannot decode {self._spec.path} backwards",
                reason="MEDIA_CORRUPT",
                resources=[Resource("file", self._spec.path)],
            )
        # The latest frame before the limit (or the earliest there is, at the source's start).
        index = max(0, bisect.bisect_left(self._times, limit) - 1)
        return self._buffer[index][1]

    def close(self) -> None:
        self._stop.set()
        while True:
            try:
                self._chunks.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=2)


def _frame_bytes(frame: av.VideoFrame) -> int:
    return sum(plane.buffer_size for plane in frame.planes)

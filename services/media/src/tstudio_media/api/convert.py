"""Domain values ↔ `tstudio.media.v1` messages. Nothing here decides anything."""

from __future__ import annotations

from tstudio.common.v1 import common_pb2
from tstudio.media.v1 import media_pb2

from tstudio_media.domain.diagnostics import DiagnosticItem
from tstudio_media.domain.media_info import MediaInfo, MediaKind, StreamInfo, StreamType

_KINDS = {
    MediaKind.VIDEO: media_pb2.MEDIA_KIND_VIDEO,
    MediaKind.AUDIO: media_pb2.MEDIA_KIND_AUDIO,
    MediaKind.IMAGE: media_pb2.MEDIA_KIND_IMAGE,
}
_STREAM_TYPES = {
    StreamType.VIDEO: media_pb2.STREAM_TYPE_VIDEO,
    StreamType.AUDIO: media_pb2.STREAM_TYPE_AUDIO,
    StreamType.SUBTITLE: media_pb2.STREAM_TYPE_SUBTITLE,
    StreamType.DATA: media_pb2.STREAM_TYPE_DATA,
}


def media_info_to_proto(info: MediaInfo) -> media_pb2.MediaInfo:
    return media_pb2.MediaInfo(
        path=info.path,
        kind=_KINDS[info.kind],
        container=info.container,
        container_long_name=info.container_long_name,
        duration_seconds=info.duration_seconds,
        bit_rate=info.bit_rate,
        size_bytes=info.size_bytes,
        start_time_seconds=info.start_time_seconds,
        creation_time=info.creation_time,
        streams=[stream_info_to_proto(s) for s in info.streams],
        tags=dict(info.tags),
    )


def stream_info_to_proto(stream: StreamInfo) -> media_pb2.StreamInfo:
    return media_pb2.StreamInfo(
        index=stream.index,
        type=_STREAM_TYPES[stream.type],
        codec=stream.codec,
        codec_long_name=stream.codec_long_name,
        profile=stream.profile,
        bit_rate=stream.bit_rate,
        duration_seconds=stream.duration_seconds,
        frame_count=stream.frame_count,
        language=stream.language,
        width=stream.width,
        height=stream.height,
        pixel_format=stream.pixel_format,
        fps=stream.fps,
        avg_fps=stream.avg_fps,
        rotation=stream.rotation,
        sample_aspect_ratio=stream.sample_aspect_ratio,
        display_aspect_ratio=stream.display_aspect_ratio,
        variable_frame_rate=stream.variable_frame_rate,
        sample_rate=stream.sample_rate,
        channels=stream.channels,
        channel_layout=stream.channel_layout,
        sample_format=stream.sample_format,
    )


def diagnostics_to_proto(
    service: str, version: str, ready: bool, items: list[DiagnosticItem]
) -> common_pb2.Diagnostics:
    return common_pb2.Diagnostics(
        service=service,
        version=version,
        ready=ready,
        items=[common_pb2.DiagnosticItem(name=i.name, value=i.value, ok=i.ok) for i in items],
    )

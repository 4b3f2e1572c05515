"""Domain values ↔ `tstudio.media.v1` messages. Nothing here decides anything."""

from __future__ import annotations

from svckit.errors import ServiceError
from svckit.source_description import SourceDescription
from tstudio.common.v1 import common_pb2
from tstudio.media.v1 import media_pb2

from tstudio_media.domain.diagnostics import DiagnosticItem
from tstudio_media.domain.media_info import MediaInfo, MediaKind, StreamInfo, StreamType
from tstudio_media.domain.picture_request import PictureFormat, SeekMode
from tstudio_media.domain.pictures import Filmstrip, Picture
from tstudio_media.domain.waveform import Waveform

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

_PICTURE_FORMATS = {
    media_pb2.IMAGE_FORMAT_JPEG: PictureFormat.JPEG,
    media_pb2.IMAGE_FORMAT_WEBP: PictureFormat.WEBP,
    media_pb2.IMAGE_FORMAT_PNG: PictureFormat.PNG,
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
        source=source_to_proto(info.source) if info.source is not None else None,
    )


def source_to_proto(d: SourceDescription) -> media_pb2.SourceDescription:
    return media_pb2.SourceDescription(
        has_video=d.has_video,
        has_audio=d.has_audio,
        attached_picture=d.attached_picture,
        width=d.width,
        height=d.height,
        rotation=d.rotation,
        sample_aspect=f"{d.sample_aspect.numerator}:{d.sample_aspect.denominator}",
        display_width=d.display_width,
        display_height=d.display_height,
        color_range=d.color_range,
        color_matrix=d.color_matrix,
        color_primaries=d.color_primaries,
        color_transfer=d.color_transfer,
        effective_color_matrix=d.effective_matrix if (d.has_video or d.attached_picture) else "",
        bit_depth=d.bit_depth if d.pix_fmt else 0,
        pixel_format=d.pix_fmt,
        has_alpha=d.has_alpha,
        alpha_decoder=d.alpha_decoder or "",
        field_order=d.field_order,
        hdr=d.hdr,
        fps=d.fps,
        variable_frame_rate=d.variable_frame_rate,
        start_time_seconds=d.start_time,
        video_start_seconds=d.video_start,
        audio_start_seconds=d.audio_start,
        duration_seconds=d.duration,
        audio_channels=d.audio_channels,
        audio_layout=d.audio_layout,
        audio_sample_rate=d.audio_sample_rate,
        still=d.still,
        mirrored=d.mirrored,
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
        attached_picture=stream.attached_picture,
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


def picture_format(value: int) -> PictureFormat:
    return _PICTURE_FORMATS.get(value, PictureFormat.JPEG)


def picture_format_to_proto(fmt: PictureFormat) -> media_pb2.ImageFormat:
    return next(k for k, v in _PICTURE_FORMATS.items() if v is fmt)


def seek_mode_to_proto(mode: SeekMode) -> media_pb2.SeekMode:
    return media_pb2.SEEK_MODE_FAST if mode is SeekMode.FAST else media_pb2.SEEK_MODE_ACCURATE


def seek_mode(value: int) -> SeekMode:
    return SeekMode.FAST if value == media_pb2.SEEK_MODE_FAST else SeekMode.ACCURATE


def thumbnail_to_proto(picture: Picture) -> media_pb2.ThumbnailResponse:
    return media_pb2.ThumbnailResponse(
        image=picture.data,
        mime_type=picture.mime_type,
        width=picture.width,
        height=picture.height,
        frame_time_seconds=picture.frame_time_seconds,
    )


def filmstrip_to_proto(strip: Filmstrip) -> media_pb2.FilmstripResponse:
    return media_pb2.FilmstripResponse(
        image=strip.sheet.data,
        mime_type=strip.sheet.mime_type,
        width=strip.sheet.width,
        height=strip.sheet.height,
        tiles=[
            media_pb2.FilmstripTile(
                time_seconds=p.tile.time_seconds,
                frame_time_seconds=p.frame_time_seconds,
                x=p.tile.x,
                y=p.tile.y,
                width=p.tile.width,
                height=p.tile.height,
            )
            for p in strip.tiles
        ],
    )


def waveform_to_proto(waveform: Waveform) -> media_pb2.WaveformResponse:
    return media_pb2.WaveformResponse(
        sample_rate=waveform.sample_rate,
        start_seconds=waveform.window.start_seconds,
        bucket_seconds=waveform.window.bucket_seconds,
        channels=[media_pb2.ChannelPeaks(min=lows, max=highs) for lows, highs in waveform.channels],
    )


def item_error(error: ServiceError) -> media_pb2.ItemError:
    return media_pb2.ItemError(code=error.code.value, message=error.message, reason=error.reason)


def progress(
    stage: int, done: float, total: float, rate: float = 0.0, eta: float = -1.0, message: str = ""
) -> common_pb2.Progress:
    percent = 100.0 * done / total if total > 0 else 0.0
    return common_pb2.Progress(
        stage=stage,  # type: ignore[arg-type]
        percent=min(100.0, percent),
        done=int(done),
        total=int(total),
        rate=rate,
        eta_seconds=eta,
        message=message,
    )

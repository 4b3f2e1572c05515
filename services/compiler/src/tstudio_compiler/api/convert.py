"""Proto <-> domain translation for the compiler's messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2
from tstudio.common.v1 import common_pb2
from tstudio.compiler.v1 import compiler_pb2, project_pb2

from tstudio_compiler.api import motion_convert
from tstudio_compiler.api.compositing_convert import (
    clip_extras,
    markers_from_proto,
    markers_to_proto,
    with_output_extras,
)
from tstudio_compiler.domain import model
from tstudio_compiler.domain.effects import EffectDef, EffectKind
from tstudio_compiler.domain.jobs import JobStatus, JobView, Progress, Stage
from tstudio_compiler.domain.params import Param, ParamType
from tstudio_compiler.domain.profiles import Profile
from tstudio_compiler.domain.transitions import TransitionDef


def _struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def _opt(msg: Any, name: str, default: Any) -> Any:
    return getattr(msg, name) if msg.HasField(name) else default


def project_from_proto(p: project_pb2.Project) -> model.Project:
    s = p.settings
    settings = model.ProjectSettings(
        width=s.width or 1920,
        height=s.height or 1080,
        fps=s.fps or 30.0,
        sample_rate=s.sample_rate or 48000,
        background_color=s.background_color or "#000000",
        channels=s.channels or 2,
    )
    o = p.output
    output = model.OutputSettings(
        path=o.path,
        container=o.container or _container_from_path(o.path),
        video_codec=o.video_codec or ("gif" if o.container == "gif" else "h264"),
        audio_codec=o.audio_codec or ("none" if o.container == "gif" else "aac"),
        quality=o.quality,
        preset=o.preset,
        crf=o.crf if o.HasField("crf") else None,
        video_bitrate=o.video_bitrate,
        audio_bitrate=o.audio_bitrate,
        acceleration=model.Acceleration(o.hardware_acceleration),
        encoder=o.encoder,
        width=o.width,
        height=o.height,
        fps=o.fps,
        color_matrix=o.color_matrix,
        color_range=o.color_range,
        dynamic_range=o.dynamic_range,
    )
    output = with_output_extras(o, output, settings)
    tracks = tuple(
        model.Track(
            id=t.id,
            kind=model.TrackKind(t.kind),
            clips=tuple(_clip(c) for c in t.clips),
            muted=t.muted,
            hidden=t.hidden,
            volume=_opt(t, "volume", 1.0),
        )
        for t in p.tracks
    )
    project = model.Project(name=p.name, settings=settings, tracks=tracks, output=output, base_dir=p.base_dir)
    return replace(project, markers=markers_from_proto(p.markers))


def _container_from_path(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return suffix if suffix in ("mp4", "mov", "mkv", "webm", "gif", "apng", "webp", "png") else "mp4"


def _clip(c: project_pb2.Clip) -> model.Clip:
    kind = c.source.WhichOneof("kind")
    if kind == "text":
        t = c.source.text
        source = model.Source(
            text=model.TextSource(
                text=t.text,
                font_size=t.font_size or 48.0,
                color=t.color or "#ffffff",
                font=t.font,
                background_color=t.background_color,
                align=t.align or "center",
                stroke_color=t.stroke_color,
                stroke_width=t.stroke_width,
                **motion_convert.rich_text(t),
            )
        )
    elif kind == "color":
        source = model.Source(color=c.source.color.color or "#000000")
    elif kind == "captions":
        source = model.Source(captions=motion_convert.captions(c.source.captions))
    elif kind == "project":
        source = model.Source(nested=kind, project=project_from_proto(c.source.project))
    elif kind == "project_path":
        source = model.Source(nested=kind, project_path=c.source.project_path)
    else:
        source = model.Source(path=c.source.path, fps=c.source.fps)
    tr = c.transform
    transform = model.Transform(
        x=_opt(tr, "x", None),
        y=_opt(tr, "y", None),
        scale=_opt(tr, "scale", None),
        rotation=tr.rotation,
        flip_horizontal=tr.flip_horizontal,
        flip_vertical=tr.flip_vertical,
    )
    transition = None
    if c.HasField("transition"):
        transition = model.TransitionSpec(
            c.transition.type, c.transition.duration, _struct(c.transition.params)
        )
    return model.Clip(
        id=c.id,
        source=source,
        start=c.start,
        source_in=c.source_in,
        source_out=c.source_out,
        duration=c.duration,
        speed=_opt(c, "speed", 1.0),
        volume=_opt(c, "volume", 1.0),
        muted=c.muted,
        opacity=_opt(c, "opacity", 1.0),
        fade_in=c.fade_in,
        fade_out=c.fade_out,
        transform=transform,
        crop=model.Crop(c.crop.left, c.crop.top, c.crop.right, c.crop.bottom),
        effects=tuple(model.EffectSpec(e.type, _struct(e.params)) for e in c.effects),
        audio_effects=tuple(model.EffectSpec(e.type, _struct(e.params)) for e in c.audio_effects),
        transition=transition,
        animations=motion_convert.animations(c.animations),
        **clip_extras(c),
    )


_PARAM_TYPES = {
    ParamType.NUMBER: compiler_pb2.PARAM_TYPE_NUMBER,
    ParamType.INTEGER: compiler_pb2.PARAM_TYPE_INTEGER,
    ParamType.BOOL: compiler_pb2.PARAM_TYPE_BOOL,
    ParamType.COLOR: compiler_pb2.PARAM_TYPE_COLOR,
    ParamType.STRING: compiler_pb2.PARAM_TYPE_STRING,
    ParamType.CHOICE: compiler_pb2.PARAM_TYPE_CHOICE,
}


def param_to_proto(p: Param) -> compiler_pb2.ParamSchema:
    default = struct_pb2.Value()
    json_format.ParseDict(p.default, default)
    return compiler_pb2.ParamSchema(
        name=p.name,
        type=_PARAM_TYPES[p.type],
        min=p.min,
        max=p.max,
        default_value=default,
        description=p.description,
        choices=list(p.choices),
    )


def effect_to_proto(e: EffectDef) -> compiler_pb2.EffectInfo:
    kind = compiler_pb2.EFFECT_KIND_VIDEO if e.kind is EffectKind.VIDEO else compiler_pb2.EFFECT_KIND_AUDIO
    return compiler_pb2.EffectInfo(
        type=e.type,
        display_name=e.display_name,
        kind=kind,
        category=e.category,
        params=[param_to_proto(p) for p in e.params],
        origin=e.origin,
    )


def transition_to_proto(t: TransitionDef) -> compiler_pb2.TransitionInfo:
    return compiler_pb2.TransitionInfo(
        type=t.type,
        display_name=t.display_name,
        params=[param_to_proto(p) for p in t.params],
        origin=t.origin,
        aliases=list(t.aliases),
    )


_STAGES = {
    Stage.QUEUED: common_pb2.STAGE_QUEUED,
    Stage.PREPARING: common_pb2.STAGE_PREPARING,
    Stage.RUNNING: common_pb2.STAGE_RUNNING,
    Stage.FINALIZING: common_pb2.STAGE_FINALIZING,
    Stage.COMPLETED: common_pb2.STAGE_COMPLETED,
    Stage.FAILED: common_pb2.STAGE_FAILED,
    Stage.CANCELLED: common_pb2.STAGE_CANCELLED,
}
_STATUSES = {
    JobStatus.QUEUED: compiler_pb2.JOB_STATUS_QUEUED,
    JobStatus.RUNNING: compiler_pb2.JOB_STATUS_RUNNING,
    JobStatus.SUCCEEDED: compiler_pb2.JOB_STATUS_SUCCEEDED,
    JobStatus.FAILED: compiler_pb2.JOB_STATUS_FAILED,
    JobStatus.CANCELLED: compiler_pb2.JOB_STATUS_CANCELLED,
}
STATUS_FROM_PROTO = {v: k for k, v in _STATUSES.items()}


def progress_to_proto(p: Progress) -> common_pb2.Progress:
    return common_pb2.Progress(
        stage=_STAGES[p.stage],
        percent=p.percent,
        done=p.done,
        total=p.total,
        rate=p.rate,
        eta_seconds=p.eta_seconds,
        message=p.message,
    )


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def job_to_proto(job: JobView) -> compiler_pb2.RenderJob:
    out = compiler_pb2.RenderJob(
        id=job.id,
        status=_STATUSES[job.status],
        progress=progress_to_proto(job.progress),
        project_name=job.project_name,
        output_path=job.output_path,
        error=job.error,
        client_key=job.client_key,
        created_at=_timestamp(job.created_at),
        finished_at=_timestamp(job.finished_at),
    )
    if job.result is not None:
        r = job.result
        out.result.CopyFrom(
            compiler_pb2.RenderResult(
                output_path=r.output_path,
                duration_seconds=r.duration,
                frames=r.frames,
                size_bytes=r.size_bytes,
                video_encoder=r.video_encoder,
                hardware_fallback_reason=r.fallback_reason,
                segments_total=r.segments,
                segments_reused=r.segments_reused,
                wall_seconds=r.wall_seconds,
                chapters=markers_to_proto(r.chapters),
            )
        )
    return out


def profile_from_proto(value: int, default: Profile) -> Profile:
    """The render profile asked for; unspecified (or unknown) is the RPC's default."""
    return {
        compiler_pb2.RENDER_PROFILE_FINAL: Profile.FINAL,
        compiler_pb2.RENDER_PROFILE_PREVIEW: Profile.PREVIEW,
    }.get(value, default)

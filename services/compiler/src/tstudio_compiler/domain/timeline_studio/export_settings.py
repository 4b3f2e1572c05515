"""The frontend's `settings.export` (format, quality 1-100, kbps bitrates, hardware acceleration,
extra FFmpeg arguments) as our output settings."""

from __future__ import annotations

import re
from typing import Any

from tstudio_compiler.domain.timeline_studio.reader import Problems, Reader

_FORMATS = {"mp4": "mp4", "mov": "mov", "mkv": "mkv", "webm": "webm", "gif": "gif"}
_PRESETS = "ultrafast superfast veryfast faster fast medium slow slower veryslow".split()
_NO_OPS = {"-movflags": {"+faststart", "faststart"}, "-pix_fmt": {"yuv420p"}}


def _bitrate(text: str) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text)
    if not m:
        return None
    scale = {"": 1, "k": 1000, "m": 1_000_000}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def export_output(export: Reader, output_path: str, problems: Problems) -> dict[str, Any]:
    """Our `output` object (proto3 JSON) for `settings.export`."""
    out: dict[str, Any] = {}
    if output_path:
        out["path"] = output_path
    fmt = export.string("format", "Mp4")
    container = _FORMATS.get(fmt.lower())
    if container is None:
        problems.refuse(export.at("format"), f"{fmt!r} is not written; use Mp4, Mov, Mkv, WebM or Gif")
    else:
        out["container"] = container
    if export.has("quality"):
        quality = export.number("quality")
        if not 1 <= quality <= 100:
            problems.refuse(export.at("quality"), "must be within 1..100")
        else:
            out["quality"] = round(quality)
    for ours, theirs in (("videoBitrate", "video_bitrate"), ("audioBitrate", "audio_bitrate")):
        kbps = export.number(theirs, 0)
        if kbps < 0:
            problems.refuse(export.at(theirs), "must not be negative")
        elif kbps and container != "gif":
            out[ours] = str(round(kbps * 1000))
    hardware = export.boolean("hardware_acceleration", False)
    out["hardwareAcceleration"] = "HARDWARE_ACCELERATION_AUTO" if hardware else "HARDWARE_ACCELERATION_NONE"
    preferred = export.string("preferred_gpu_encoder")
    if preferred:
        problems.note(
            export.at("preferred_gpu_encoder"),
            f"{preferred}: the compiler uses the hardware encoder that opens on this machine (auto)",
        )
    _ffmpeg_args(export, out, problems)
    return out


def _ffmpeg_args(export: Reader, out: dict[str, Any], problems: Problems) -> None:
    """Custom FFmpeg arguments are accepted only where they name one of our output options."""
    args = export.strings("ffmpeg_args")
    i = 0
    while i < len(args):
        path, flag = args[i]
        value_path, value = args[i + 1] if i + 1 < len(args) else (path, "")
        i += 2
        if flag == "-crf" and value.isdigit() and 0 <= int(value) <= 63:
            out["crf"] = int(value)
        elif flag == "-preset" and value in _PRESETS:
            out["preset"] = value
        elif flag in ("-b:v", "-b:a") and _bitrate(value) is not None:
            out["videoBitrate" if flag == "-b:v" else "audioBitrate"] = str(_bitrate(value))
        elif flag == "-r" and re.fullmatch(r"\d+(\.\d+)?", value) and 1 <= float(value) <= 120:
            out["fps"] = float(value)
        elif value in _NO_OPS.get(flag, ()):
            problems.note(value_path, f"{flag} {value} is what the compiler writes anyway")
        elif flag.startswith("-") and value:
            problems.refuse(path, f"{flag} {value!r} does not map to an output option")
        else:
            problems.refuse(path, "expected a flag and its value (e.g. -crf 20)")
            i -= 1

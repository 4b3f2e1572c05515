"""The compiler's encoder diagnostics said for a person: per codec, the encoder a render with
hardware acceleration AUTO uses, and why each hardware encoder was passed over, in one line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SOFTWARE_CODEC = {
    "libx264": "h264",
    "libx265": "hevc",
    "libvpx-vp9": "vp9",
    "libsvtav1": "av1",
    "prores_ks": "prores",
    "gif": "gif",
}
_ERRNO = re.compile(r"^\[Errno -?\d+\]")


def short_reason(reason: str) -> str:
    """ "[Errno 1] Operation not permitted: 'avcodec_open2(...)'" -> "no usable device"."""
    if not reason or reason == "available":
        return ""
    if _ERRNO.match(reason) or "avcodec_open2" in reason:
        return "no usable device"
    return reason.split(":", 1)[0].strip()


def encoder_lines(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per codec: `h264: libx264 (no hardware encoder: h264_nvenc, h264_qsv: no usable
    device; h264_vaapi: not in this FFmpeg build)`."""
    codecs: dict[str, dict[str, Any]] = {}
    for item in items:
        name = str(item.get("name", ""))
        if not name.startswith("encoder."):
            continue
        encoder = name.removeprefix("encoder.")
        available = item.get("value") == "available"
        hardware = encoder not in SOFTWARE_CODEC
        codec = SOFTWARE_CODEC.get(encoder) or encoder.split("_", 1)[0]
        entry = codecs.setdefault(codec, {"hardware": [], "software": [], "skipped": {}})
        if available:
            entry["hardware" if hardware else "software"].append(encoder)
        elif hardware:
            entry["skipped"].setdefault(short_reason(str(item.get("value", ""))), []).append(encoder)
    lines = []
    for codec, entry in codecs.items():
        chosen = (entry["hardware"] or entry["software"] or ["none available"])[0]
        line = f"{codec}: {chosen}"
        if not entry["hardware"] and entry["skipped"]:
            why = "; ".join(f"{', '.join(names)}: {reason}" for reason, names in entry["skipped"].items())
            line += f" (no hardware encoder: {why})"
        lines.append(line)
    return lines

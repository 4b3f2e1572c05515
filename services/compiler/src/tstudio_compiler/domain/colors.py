"""Colour strings of the timeline format ("#rrggbb", "#rrggbbaa", a few names)."""

from __future__ import annotations

import re

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")
_NAMES = {
    "black": "000000",
    "white": "ffffff",
    "red": "ff0000",
    "green": "00ff00",
    "blue": "0000ff",
    "yellow": "ffff00",
    "cyan": "00ffff",
    "magenta": "ff00ff",
    "gray": "808080",
    "grey": "808080",
    "transparent": "00000000",
}


def parse_color(text: str) -> tuple[int, int, int, int] | None:
    """RGBA 0..255, or None when the text is not a colour."""
    value = _NAMES.get(text.strip().lower(), text.strip())
    match = _HEX.match(value if value.startswith("#") else "#" + value)
    if not match:
        return None
    rgb = match.group(1)
    alpha = int(match.group(2), 16) if match.group(2) else 255
    return int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16), alpha


def ffmpeg_color(text: str, default: str = "black") -> str:
    """The colour in FFmpeg's `0xRRGGBB[AA]` syntax."""
    rgba = parse_color(text) if text else None
    if rgba is None:
        return default
    r, g, b, a = rgba
    suffix = f"{a:02x}" if a != 255 else ""
    return f"0x{r:02x}{g:02x}{b:02x}{suffix}"

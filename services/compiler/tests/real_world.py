"""Real-world-style sources written by Debian's ffmpeg CLI (not by our own generators), each with a
known upright picture, and the ffmpeg CLI's own rendering of the same edit for comparison."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

FFMPEG = shutil.which("ffmpeg") or ""
needs_ffmpeg = pytest.mark.skipif(not FFMPEG, reason="the ffmpeg CLI is not installed")

RED, GREEN, BLUE, WHITE = (230, 20, 20), (20, 230, 20), (20, 20, 230), (235, 235, 235)
GREYS = (40, 200, 128)


def pattern(width: int, height: int) -> np.ndarray:
    """An upright picture: corner markers (top-left red, top-right green, bottom-left blue,
    bottom-right white) on grey 128, grey patches 40 and 200 in the middle, and a black square
    whose side is a quarter of the shorter edge."""
    image = np.full((height, width, 3), 128, np.uint8)
    c = max(8, min(width, height) // 6)
    image[:c, :c] = RED
    image[:c, -c:] = GREEN
    image[-c:, :c] = BLUE
    image[-c:, -c:] = WHITE
    s = min(width, height) // 4
    cx, cy = width // 2, height // 2
    image[cy - s // 2 : cy + s // 2, cx - s // 2 : cx + s // 2] = 0
    p = max(6, s // 3)
    # Grey patches left and right of the square, on the middle line.
    image[cy - p // 2 : cy + p // 2, cx - s // 2 - 2 * p : cx - s // 2 - p] = GREYS[0]
    image[cy - p // 2 : cy + p // 2, cx + s // 2 + p : cx + s // 2 + 2 * p] = GREYS[1]
    return image


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-v", "error", "-y", *args], check=True, timeout=120)


def phone_portrait(root: Path, width: int = 320, height: int = 180, seconds: float = 1.0) -> Path:
    """A phone's portrait clip: stored landscape, full range (yuvj420p, BT.709), with a display
    matrix (ffmpeg 5.1's `rotate=90` tag on a stream copy: players, and the CLI's autorotate, turn
    it 90 degrees counter-clockwise) that shows the pattern upright, `height x width`."""
    path = root / f"phone_portrait_{width}x{height}.mp4"
    if path.exists():
        return path
    upright = pattern(height, width)
    stored = np.rot90(upright, k=-1)  # clockwise: the display turn undoes it
    png = root / "phone_portrait.png"
    Image.fromarray(np.ascontiguousarray(stored)).save(png)
    ffmpeg(
        "-loop", "1", "-framerate", "30", "-t", str(seconds), "-i", str(png),
        "-vf", "scale=out_range=pc:out_color_matrix=bt709,format=yuvj420p",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "12",
        "-color_range", "pc", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        str(root / "phone_unrotated.mp4"),
    )  # fmt: skip
    # ffmpeg 5.1 writes the display matrix from the rotate tag on a stream copy.
    ffmpeg("-i", str(root / "phone_unrotated.mp4"), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path))
    return path


def anamorphic(root: Path) -> Path:
    """240x180 stored with SAR 4:3: shown 320x180."""
    path = root / "anamorphic.mp4"
    if path.exists():
        return path
    png = root / "anamorphic.png"
    Image.fromarray(pattern(320, 180)).resize((240, 180), Image.Resampling.BILINEAR).save(png)
    ffmpeg(
        "-loop", "1", "-framerate", "30", "-t", "1", "-i", str(png),
        "-vf", "scale=out_color_matrix=bt601:out_range=tv,format=yuv420p,setsar=4/3",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-colorspace", "smpte170m", str(path),
    )  # fmt: skip
    return path


def vp9_alpha(root: Path) -> Path:
    """320x180 VP9 with alpha: the left half opaque pattern, the right half fully transparent
    (its hidden pixels are magenta)."""
    path = root / "alpha.webm"
    if path.exists():
        return path
    rgba = np.zeros((180, 320, 4), np.uint8)
    rgba[..., :3] = pattern(320, 180)
    rgba[:, 160:, :3] = (255, 0, 255)
    rgba[:, :160, 3] = 255
    png = root / "alpha.png"
    Image.fromarray(rgba, "RGBA").save(png)
    ffmpeg(
        "-loop", "1", "-framerate", "30", "-t", "1", "-i", str(png),
        "-vf", "format=yuva420p", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "0",
        "-crf", "20", "-auto-alt-ref", "0", str(path),
    )  # fmt: skip
    return path


def png_alpha(root: Path) -> Path:
    """A 320x180 PNG, left half opaque pattern, right half transparent magenta."""
    path = root / "alpha_still.png"
    if not path.exists():
        rgba = np.zeros((180, 320, 4), np.uint8)
        rgba[..., :3] = pattern(320, 180)
        rgba[:, 160:, :3] = (255, 0, 255)
        rgba[:, :160, 3] = 255
        Image.fromarray(rgba, "RGBA").save(path)
    return path


def mp3_with_cover(root: Path) -> Path:
    """1 s of a 440 Hz tone as MP3 with an ID3 cover picture (attached picture)."""
    path = root / "cover.mp3"
    if path.exists():
        return path
    cover = root / "cover.jpg"
    Image.fromarray(pattern(64, 64)).save(cover)
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=44100", "-i", str(cover),
        "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "copy", "-id3v2_version", "3",
        "-disposition:v:0", "attached_pic", str(path),
    )  # fmt: skip
    return path


def interlaced(root: Path) -> Path:
    """320x240 interlaced H.264 (top field first, as a camera writes 50i), a moving test picture."""
    path = root / "interlaced.mp4"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=50:d=1", "-vf", "tinterlace=interleave_top,fieldorder=tff",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-flags", "+ildct+ilme", "-x264opts", "tff=1",
            "-r", "25", str(path),
        )  # fmt: skip
    return path


def loud_surround(root: Path) -> Path:
    """1 s of a 440 Hz tone at 0.99 of full scale on all six channels of a 5.1 WAV (in phase)."""
    path = root / "loud_5.1.wav"
    if not path.exists():
        ffmpeg(
            "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:duration=1",
            "-af", "volume=7.9,pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0", "-c:a", "pcm_s16le", str(path),
        )  # fmt: skip
    return path


def cli_reference(
    source: Path, out: Path, vf: str, width: int = 1280, height: int = 720, x: int | None = None
) -> Path:
    """The same edit made by the ffmpeg CLI (autorotating, as it does by default): `vf` then a pad
    onto a black `width x height` (centred, or at `x`), encoded and tagged BT.709 limited range."""
    left = "(ow-iw)/2" if x is None else str(x)
    ffmpeg(
        "-i", str(source), "-vf",
        f"{vf},pad={width}:{height}:{left}:(oh-ih)/2:black,format=yuv420p,setsar=1",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-an",
        "-color_range", "tv", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        str(out),
    )  # fmt: skip
    return out


def frames_rgb(path: Path, limit: int = 30) -> list[np.ndarray]:
    """Decoded RGB pictures (converted with each stream's own tags)."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(frame.to_ndarray(format="rgb24"))
            if len(out) >= limit:
                break
    return out


def colour_at(image: np.ndarray, x: int, y: int, r: int = 3) -> np.ndarray:
    return image[y - r : y + r, x - r : x + r].reshape(-1, 3).mean(axis=0)


def close(a: np.ndarray, b: tuple[int, int, int] | np.ndarray, tolerance: float) -> bool:
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= tolerance))


def colour_tags_of(path: Path) -> list[str]:
    """The stream's range, matrix, primaries and transfer tags as ffprobe names them, sorted."""
    out = subprocess.run(
        [FFMPEG.replace("ffmpeg", "ffprobe"), "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=color_range,color_space,color_primaries,color_transfer", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sorted(out.stdout.strip().split(","))

"""Real-world-style test media written by Debian's `ffmpeg` CLI, cached between runs.

Each file carries one known picture (see `KnownPicture`): four coloured corner markers (red, green,
blue, yellow clockwise from the top left, on the UPRIGHT picture), grey patches 40/128/200, a white bar
whose x position encodes content time, and a flash (top centre) with a beep at t = 1 s. Files that
store the picture sideways (display matrix, EXIF) store it turned so that applying their rotation
shows it upright; alpha files have a transparent (alpha 0) and a half-transparent (alpha 128) patch
over magenta pixels, so a dropped alpha shows magenta.

The test media is deliberately NOT written by our own PyAV generators: our assumptions must not
write both the input and the check. Files are cached under `$TSTUDIO_CORPUS_DIR` or
`~/.cache/tstudio-corpus/<ffmpeg version>/`, named by kind and a hash of the recipe, and written by
atomic rename so that parallel test runs can share the folder. `real_world_corpus(kind)` skips the
calling test (pytest) when /usr/bin/ffmpeg is missing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FFMPEG_ENV = "TSTUDIO_FFMPEG"
CORPUS_DIR_ENV = "TSTUDIO_CORPUS_DIR"
_RECIPE_VERSION = 1


@dataclass(frozen=True)
class KnownPicture:
    """Where the known picture's parts are, in fractions of the upright display width/height."""

    corner: float = 1 / 8
    corner_colours: tuple[tuple[int, int, int], ...] = (
        (255, 0, 0),  # top left
        (0, 255, 0),  # top right
        (255, 255, 0),  # bottom right
        (0, 0, 255),  # bottom left
    )
    greys: tuple[int, int, int] = (40, 128, 200)
    grey_centres: tuple[tuple[float, float], ...] = ((0.275, 0.4), (0.5, 0.4), (0.725, 0.4))
    bar_row: float = 0.70  # the moving bar crosses this row
    bar_x0: float = 0.10  # left edge of the bar at t = 0
    bar_speed: float = 0.35  # widths per second
    bar_width: float = 1 / 40
    flash_time: float = 1.0
    flash_centre: tuple[float, float] = (0.5, 1 / 16)
    # Alpha files only: alpha 0 patch and alpha 128 patch (both over magenta pixels).
    transparent_centre: tuple[float, float] = (0.4, 0.865)
    half_transparent_centre: tuple[float, float] = (0.6, 0.865)


KNOWN = KnownPicture()


@dataclass(frozen=True)
class CorpusFile:
    kind: str
    suffix: str
    commands: tuple[tuple[str, ...], ...]  # ffmpeg argument lists; {out} and {tmp} are substituted
    post: str = ""  # a post-step: "exif:N", "matrix:DEG", "truncate:FRACTION", "id3-only"
    description: str = ""


def _pattern(
    width: int,
    height: int,
    seconds: float,
    fps: int,
    alpha: bool = False,
    label: str = "v",
) -> str:
    """A filtergraph drawing the known picture (upright) into [label], in yuv444p/yuva444p (limited)."""
    fmt = "yuva444p" if alpha else "yuv444p"
    k = KNOWN
    boxes = [
        "drawbox=x=0:y=0:w=iw/8:h=ih/8:color=red:t=fill",
        "drawbox=x=iw*7/8:y=0:w=iw/8:h=ih/8:color=lime:t=fill",
        "drawbox=x=iw*7/8:y=ih*7/8:w=iw/8:h=ih/8:color=yellow:t=fill",
        "drawbox=x=0:y=ih*7/8:w=iw/8:h=ih/8:color=blue:t=fill",
        "drawbox=x=iw*0.2:y=ih*0.3:w=iw*0.15:h=ih*0.2:color=0x282828:t=fill",
        "drawbox=x=iw*0.425:y=ih*0.3:w=iw*0.15:h=ih*0.2:color=0x808080:t=fill",
        "drawbox=x=iw*0.65:y=ih*0.3:w=iw*0.15:h=ih*0.2:color=0xC8C8C8:t=fill",
        f"drawbox=x=iw*7/16:y=0:w=iw/8:h=ih/8:color=white:t=fill:"
        f"enable='between(t,{k.flash_time},{k.flash_time}+0.99/{fps})'",
    ]
    if alpha:
        boxes += [
            "drawbox=x=iw*0.3:y=ih*0.78:w=iw*0.2:h=ih*0.17:color=magenta@0.0:t=fill:replace=1",
            "drawbox=x=iw*0.5:y=ih*0.78:w=iw*0.2:h=ih*0.17:color=magenta@0.5:t=fill:replace=1",
        ]
    bar_w = max(2, round(width * k.bar_width))
    bar_h = max(2, round(height * 0.1))
    return (
        f"color=c=black:s={width}x{height}:r={fps}:d={seconds},format={fmt},{','.join(boxes)}[bg{label}];"
        f"color=c=white:s={bar_w}x{bar_h}:r={fps}:d={seconds},format={fmt}[bar{label}];"
        f"[bg{label}][bar{label}]overlay=x='W*{k.bar_x0}+t*W*{k.bar_speed}':y=H*0.65:eval=frame"
        f":format=yuv444[{label}]"
    )


def _beep(seconds: float, channels: str = "stereo", amplitude: float = 0.5, label: str = "a") -> str:
    count = {"mono": 1, "stereo": 2, "5.1": 6}[channels]
    one = f"if(between(t,{KNOWN.flash_time},{KNOWN.flash_time}+0.1),{amplitude}*sin(2*PI*1000*t),0)"
    return f"aevalsrc='{'|'.join([one] * count)}':s=48000:d={seconds}:c={channels}[{label}]"


# Clockwise display rotation -> the transform that stores the upright picture so that turning it
# by that rotation shows it upright.
_STORE_TURNED = {90: "transpose=2", 180: "hflip,vflip", 270: "transpose=1"}
_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "16")
_AAC = ("-c:a", "aac", "-b:a", "96k")
_FF = ("-v", "error", "-y")


def _av(graph: str, *encode: str, video: str = "[v]", audio: str | None = "[a]") -> tuple[str, ...]:
    maps = ("-map", video) + (("-map", audio) if audio else ())
    return (*_FF, "-filter_complex", graph, *maps, *encode, "{out}")


def _recipes() -> dict[str, CorpusFile]:
    r: dict[str, CorpusFile] = {}

    def add(
        kind: str, suffix: str, *commands: tuple[str, ...], post: str = "", description: str = ""
    ) -> None:
        r[kind] = CorpusFile(kind, suffix, tuple(commands), post, description)

    add(
        "sdr_h264",
        ".mp4",
        _av(f"{_pattern(320, 240, 2, 25)};{_beep(2)}", *_X264, "-pix_fmt", "yuv420p", *_AAC),
        description="plain limited-range H.264 + AAC, 320x240 25 fps 2 s (B-frames: an edit list)",
    )
    for degrees in (90, 180, 270):
        size = (240, 320) if degrees != 180 else (320, 240)
        graph = f"{_pattern(*size, 2, 30)};[v]{_STORE_TURNED[degrees]},format=yuv420p[vt];{_beep(2)}"
        add(
            f"phone_rotate_{degrees}",
            ".mp4",
            _av(graph, *_X264, *_AAC, video="[vt]"),
            post=f"matrix:{degrees}",
            description=f"phone H.264 stored turned, tkhd display matrix {degrees} deg clockwise",
        )
    # EXIF orientation -> the transform that stores the upright picture (mirrors are their own inverse).
    stored = {3: "hflip,vflip", 6: "transpose=2", 8: "transpose=1", 2: "hflip", 5: "transpose=0"}
    for orientation, degrees in ((3, 180), (6, 90), (8, 270), (2, 0), (5, 90)):
        size = (240, 320) if degrees in (90, 270) else (320, 240)
        graph = f"{_pattern(*size, 0.04, 25)};[v]{stored[orientation]},scale=out_range=pc,format=yuvj420p[vt]"
        add(
            f"jpeg_exif_{orientation}",
            ".jpg",
            (
                *_FF,
                "-filter_complex",
                graph,
                "-map",
                "[vt]",
                "-frames:v",
                "1",
                "-c:v",
                "mjpeg",
                "-q:v",
                "2",
                "{out}",
            ),
            post=f"exif:{orientation}",
            description=f"JPEG still with EXIF orientation {orientation} ({degrees} deg clockwise"
            f"{', then mirrored' if orientation in (2, 5) else ''})",
        )
    add(
        "anamorphic_sar43",
        ".mp4",
        _av(
            f"{_pattern(320, 240, 2, 25)};[v]scale=240:240,setsar=4/3,format=yuv420p[vs];{_beep(2)}",
            *_X264,
            *_AAC,
            video="[vs]",
        ),
        description="240x240 coded, SAR 4:3 (display 320x240)",
    )
    add(
        "fullrange_h264",
        ".mp4",
        _av(
            f"{_pattern(320, 240, 2, 30)};[v]scale=in_range=tv:out_range=pc,format=yuvj420p[vf];{_beep(2)}",
            *_X264,
            "-color_range",
            "pc",
            *_AAC,
            video="[vf]",
        ),
        description="phone-style full-range yuvj420p H.264",
    )
    add(
        "mjpeg",
        ".avi",
        _av(
            f"{_pattern(320, 240, 2, 25)};[v]scale=in_range=tv:out_range=pc,format=yuvj422p[vf];{_beep(2)}",
            "-c:v",
            "mjpeg",
            "-q:v",
            "2",
            "-c:a",
            "pcm_s16le",
            video="[vf]",
        ),
        description="camera-style MJPEG (full range yuvj422p) + PCM in AVI",
    )
    add(
        "vp9_alpha",
        ".webm",
        _av(
            f"{_pattern(320, 240, 1, 25, alpha=True)};[v]format=yuva420p[va]",
            "-c:v",
            "libvpx-vp9",
            "-pix_fmt",
            "yuva420p",
            "-auto-alt-ref",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-crf",
            "20",
            "-b:v",
            "0",
            video="[va]",
            audio=None,
        ),
        description="VP9 with alpha (yuva420p, BlockAdditional; alpha_mode tag), 1 s",
    )
    add(
        "vp9_alpha_zero_frames",
        ".webm",
        _av(
            f"{_pattern(320, 240, 1, 25, alpha=True)};[v]format=yuva420p[va]",
            "-c:v",
            "libvpx-vp9",
            "-pix_fmt",
            "yuva420p",
            "-auto-alt-ref",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-crf",
            "20",
            "-b:v",
            "0",
            video="[va]",
            audio=None,
        ),
        post="webm-header-only",
        description="bad: an alpha WebM cut before its first cluster (a header and no frames)",
    )
    add(
        "png_alpha",
        ".png",
        _av(
            f"{_pattern(320, 240, 0.04, 25, alpha=True)};[v]format=rgba[vr]",
            "-frames:v",
            "1",
            video="[vr]",
            audio=None,
        ),
        description="RGBA PNG still with transparent patches",
    )
    add(
        "webp_alpha",
        ".webp",
        _av(
            f"{_pattern(320, 240, 0.04, 25, alpha=True)};[v]format=bgra[vr]",
            "-frames:v",
            "1",
            "-c:v",
            "libwebp",
            "-lossless",
            "1",
            video="[vr]",
            audio=None,
        ),
        description="lossless WebP still with alpha",
    )
    add(
        "prores4444_alpha",
        ".mov",
        _av(
            f"{_pattern(320, 240, 1, 25, alpha=True)};[v]format=yuva444p10le[va];{_beep(1)}",
            "-c:v",
            "prores_ks",
            "-profile:v",
            "4444",
            "-pix_fmt",
            "yuva444p10le",
            "-c:a",
            "pcm_s16le",
            video="[va]",
        ),
        description="ProRes 4444 with alpha (yuva444p10le) in MOV, 1 s",
    )
    cover = "{tmp}/cover.jpg"
    add(
        "mp3_cover",
        ".mp3",
        (
            *_FF,
            "-filter_complex",
            f"{_pattern(240, 240, 0.04, 25)};[v]scale=out_range=pc,format=yuvj420p[vc]",
            "-map",
            "[vc]",
            "-frames:v",
            "1",
            "-c:v",
            "mjpeg",
            "-q:v",
            "2",
            cover,
        ),
        (
            *_FF,
            "-filter_complex",
            _beep(2),
            "-i",
            cover,
            "-map",
            "[a]",
            "-map",
            "0:v",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "96k",
            "-c:v",
            "copy",
            "-id3v2_version",
            "3",
            "-disposition:v",
            "attached_pic",
            "-metadata:s:v",
            "title=Album cover",
            "-metadata:s:v",
            "comment=Cover (front)",
            "{out}",
        ),
        description="MP3 with an ID3 APIC cover (240x240 JPEG of the known picture), 2 s",
    )
    r["mp3_cover_only"] = CorpusFile(
        "mp3_cover_only",
        ".mp3",
        r["mp3_cover"].commands,
        post="id3-only",
        description="bad: an MP3 file that is only its ID3 tag with the cover (no audio frames)",
    )
    add(
        "mpegts",
        ".ts",
        _av(f"{_pattern(320, 240, 2, 25)};{_beep(2)}", *_X264, "-pix_fmt", "yuv420p", *_AAC, "-f", "mpegts"),
        description="H.264 + AAC in MPEG-TS (start time ~1.4 s)",
    )
    vfr = f"{_pattern(320, 240, 2, 30)};[v]select='lt(t\\,1)+not(mod(n\\,2))',format=yuv420p[vv];{_beep(2)}"
    add(
        "vfr_mp4",
        ".mp4",
        _av(vfr, *_X264, *_AAC, "-fps_mode", "vfr", "-video_track_timescale", "90000", video="[vv]"),
        description="VFR H.264: 30 fps for 1 s then 15 fps, 90 kHz track timescale",
    )
    add(
        "vfr_mkv",
        ".mkv",
        _av(vfr, *_X264, *_AAC, "-fps_mode", "vfr", video="[vv]"),
        description="the same VFR stream in Matroska",
    )
    add(
        "late_audio",
        ".mp4",
        _av(
            f"{_pattern(320, 240, 2, 25)};{_beep(1.5, label='a0')};[a0]asetpts=PTS+0.5/TB[a]",
            *_X264,
            "-pix_fmt",
            "yuv420p",
            *_AAC,
        ),
        description="audio starting 0.5 s after the video (beep still at content time 1 s)",
    )
    add(
        "interlaced_tff",
        ".mp4",
        _av(
            # 50 pictures/s woven into 25 frames/s, top field first: the moving bar combs.
            f"{_pattern(320, 240, 2, 50)};[v]tinterlace=mode=interleave_top,setfield=tff,"
            f"format=yuv420p[vi];{_beep(2)}",
            *_X264,
            "-flags",
            "+ildct+ilme",
            "-top",
            "1",
            "-field_order",
            "tt",
            *_AAC,
            video="[vi]",
        ),
        description="interlaced (top field first) H.264 woven from 50 pictures/s: the bar combs",
    )
    for name, transfer in (("hdr10_pq", "smpte2084"), ("hlg", "arib-std-b67")):
        x265 = f"log-level=error:colorprim=bt2020:transfer={transfer}:colormatrix=bt2020nc" + (
            ":hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)"
            "L(10000000,1):max-cll=1000,400"
            if transfer == "smpte2084"
            else ""
        )
        add(
            f"{name}_hevc",
            ".mp4",
            _av(
                f"{_pattern(320, 240, 1, 25)};[v]scale=out_color_matrix=bt2020,format=yuv420p10le[vh];{_beep(1)}",
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                x265,
                "-tag:v",
                "hvc1",
                "-color_primaries",
                "bt2020",
                "-color_trc",
                transfer,
                "-colorspace",
                "bt2020nc",
                *_AAC,
                video="[vh]",
            ),
            description=f"10-bit HEVC tagged BT.2020 / {transfer}, 1 s",
        )
    r["hdr10_pq_truncated"] = CorpusFile(
        "hdr10_pq_truncated",
        ".mp4",
        r["hdr10_pq_hevc"].commands,
        post="truncate:0.4",
        description="bad: the HDR10 file cut at 40 % of its bytes",
    )
    loud = "|".join(["0.9*sin(2*PI*440*t)"] * 6)
    add(
        "loud_51",
        ".wav",
        (
            *_FF,
            "-filter_complex",
            f"aevalsrc='{loud}':s=48000:d=1:c=5.1[a]",
            "-map",
            "[a]",
            "-c:a",
            "pcm_s16le",
            "{out}",
        ),
        description="5.1 PCM, every channel a 440 Hz sine at 0.9 in phase (a naive downmix clips)",
    )
    cut_source = "{tmp}/source.mp4"
    add(
        "edit_list_cut",
        ".mp4",
        (
            *_av(f"{_pattern(320, 240, 2, 25)};{_beep(2)}", *_X264, "-pix_fmt", "yuv420p", "-g", "50", *_AAC)[
                :-1
            ],
            cut_source,
        ),
        (*_FF, "-ss", "0.5", "-i", cut_source, "-c", "copy", "{out}"),
        description="stream copy cut at 0.5 s (not a keyframe): an edit list starts mid-GOP; "
        "the first shown frame is content time 0.5",
    )
    return r


RECIPES: dict[str, CorpusFile] = _recipes()


class CorpusUnavailable(RuntimeError):
    """The ffmpeg CLI is missing or could not write a corpus file."""


def ffmpeg_cli() -> str | None:
    """Debian's ffmpeg CLI (or $TSTUDIO_FFMPEG), None when absent."""
    configured = os.environ.get(FFMPEG_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    if Path("/usr/bin/ffmpeg").exists():
        return "/usr/bin/ffmpeg"
    return shutil.which("ffmpeg")


def _ffmpeg_version(ffmpeg: str) -> str:
    first = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, check=False).stdout
    words = first.split()
    return words[2] if len(words) > 2 else "unknown"


def corpus_dir(ffmpeg: str) -> Path:
    base = os.environ.get(CORPUS_DIR_ENV) or str(Path.home() / ".cache" / "tstudio-corpus")
    return Path(base) / _ffmpeg_version(ffmpeg).replace("/", "_")


def build_corpus_file(kind: str) -> Path:
    """The cached file of `kind` (one of RECIPES), written on first use. Raises CorpusUnavailable."""
    recipe = RECIPES.get(kind)
    if recipe is None:
        raise KeyError(f"no corpus recipe {kind!r}; known: {sorted(RECIPES)}")
    ffmpeg = ffmpeg_cli()
    if ffmpeg is None:
        raise CorpusUnavailable("the ffmpeg CLI is not installed (apt-get install ffmpeg)")
    key = json.dumps([_RECIPE_VERSION, recipe.commands, recipe.post, KNOWN.__repr__()]).encode()
    folder = corpus_dir(ffmpeg)
    target = folder / f"{kind}-{hashlib.sha256(key).hexdigest()[:12]}{recipe.suffix}"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"corpus-{kind}-", dir=folder) as tmp:
        out = Path(tmp) / f"out{recipe.suffix}"
        for command in recipe.commands:
            args = [a.replace("{out}", str(out)).replace("{tmp}", tmp) for a in command]
            done = subprocess.run([ffmpeg, *args], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise CorpusUnavailable(f"ffmpeg failed writing {kind}: {done.stderr.strip()[-800:]}")
        if not out.exists():
            raise CorpusUnavailable(f"ffmpeg wrote no {kind} file")
        _post(recipe.post, out)
        os.replace(out, target)
    return target


def real_world_corpus(kind: str) -> Path:
    """For tests: the corpus file of `kind`; skips the test when the ffmpeg CLI is missing."""
    try:
        return build_corpus_file(kind)
    except CorpusUnavailable as exc:
        import pytest

        pytest.skip(str(exc))
        raise  # unreachable; pytest.skip raises


# ---- post-steps: what ffmpeg 5.1 cannot write itself, added the way cameras and phones write it ----


def _post(step: str, path: Path) -> None:
    if not step:
        return
    name, _, value = step.partition(":")
    if name == "exif":
        _insert_exif_orientation(path, int(value))
    elif name == "matrix":
        _set_tkhd_rotation(path, int(value))
    elif name == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * float(value))])
    elif name == "webm-header-only":
        data = path.read_bytes()
        cluster = data.find(b"\x1f\x43\xb6\x75")
        if cluster < 0:
            raise CorpusUnavailable("no Matroska cluster to cut before")
        path.write_bytes(data[:cluster])
    elif name == "id3-only":
        data = path.read_bytes()
        if data[:3] != b"ID3":
            raise CorpusUnavailable("no ID3 tag to keep")
        size = _synchsafe(data[6:10]) + 10
        path.write_bytes(data[:size])
    else:
        raise ValueError(step)


def _synchsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def add_exif_orientation(path: Path, orientation: int) -> None:
    """Give a JPEG written by ffmpeg (which writes no EXIF) the orientation tag a camera writes."""
    _insert_exif_orientation(path, orientation)


def _insert_exif_orientation(path: Path, orientation: int) -> None:
    """An APP1 Exif segment with one IFD0 entry (0x0112 Orientation), right after SOI."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = path.read_bytes()
    if data[:2] != b"\xff\xd8":
        raise CorpusUnavailable("not a JPEG")
    path.write_bytes(data[:2] + segment + data[2:])


# tkhd matrices (a, b, c, d) in 16.16 as phones write them, for a clockwise display rotation.
_MATRICES = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}


def _set_tkhd_rotation(path: Path, degrees: int) -> None:
    """Write a phone's display matrix into the video track's tkhd (as `-display_rotation` would)."""
    data = bytearray(path.read_bytes())
    a, b, c, d = (v << 16 for v in _MATRICES[degrees])
    done = False
    for moov, start, end in _children(data, 0, len(data)):
        if moov != b"moov":
            continue
        for trak, t_start, t_end in _children(data, start, end):
            if trak != b"trak" or not _is_video_track(data, t_start, t_end):
                continue
            for box, b_start, _b_end in _children(data, t_start, t_end):
                if box == b"tkhd":
                    version = data[b_start]
                    at = b_start + (52 if version == 1 else 40)
                    struct.pack_into(">iiiii", data, at, a, b, 0, c, d)
                    done = True
    if not done:
        raise CorpusUnavailable("no video tkhd to patch")
    path.write_bytes(bytes(data))


def _children(data: Any, start: int, end: int) -> list[tuple[bytes, int, int]]:
    out, position = [], start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, position + 8)[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            break
        out.append((bytes(kind), position + header, position + size))
        position += size
    return out


def _is_video_track(data: Any, start: int, end: int) -> bool:
    for box, b_start, b_end in _children(data, start, end):
        if box == b"mdia":
            for inner, i_start, _i_end in _children(data, b_start, b_end):
                if inner == b"hdlr" and bytes(data[i_start + 8 : i_start + 12]) == b"vide":
                    return True
    return False


# ---- reading the known picture back (numpy arrays, H x W x 3 RGB or H x W x 4 RGBA, upright) ----


def _at(image: Any, x: float, y: float, radius: int = 2) -> tuple[int, ...]:
    """Mean colour of a small square around (x, y) given in fractions of the width/height."""
    height, width = image.shape[:2]
    cx, cy = int(x * width), int(y * height)
    patch = image[max(cy - radius, 0) : cy + radius + 1, max(cx - radius, 0) : cx + radius + 1]
    return tuple(round(float(v)) for v in patch.reshape(-1, image.shape[2]).mean(axis=0))


def corner_colours(image: Any) -> tuple[tuple[int, ...], ...]:
    """RGB of the four corner markers, clockwise from the top left (compare with KNOWN.corner_colours)."""
    c = KNOWN.corner / 2
    return tuple(_at(image, x, y)[:3] for x, y in ((c, c), (1 - c, c), (1 - c, 1 - c), (c, 1 - c)))


def is_upright(image: Any, tolerance: int = 60) -> bool:
    """Every corner marker is within `tolerance` of its colour on each channel."""
    return all(
        all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))
        for got, want in zip(corner_colours(image), KNOWN.corner_colours, strict=True)
    )


def grey_levels(image: Any) -> tuple[int, ...]:
    """The mean of R, G and B over each grey patch (compare with KNOWN.greys, 40/128/200)."""
    return tuple(round(sum(_at(image, x, y, 3)[:3]) / 3) for x, y in KNOWN.grey_centres)


def bar_time(image: Any) -> float | None:
    """Content time (seconds) encoded by the moving bar's position, None when no bar is seen."""
    height, width = image.shape[:2]
    row = image[int(KNOWN.bar_row * height), :, :3].astype(float).mean(axis=1)
    bright = [i for i, v in enumerate(row) if v > 160]
    if not bright:
        return None
    left = (bright[0] + bright[-1] + 1) / 2 / width - KNOWN.bar_width / 2
    return (left - KNOWN.bar_x0) / KNOWN.bar_speed


def flash_on(image: Any) -> bool:
    """The sync flash (white, top centre) is showing."""
    return min(_at(image, *KNOWN.flash_centre)[:3]) > 160


def alpha_patches(image: Any) -> tuple[int, int, int]:
    """Alpha of (an opaque grey patch, the transparent patch, the half-transparent patch) of an RGBA
    image: about (255, 0, 128) when alpha is kept."""
    return (
        _at(image, *KNOWN.grey_centres[1])[3],
        _at(image, *KNOWN.transparent_centre)[3],
        _at(image, *KNOWN.half_transparent_centre)[3],
    )


def combing(image: Any) -> float:
    """How far (pixels) the moving bar's centre jumps between neighbouring rows, on average:
    about 2 on a woven interlaced frame of `interlaced_tff`, under 1 once deinterlaced."""
    height, _width = image.shape[:2]
    top, bottom = int(0.66 * height), int(0.74 * height)
    centres = []
    for row in range(top, bottom):
        bright = [i for i, v in enumerate(image[row, :, :3].astype(float).mean(axis=1)) if v > 160]
        if bright:
            centres.append((bright[0] + bright[-1]) / 2)
    if len(centres) < 2:
        return 0.0
    return sum(abs(a - b) for a, b in itertools.pairwise(centres)) / (len(centres) - 1)

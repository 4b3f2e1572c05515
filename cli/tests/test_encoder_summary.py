"""`tstudio doctor` says the encoder chosen per codec and why hardware was passed over, in one line."""

from __future__ import annotations

from tstudio_cli.commands.doctor import format_table
from tstudio_cli.encoder_summary import encoder_lines

ITEMS = [
    {"name": "ffmpeg.version", "value": "8.1"},
    {
        "name": "encoder.h264_nvenc",
        "value": "[Errno 1] Operation not permitted: 'avcodec_open2(\"h264_nvenc\", {})'",
    },
    {
        "name": "encoder.h264_qsv",
        "value": "[Errno 1313558101] Unknown error occurred: 'avcodec_open2(\"h264_qsv\", {})'",
    },
    {"name": "encoder.h264_vaapi", "value": "not in this FFmpeg build"},
    {"name": "encoder.libx264", "value": "available", "ok": True},
    {"name": "encoder.hevc_nvenc", "value": "available", "ok": True},
    {"name": "encoder.libx265", "value": "available", "ok": True},
    {"name": "encoder.libvpx-vp9", "value": "available", "ok": True},
    *({"name": f"item.{i}", "value": str(i)} for i in range(10)),
]


def test_each_codec_names_its_encoder_and_the_fallback_reasons_without_errno() -> None:
    lines = encoder_lines(ITEMS)
    assert lines[0] == (
        "h264: libx264 (no hardware encoder: h264_nvenc, h264_qsv: no usable device; "
        "h264_vaapi: not in this FFmpeg build)"
    )
    assert "hevc: hevc_nvenc" in lines and "vp9: libvpx-vp9" in lines
    assert not any("Errno" in line for line in lines)


def test_the_table_shows_every_item() -> None:
    table = format_table(
        [
            {
                "service": "compiler",
                "address": "127.0.0.1:1",
                "health": "SERVING",
                "diagnostics": {"items": ITEMS},
            }
        ]
    )
    assert "item.9 = 9" in table and "encoder h264: libx264" in table

"""`tstudio probe` against the media service on a real port."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tstudio_cli.main import main as tstudio

from .conftest import Media, media_settings, start_media


async def test_tstudio_probe_prints_media_info_json(
    media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.mp4"
    async for service in start_media(media_settings(tmp_path)):
        # The sync CLI blocks; run it in a thread so this loop keeps serving the call.
        code = await asyncio.to_thread(tstudio, ["probe", str(media.video), "--server", service.address])
        assert code == 0
        info = json.loads(capsys.readouterr().out)
        assert info["kind"] == "MEDIA_KIND_VIDEO"
        assert info["streams"][0]["width"] == 160
        code = await asyncio.to_thread(tstudio, ["probe", str(missing), "--server", service.address])
        assert code == 1
        error = json.loads(capsys.readouterr().err)
        assert (error["code"], error["reason"]) == ("NOT_FOUND", "FILE_NOT_FOUND")

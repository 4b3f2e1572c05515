"""`tstudio probe` against the media service on a real port."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tstudio_cli.main import main as tstudio
from tstudio_media.settings import MediaSettings

from .conftest import Media, start_media


async def test_tstudio_probe_prints_media_info_json(
    media: Media, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.mp4"
    settings = MediaSettings(port=0, data_dir=tmp_path / "data")
    async for service in start_media(settings):
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

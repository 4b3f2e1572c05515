"""A real browser plays a stream URL: headless Chromium (Debian's `chromium`) loads a <video> from
GetStreamUrl, seeks to the middle and reports what it could play. Skipped where Chromium is absent."""

from __future__ import annotations

import asyncio
import html
import json
import shutil
from pathlib import Path

import pytest
from svckit.testing import make_video
from tstudio.media.v1 import media_pb2

from .conftest import RunningMedia

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html><html><body><video id="v" muted preload="auto" src="{src}"></video><script>
const v = document.getElementById("v");
function report(key) {{
  document.body.setAttribute("data-" + key, JSON.stringify(
    {{time: v.currentTime, duration: v.duration, readyState: v.readyState, error: v.error && v.error.code}}));
}}
v.addEventListener("loadedmetadata", () => {{ report("meta"); v.currentTime = v.duration / 2; }});
v.addEventListener("seeked", () => report("seeked"));
v.addEventListener("error", () => report("error"));
</script></body></html>"""


async def play_in_chromium(page: Path) -> dict[str, dict[str, object]]:
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={page.parent / 'chromium-profile'}",
        "--virtual-time-budget=60000",
        "--dump-dom",
        page.as_uri(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    dom = out.decode()
    body = dom[dom.index("<body") : dom.index(">", dom.index("<body"))]
    found: dict[str, dict[str, object]] = {}
    for key in ("meta", "seeked", "error"):
        marker = f'data-{key}="'
        if marker in body:
            start = body.index(marker) + len(marker)
            found[key] = json.loads(html.unescape(body[start : body.index('"', start)]))
    return found


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")
@pytest.mark.parametrize(("name", "codec"), [("clip.mp4", "libx264"), ("clip.webm", "libvpx-vp9")])
async def test_chromium_plays_and_seeks_a_stream_url(
    service: RunningMedia, tmp_path: Path, name: str, codec: str
) -> None:
    video = make_video(tmp_path / name, seconds=4.0, width=160, height=120, codec=codec, audio_hz=None)
    url = (await service.stub.GetStreamUrl(media_pb2.GetStreamUrlRequest(path=str(video)))).url
    page = tmp_path / "player.html"
    page.write_text(PAGE.format(src=html.escape(url)))
    seen = await play_in_chromium(page)
    assert "error" not in seen, seen
    assert seen["meta"]["duration"] == pytest.approx(4.0, abs=0.1)
    assert seen["seeked"]["time"] == pytest.approx(2.0, abs=0.1)
    assert seen["seeked"]["readyState"] >= 2  # HAVE_CURRENT_DATA: the frame at the middle is decoded

# ruff: noqa: F811  (service fixtures are imported from the modules that define them)
"""The browser bridge (clients/tauri-bridge) in headless Chromium against the running suite: a
page imports `@tauri-apps/api/core` and `@tauri-apps/api/event` through an import map aliasing them
to the bridge, as an aliased frontend would, and runs a scan with media-processor events, a compile
with progress polling, a preview, an API-key round trip, a rejected call and a reconnect."""

from __future__ import annotations

import asyncio
import html
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from svckit.bus import InProcessBus
from svckit.testing import make_image, make_video

from .conftest import TOKEN, MediaProcess, start_gateway
from .test_real_compiler import compiler_service  # noqa: F401 (fixture)
from .test_timeline_studio_api_keys import SERVICE_TOKEN, security_service  # noqa: F401 (fixture)
from .test_timeline_studio_render import project_schema

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "clients" / "tauri-bridge" / "src"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")

PAGE = """<!doctype html><html><head>
<script type="importmap">
{"imports": {"@tauri-apps/api/core": "/bridge/core.js", "@tauri-apps/api/event": "/bridge/event.js",
             "@tstudio/tauri-bridge": "/bridge/index.js"}}
</script>
<script data-gateway='@@GATEWAY@@'>window.__TSTUDIO_GATEWAY__ = JSON.parse(document.currentScript.dataset.gateway);</script>
</head><body><script type="module">
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { gatewayConnection } from "@tstudio/tauri-bridge";

const setup = JSON.parse(document.getElementById("setup").textContent);
const report = {};
const step = async (name, run) => {
  try { report[name] = await run(); } catch (error) { report[name] = {failed: String(error), type: typeof error}; }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await step("scan", async () => {
  const events = [];
  const unlisten = await listen("media-processor", (event) => events.push(event));
  const files = await invoke("scan_media_folder_with_thumbnails", {folderPath: setup.folder, width: 64, height: 48});
  unlisten();
  return {files: files.map((f) => f.name).sort(), kinds: events.map((e) => e.payload.type),
          envelope: events.length ? Object.keys(events[0]).sort() : [], eventName: events[0]?.event};
});

await step("compile", async () => {
  const jobId = await invoke("compile_video", {projectSchema: setup.project, outputPath: setup.output});
  const statuses = [];
  let progress;
  for (let polls = 0; polls < 240; polls++) {          // trackRenderProgress: every 500 ms
    progress = await invoke("get_render_progress", {jobId});
    statuses.push(progress.status);
    if (progress.status !== "Processing") break;
    await sleep(500);
  }
  return {jobId: typeof jobId, final: progress, polls: statuses.length};
});

await step("preview", async () => {
  const bytes = await invoke("generate_preview", {projectSchema: setup.project, timestamp: 0.5, quality: 75});
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], {type: "image/jpeg"}));
  return {isArray: Array.isArray(bytes), first: bytes.slice(0, 2), width: bitmap.width, height: bitmap.height};
});

await step("apiKeys", async () => {
  const saved = await invoke("save_simple_api_key", {params: {key_type: "openai", value: setup.key}});
  const list = await invoke("list_api_keys");
  const byType = list.reduce((acc, info) => { acc[info.key_type] = info; return acc; }, {});
  const value = await invoke("get_decrypted_api_key", {keyType: "openai"});
  const deleted = await invoke("delete_api_key", {keyType: "openai"});
  const after = await invoke("get_decrypted_api_key", {keyType: "openai"});
  return {saved: saved.success, hasValue: byType.openai?.has_value, roundTrip: value === setup.key,
          deleted: deleted.success, after};
});

await step("rejected", async () => {
  try { await invoke("get_media_metadata", {}); return "resolved"; }
  catch (error) { return {type: typeof error, message: error}; }
});

await step("reconnect", async () => {
  const connection = gatewayConnection();
  connection.drop();
  await sleep(50);
  const files = await invoke("get_media_files", {directory: setup.folder});
  return {reconnects: connection.reconnects, files: files.length};
});

await fetch("/report", {method: "POST", body: JSON.stringify(report)});
</script>
<script type="application/json" id="setup">@@SETUP@@</script>
</body></html>"""


async def serve_page(setup: dict[str, Any], reports: asyncio.Queue[dict[str, Any]]) -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        text = PAGE.replace("@@SETUP@@", json.dumps(setup).replace("</", "<\\/"))
        text = text.replace("@@GATEWAY@@", html.escape(json.dumps(setup["gateway"]), quote=True))
        return web.Response(text=text, content_type="text/html")

    async def report(request: web.Request) -> web.Response:
        await reports.put(json.loads(await request.text()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_post("/report", report)
    app.router.add_static("/bridge", BRIDGE)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_bridge_drives_the_suite_from_a_browser(
    media_service: MediaProcess, compiler_service: str, security_service: str, tmp_path: Path
) -> None:
    folder = tmp_path / "footage"
    make_video(folder / "a.mp4", seconds=0.5, width=96, height=64, fps=10)
    make_image(folder / "b.png", width=40, height=30)
    (folder / "c.mp4").write_bytes(b"broken" * 20)
    output = tmp_path / "browser-export.mp4"
    setup = {
        "folder": str(folder),
        "project": project_schema(media_service.video),
        "output": str(output),
        "key": "sk-" + "0123abcd" * 4,
    }
    reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    bus = InProcessBus()
    async for origin in serve_page(setup, reports):
        async for gateway in start_gateway(
            media_service,
            None,
            bus,
            compiler_addr=compiler_service,
            security_addr=security_service,
            security_service_token=SERVICE_TOKEN,
            cors_origins=(origin,),
        ):
            # The page finds the gateway as an aliased frontend would: a global set before it loads.
            setup["gateway"] = {"url": gateway.url.replace("http://", "ws://") + "/api/v1/ws", "token": TOKEN}
            assert CHROMIUM is not None
            log = (tmp_path / "chromium.log").open("wb")
            process = await asyncio.create_subprocess_exec(
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'chromium-profile'}",
                "--remote-debugging-port=0",
                "--enable-logging=stderr",
                f"{origin}/",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
            try:
                report = await asyncio.wait_for(reports.get(), 180)
            except TimeoutError:
                log.flush()
                consoles = [x for x in (tmp_path / "chromium.log").read_text().splitlines() if "CONSOLE" in x]
                raise AssertionError(
                    "the page did not report; its console:\n" + "\n".join(consoles)
                ) from None
            finally:
                process.kill()
                await process.wait()
                log.close()
    await bus.close()

    scan = report["scan"]
    assert scan["files"] == ["a.mp4", "b.png"], report
    assert scan["eventName"] == "media-processor" and scan["envelope"] == ["event", "id", "payload"]
    assert scan["kinds"][0] == "FilesDiscovered"
    assert {"ScanProgress", "MetadataReady", "ThumbnailReady", "ProcessingError"} <= set(scan["kinds"])
    compiled = report["compile"]
    assert compiled["jobId"] == "string" and compiled["final"]["status"] == "Completed", report
    assert compiled["final"]["percentage"] == 100 and compiled["polls"] >= 1
    assert output.exists() and output.stat().st_size > 0
    preview = report["preview"]
    assert (
        preview["isArray"]
        and preview["first"] == [255, 216]
        and (preview["width"], preview["height"]) == (160, 120)
    )
    assert report["apiKeys"] == {
        "saved": True,
        "hasValue": True,
        "roundTrip": True,
        "deleted": True,
        "after": None,
    }
    rejected = report["rejected"]
    assert rejected["type"] == "string" and "filePath is required" in rejected["message"]
    assert report["reconnect"]["reconnects"] >= 1 and report["reconnect"]["files"] == 3

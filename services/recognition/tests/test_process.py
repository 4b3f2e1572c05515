"""The service started as its container starts it (`python -m tstudio_recognition`), stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from svckit.healthcheck import wait_serving
from svckit.testing import free_port
from tstudio.recognition.v1 import recognition_pb2 as pb
from tstudio.recognition.v1 import recognition_pb2_grpc


async def test_service_starts_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RECOGNITION_PORT": str(port),
        "RECOGNITION_DATA_DIR": str(tmp_path / "data"),
        "RECOGNITION_LOG_FORMAT": "text",
        "RECOGNITION_INTRA_OP_THREADS": "1",
        "RECOGNITION_PRELOAD_MODELS": "centerface",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tstudio_recognition"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_serving(
            f"127.0.0.1:{port}", timeout=60, service="tstudio.recognition.v1.RecognitionService"
        )
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = recognition_pb2_grpc.RecognitionServiceStub(channel)
            caps = await stub.GetCapabilities(pb.GetCapabilitiesRequest())
            assert caps.intra_op_threads == 1 and "CPUExecutionProvider" in caps.available_providers
            # Preloaded before SERVING.
            assert caps.active_provider == "CPUExecutionProvider"
        # The dynamic CenterFace was cached in the data dir on first start.
        assert list((tmp_path / "data" / "models").glob("centerface-dynamic-*.onnx"))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output.decode(errors="replace")
        assert b"stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

"""Analysis job events over a real nats-server (progress and completion are core subjects)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from svckit.bus import NatsBus
from tstudio.events.v1 import events_pb2
from tstudio.recognition.v1 import recognition_pb2 as pb


async def test_started_analysis_reports_completion_on_nats(
    recognition_on_nats: Any, face_video: Path
) -> None:
    recognition, nats = recognition_on_nats
    listener = await NatsBus.connect(nats.url, "test")
    completed: asyncio.Queue[events_pb2.Event] = asyncio.Queue()

    async def on_completed(event: events_pb2.Event) -> None:
        await completed.put(event)

    try:
        await listener.subscribe("tstudio.recognition.analysis.*.completed", on_completed)
        await listener.nc.flush()
        started = await recognition.stub.StartAnalysis(
            pb.StartAnalysisRequest(
                analysis=pb.AnalyzeVideoRequest(path=str(face_video), tasks=[pb.TASK_FACES], sample_fps=2)
            )
        )
        event = await asyncio.wait_for(completed.get(), 60)
        assert event.subject == f"tstudio.recognition.analysis.{started.analysis_id}.completed"
        assert event.type == "tstudio.recognition.analysis.completed" and event.source == "recognition"
        assert event.completed.attributes["frames_analyzed"] == "12"
    finally:
        await listener.close()

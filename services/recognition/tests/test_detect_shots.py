"""DetectShots on a generated video with cuts at known frames, checked against PySceneDetect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from svckit.grpc_errors import error_details
from tstudio.recognition.v1 import recognition_pb2 as pb

Recognition = Any


async def test_cuts_are_found_within_one_frame(recognition: Recognition, shots_video: Path, kit: Any) -> None:
    reply = await recognition.stub.DetectShots(pb.DetectShotsRequest(path=str(shots_video)))
    frame = 1 / kit.SHOT_FPS
    expected = [index / kit.SHOT_FPS for index in kit.SHOT_CUT_FRAMES]
    assert len(reply.cuts) == len(expected)
    for found, truth in zip(reply.cuts, expected, strict=True):
        assert abs(found - truth) <= frame + 1e-6
    assert [s.start_frame for s in reply.shots] == [0, *kit.SHOT_CUT_FRAMES]
    assert reply.shots[-1].end == pytest.approx(4.0, abs=frame)


async def test_cuts_agree_with_pyscenedetect(recognition: Recognition, shots_video: Path, kit: Any) -> None:
    from scenedetect import ContentDetector, detect

    scenes = detect(str(shots_video), ContentDetector())
    oracle = [start.seconds for start, _ in scenes[1:]]
    reply = await recognition.stub.DetectShots(pb.DetectShotsRequest(path=str(shots_video)))
    assert len(reply.cuts) == len(oracle)
    for ours, theirs in zip(reply.cuts, oracle, strict=True):
        assert abs(ours - theirs) <= 1 / kit.SHOT_FPS + 1e-6


async def test_min_shot_length_merges_short_shots(recognition: Recognition, shots_video: Path) -> None:
    # Shots are 1.0, 1.2, 0.8 and 1.0 s long: a 0.9 s minimum drops the cut that starts 0.8 s before the next.
    reply = await recognition.stub.DetectShots(
        pb.DetectShotsRequest(path=str(shots_video), min_shot_seconds=1.1)
    )
    assert [round(c, 2) for c in reply.cuts] == [1.2, 2.2] or [round(c, 2) for c in reply.cuts] == [2.2]


async def test_a_high_threshold_finds_no_cuts(recognition: Recognition, shots_video: Path) -> None:
    reply = await recognition.stub.DetectShots(pb.DetectShotsRequest(path=str(shots_video), threshold=250))
    assert list(reply.cuts) == [] and len(reply.shots) == 1


@pytest.mark.parametrize(
    ("fields", "field"), [({"threshold": -1}, "threshold"), ({"min_shot_seconds": -2}, "min_shot_seconds")]
)
async def test_bad_shot_parameters_are_refused(
    recognition: Recognition, shots_video: Path, fields: dict, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await recognition.stub.DetectShots(pb.DetectShotsRequest(path=str(shots_video), **fields))
    details = error_details(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details.field_violations] == [field]

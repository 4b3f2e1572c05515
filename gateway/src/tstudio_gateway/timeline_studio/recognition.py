"""Recognition in the frontend's shapes (src/features/recognition/hooks/use-recognition-preview.ts,
types/yolo.ts): process_video_recognition answers `YoloVideoData` from the recognition service's
object detector; the results are also kept as `recognition_results` (the frontend's
RecognitionResults) in the preview data of every file id the frontend has for that path, which
clear_recognition_results drops.

Models are registered by an operator (`recognition.register_model` checks the file's SHA-256, an
admin command): `modelPath` picks a registered object model by its file path or name, and without
it the first registered object model is used.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from svckit.errors import FailedPrecondition
from tstudio.media.v1 import preview_data_pb2 as pd
from tstudio.recognition.v1 import recognition_pb2 as rec

from tstudio_gateway.timeline_studio.preview_data import load_sections, media_preview_data, save_sections
from tstudio_gateway.timeline_studio.registry import TauriCall, TauriCommand

SAMPLE_FPS = 2.0
SECTION = "recognition_results"


async def _object_model(call: TauriCall, model_path: str) -> rec.ModelInfo:
    response = await call.call("recognition.list_models", rec.ListModelsRequest())
    models = [m for m in response.models if m.task == rec.TASK_OBJECTS]
    if model_path:
        stem = PurePath(model_path).stem.lower()
        for model in models:
            if model.source == model_path or model.name in (model_path, stem):
                return model
        raise call.args.error(
            "modelPath",
            "names no registered object model; an operator registers it with recognition.register_model",
        )
    if not models:
        raise FailedPrecondition(
            "process_video_recognition: no object detection model is registered "
            "(an operator registers one with recognition.register_model)",
            reason="NO_OBJECT_MODEL",
        )
    return sorted(models, key=lambda m: (not m.loaded, m.name))[0]


def _results(frames: list[dict[str, Any]], processed_at: str) -> dict[str, Any]:
    """The frontend's RecognitionResults: objects by class with their times and boxes."""
    objects: dict[str, dict[str, Any]] = {}
    for frame in frames:
        for detection in frame["detections"]:
            entry = objects.setdefault(
                detection["class"],
                {"class": detection["class"], "confidence": 0.0, "timestamps": [], "bounding_boxes": []},
            )
            entry["confidence"] = max(entry["confidence"], detection["confidence"])
            entry["timestamps"].append(frame["timestamp"])
            entry["bounding_boxes"].append(detection["bbox"])
    return {"objects": list(objects.values()), "faces": [], "scenes": [], "processed_at": processed_at}


async def process_video_recognition(call: TauriCall) -> dict[str, Any]:
    """`{videoPath, modelPath?, targetClasses?}` -> YoloVideoData (boxes relative, 0..1)."""
    video_path = call.args.string("videoPath")
    model_path = call.args.string("modelPath", required=False)
    classes = call.args.strings("targetClasses", required=False)
    model = await _object_model(call, model_path)
    request = rec.AnalyzeVideoRequest(
        path=video_path,
        tasks=[rec.TASK_OBJECTS],
        sample_fps=SAMPLE_FPS,
        classes=classes,
        object_model=model.name,
    )
    frames: list[dict[str, Any]] = []
    async for update in call.stream("recognition.analyze_video", request):
        if update.HasField("frame"):
            detections = [
                {
                    "class": d.label,
                    "confidence": d.score,
                    "bbox": {"x": d.box.x, "y": d.box.y, "width": d.box.width, "height": d.box.height},
                }
                for d in update.frame.detections
            ]
            frames.append({"timestamp": update.frame.time, "detections": detections})
    processed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    listing = await call.call("media.list_preview_data", pd.ListPreviewDataRequest(file_path=video_path))
    results = _results(frames, processed_at)
    for file_id in listing.file_ids:
        await save_sections(call, file_id, video_path, {SECTION: results})
    return {
        "videoId": listing.file_ids[0] if listing.file_ids else video_path,
        "videoName": PurePath(video_path).name,
        "videoPath": video_path,
        "frames": frames,
        "metadata": {
            "model": model.name,
            "version": model.sha256[:12],
            "processedAt": processed_at,
            "fps": SAMPLE_FPS,
        },
    }


def boxes_at(results: dict[str, Any], target: float) -> tuple[float, list[pd.LabeledBox]]:
    """The detections stored for the analysed time nearest to `target`, as labelled boxes."""
    times = sorted({t for obj in results.get("objects", []) for t in obj.get("timestamps", [])})
    if not times:
        return target, []
    chosen = min(times, key=lambda t: abs(t - target))
    boxes = []
    for obj in results.get("objects", []):
        for t, box in zip(obj.get("timestamps", []), obj.get("bounding_boxes", []), strict=False):
            if t == chosen:
                boxes.append(
                    pd.LabeledBox(
                        x=box["x"],
                        y=box["y"],
                        width=box["width"],
                        height=box["height"],
                        label=str(obj.get("class", "")),
                    )
                )
    return chosen, boxes


async def get_preview_data_with_recognition(call: TauriCall) -> dict[str, Any] | None:
    """`{fileId}` -> the file's preview data with `preview_with_boxes` (base64 JPEG: the frame at the
    analysed time nearest to its thumbnail's, with the detections drawn); null when nothing is stored."""
    file_id = call.args.string("fileId")
    data = await load_sections(call, file_id)
    if data is None:
        return None
    result = media_preview_data(data)
    results = result.get(SECTION)
    if not results or not data.file_path:
        return result
    thumbnail = result.get("browser_thumbnail") or {}
    seconds, boxes = boxes_at(results, float(thumbnail.get("timestamp", 0.0)))
    picture = await call.call(
        "media.annotated_thumbnail",
        pd.AnnotatedThumbnailRequest(
            path=data.file_path, time_seconds=seconds, width=int(thumbnail.get("width") or 320), boxes=boxes
        ),
    )
    result["preview_with_boxes"] = base64.b64encode(picture.image).decode("ascii")
    return result


async def clear_recognition_results(call: TauriCall) -> None:
    await call.call(
        "media.delete_preview_data",
        pd.DeletePreviewDataRequest(file_id=call.args.string("fileId"), sections=[SECTION]),
    )


COMMANDS = [
    TauriCommand("process_video_recognition", process_video_recognition, ("recognition", "media")),
    TauriCommand("clear_recognition_results", clear_recognition_results, ("media",)),
    TauriCommand("get_preview_data_with_recognition", get_preview_data_with_recognition, ("media",)),
]

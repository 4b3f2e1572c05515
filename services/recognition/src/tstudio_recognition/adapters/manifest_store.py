"""Registered model manifests kept as JSON in the data directory (written atomically)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from tstudio_recognition.domain.detections import Task
from tstudio_recognition.domain.manifest import Decoder, ModelManifest

log = logging.getLogger(__name__)


class JsonManifestStore:
    def __init__(self, path: Path) -> None:
        self._path = path

    def load(self) -> list[ModelManifest]:
        if not self._path.exists():
            return []
        try:
            rows = json.loads(self._path.read_text())
            return [
                ModelManifest(
                    **{
                        **row,
                        "task": Task(row["task"]),
                        "decoder": Decoder(row["decoder"]),
                        "labels": tuple(row.get("labels", ())),
                    }
                )
                for row in rows
            ]
        except (ValueError, KeyError, TypeError):
            log.exception("ignoring unreadable model registry %s", self._path)
            return []

    def save(self, manifests: list[ModelManifest]) -> None:
        rows = [
            {**asdict(m), "task": m.task.value, "decoder": m.decoder.value, "labels": list(m.labels)}
            for m in manifests
        ]
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".models-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(rows, handle, indent=2)
        os.replace(tmp, self._path)

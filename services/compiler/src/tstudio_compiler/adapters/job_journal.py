"""Local render jobs recorded in SQLite (`<COMPILER_DATA_DIR>/jobs.sqlite3`), so a compiler that is
killed still answers for its jobs after a restart: finished ones as they were, unfinished ones as
FAILED (interrupted). One row per job, rewritten at every status change (not at every progress
tick). WAL mode: a commit is in the OS's hands when it returns, which is what a SIGKILL needs."""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from svckit.safe_open import sweep_temp_files

from tstudio_compiler.domain.jobs import JobStatus, JobView, Progress, Stage
from tstudio_compiler.domain.ports import RenderStats

log = logging.getLogger(__name__)


class SqliteJobJournal:
    def __init__(self, path: Path, keep: int = 1000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._keep = keep
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created REAL NOT NULL, view TEXT NOT NULL)"
        )
        self._writes = 0

    def record(self, job: JobView) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO jobs (id, created, view) VALUES (?, ?, ?)",
                (job.id, job.created_at.timestamp(), json.dumps(_to_json(job))),
            )
            self._writes += 1
            if self._writes % 100 == 0:
                self._db.execute(
                    "DELETE FROM jobs WHERE id NOT IN (SELECT id FROM jobs ORDER BY created DESC LIMIT ?)",
                    (self._keep,),
                )

    def load(self) -> list[JobView]:
        with self._lock:
            rows = self._db.execute("SELECT id, view FROM jobs ORDER BY created").fetchall()
        views = []
        for job_id, text in rows:
            try:
                views.append(_from_json(json.loads(text)))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("job %s in the journal is unreadable (%s); skipped", job_id, exc)
        return views

    def close(self) -> None:
        with self._lock:
            self._db.close()


def sweep_interrupted(jobs: list[JobView]) -> list[Path]:
    """Remove the temp files interrupted renders left beside their outputs."""
    removed: list[Path] = []
    for folder in {Path(j.output_path).parent for j in jobs if j.output_path}:
        removed += sweep_temp_files(folder)
    for path in removed:
        log.info("removed %s, left by an interrupted render", path)
    return removed


def _to_json(job: JobView) -> dict[str, Any]:
    data = dataclasses.asdict(job)
    data["status"] = job.status.name
    data["progress"]["stage"] = job.progress.stage.name
    data["created_at"] = job.created_at.isoformat()
    data["finished_at"] = job.finished_at.isoformat() if job.finished_at else None
    return data


def _from_json(data: dict[str, Any]) -> JobView:
    progress = dict(data["progress"])
    progress["stage"] = Stage[progress["stage"]]
    result = data.get("result")
    return JobView(
        id=data["id"],
        status=JobStatus[data["status"]],
        progress=Progress(**progress),
        project_name=data["project_name"],
        output_path=data["output_path"],
        client_key=data["client_key"],
        created_at=datetime.fromisoformat(data["created_at"]),
        finished_at=datetime.fromisoformat(data["finished_at"]) if data.get("finished_at") else None,
        result=RenderStats(**result) if result else None,
        error=data["error"],
        error_code=data["error_code"],
        error_reason=data.get("error_reason", ""),
        error_metadata=tuple(tuple(pair) for pair in data.get("error_metadata", ())),  # type: ignore[misc]
    )

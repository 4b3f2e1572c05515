"""The persistent preview-data store: one SQLite row per (file id, section), JSON values.

Sections are written whole and independently (a new thumbnail does not rewrite the stored
recognition results). SQLite in WAL mode, one connection guarded by a lock, used from the
service's blocking executor; every write is one transaction, so a crash leaves the old value or
the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS preview_files (
    file_id TEXT PRIMARY KEY,
    file_path TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS preview_sections (
    file_id TEXT NOT NULL REFERENCES preview_files(file_id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (file_id, section)
);
"""
EXPORT_FORMAT = "tstudio.media.preview-data/1"


@dataclass
class PreviewRecord:
    file_id: str
    file_path: str
    updated_at: float
    sections: dict[str, Any] = field(default_factory=dict)


class PreviewStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, file_id: str) -> PreviewRecord | None:
        with self._lock:
            return self._get(file_id)

    def _get(self, file_id: str) -> PreviewRecord | None:
        row = self._db.execute(
            "SELECT file_path, updated_at FROM preview_files WHERE file_id = ?", (file_id,)
        ).fetchone()
        if row is None:
            return None
        sections = {
            name: json.loads(value)
            for name, value in self._db.execute(
                "SELECT section, value FROM preview_sections WHERE file_id = ? ORDER BY section", (file_id,)
            )
        }
        return PreviewRecord(file_id, row[0], row[1], sections)

    def save(self, file_id: str, file_path: str, sections: dict[str, Any]) -> PreviewRecord:
        """Replace the named sections (others are kept); create the record if needed."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._save(file_id, file_path, sections, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            record = self._get(file_id)
        assert record is not None
        return record

    def _save(self, file_id: str, file_path: str, sections: dict[str, Any], now: float) -> None:
        self._db.execute(
            "INSERT INTO preview_files (file_id, file_path, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(file_id) DO UPDATE SET updated_at = excluded.updated_at, "
            "file_path = CASE WHEN excluded.file_path = '' THEN preview_files.file_path "
            "ELSE excluded.file_path END",
            (file_id, file_path, now),
        )
        for name, value in sections.items():
            self._db.execute(
                "INSERT INTO preview_sections (file_id, section, value) VALUES (?, ?, ?) "
                "ON CONFLICT(file_id, section) DO UPDATE SET value = excluded.value",
                (file_id, name, json.dumps(value, separators=(",", ":"))),
            )

    def delete(self, file_id: str | None, sections: list[str]) -> bool:
        """One record's sections (or the record); `file_id` None: every record's."""
        with self._lock:
            if file_id is None:
                if sections:
                    marks = ",".join("?" for _ in sections)
                    cursor = self._db.execute(
                        f"DELETE FROM preview_sections WHERE section IN ({marks})",
                        sections,
                    )
                else:
                    cursor = self._db.execute("DELETE FROM preview_files")
            elif sections:
                marks = ",".join("?" for _ in sections)
                cursor = self._db.execute(
                    f"DELETE FROM preview_sections WHERE file_id = ? AND section IN ({marks})",
                    (file_id, *sections),
                )
            else:
                cursor = self._db.execute("DELETE FROM preview_files WHERE file_id = ?", (file_id,))
            return cursor.rowcount > 0

    def stored_bytes(self, section: str = "") -> int:
        with self._lock:
            if section:
                row = self._db.execute(
                    "SELECT COALESCE(SUM(LENGTH(value)), 0) FROM preview_sections WHERE section = ?",
                    (section,),
                ).fetchone()
            else:
                row = self._db.execute(
                    "SELECT COALESCE(SUM(LENGTH(value)), 0) FROM preview_sections"
                ).fetchone()
            return int(row[0])

    def file_ids(self, section: str = "", file_path: str = "") -> list[str]:
        with self._lock:
            if file_path:
                rows = self._db.execute(
                    "SELECT file_id FROM preview_files WHERE file_path = ? ORDER BY file_id", (file_path,)
                )
                found = [row[0] for row in rows]
                if section:
                    having = {
                        row[0]
                        for row in self._db.execute(
                            "SELECT DISTINCT file_id FROM preview_sections WHERE section = ?", (section,)
                        )
                    }
                    found = [f for f in found if f in having]
                return found
            if section:
                rows = self._db.execute(
                    "SELECT DISTINCT file_id FROM preview_sections WHERE section = ? ORDER BY file_id",
                    (section,),
                )
            else:
                rows = self._db.execute("SELECT file_id FROM preview_files ORDER BY file_id")
            return [row[0] for row in rows]

    def export_to(self, path: Path) -> int:
        """Every record as one JSON file, written under a temporary name and renamed into place."""
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT file_id FROM preview_files ORDER BY file_id")]
            records = [r for r in (self._get(i) for i in ids) if r is not None]
        document = {
            "format": EXPORT_FORMAT,
            "records": [
                {
                    "file_id": r.file_id,
                    "file_path": r.file_path,
                    "updated_at": r.updated_at,
                    "sections": r.sections,
                }
                for r in records
            ],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return len(records)

    def import_from(self, document: Any) -> int:
        """Records of an export; all or nothing. Raises ValueError naming what is wrong."""
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise ValueError(f"not a preview data export (format {EXPORT_FORMAT!r} expected)")
        records = document.get("records")
        if not isinstance(records, list):
            raise ValueError("records must be an array")
        checked = []
        for index, record in enumerate(records):
            if (
                not isinstance(record, dict)
                or not isinstance(record.get("file_id"), str)
                or not record["file_id"]
                or not isinstance(record.get("file_path", ""), str)
                or not isinstance(record.get("sections", {}), dict)
            ):
                raise ValueError(f"records[{index}] needs a file_id, a file_path and a sections object")
            checked.append(record)
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for record in checked:
                    self._save(
                        record["file_id"], record.get("file_path", ""), record.get("sections", {}), now
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(checked)

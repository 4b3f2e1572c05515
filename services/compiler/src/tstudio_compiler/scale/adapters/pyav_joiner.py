"""The `Joiner` of distributed jobs: `join_segments` run in a bounded thread pool."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from tstudio_compiler.scale.adapters.segment_join import join_segments
from tstudio_compiler.scale.domain.render_ports import JobSpec


class RemuxJoiner:
    def __init__(self, executor: Executor | None = None) -> None:
        self._executor = executor

    async def join(self, job: JobSpec, segment_paths: list[Path]) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(
            self._executor, join_segments, segment_paths, job.output_path, job.audio_path or None
        )
        return result.as_json()

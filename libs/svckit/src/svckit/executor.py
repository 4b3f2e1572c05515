"""A bounded thread pool for blocking work, so the event loop keeps serving while PyAV,
onnxruntime or wasmtime run (they release the GIL in their native code)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from svckit.work_watch import WorkWatch

P = ParamSpec("P")
R = TypeVar("R")


class BlockingExecutor:
    def __init__(self, max_workers: int, name: str = "blocking", watch: WorkWatch | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self.max_workers = max_workers
        # Every call is tracked: one that shows no sign of life (svckit.work_watch.beat) is stuck.
        self.watch = watch

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `fn` in the pool; the caller's context (trace span, deadlines) goes with it."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        if self.watch is not None:
            call = functools.partial(_tracked, self.watch, getattr(fn, "__qualname__", "work"), call)
        return await loop.run_in_executor(self._pool, call)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _tracked(watch: WorkWatch, what: str, call: Callable[[], R]) -> R:
    with watch.track(what):
        return call()

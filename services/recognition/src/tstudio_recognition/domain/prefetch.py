"""A bounded hand-off from a blocking producer (a decoder) to async code, so decoding the next frames
overlaps the work on the current ones without ever holding more than `depth` items."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_DONE = object()


class Prefetcher(Generic[T]):
    """`async with Prefetcher(produce, depth) as items: batch = await items.next_batch(4)`.

    `produce()` is iterated in its own thread. Its errors are re-raised by `next_batch`; leaving the
    block early stops it (it notices within a fraction of a second, or at its next item)."""

    def __init__(self, produce: Callable[[], Iterator[T]], depth: int, name: str = "prefetch") -> None:
        self._produce = produce
        self._depth = max(1, depth)
        self._name = name
        self._stop = threading.Event()
        self._finished = False
        self._queue: asyncio.Queue[object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Prefetcher[T]:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(maxsize=self._depth)
        threading.Thread(target=self._work, name=self._name, daemon=True).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._queue is not None
        while not self._queue.empty():
            self._queue.get_nowait()

    def _put(self, item: object) -> bool:
        assert self._loop is not None and self._queue is not None
        try:
            future = asyncio.run_coroutine_threadsafe(self._queue.put(item), self._loop)
        except RuntimeError:  # the loop is gone
            return False
        while True:
            try:
                future.result(timeout=0.2)
                return True
            except TimeoutError:
                if self._stop.is_set():
                    future.cancel()
                    return False

    def _work(self) -> None:
        try:
            for item in self._produce():
                if self._stop.is_set() or not self._put(item):
                    return
            self._put(_DONE)
        except Exception as exc:
            if not self._stop.is_set():
                self._put(exc)

    async def next_batch(self, size: int) -> list[T]:
        """Wait for the next item, then take up to `size` that are ready; empty when the producer is done."""
        assert self._queue is not None
        if self._finished:
            return []
        batch: list[T] = []
        item = await self._queue.get()
        while True:
            if item is _DONE:
                self._finished = True
                return batch
            if isinstance(item, Exception):
                self._finished = True
                raise item
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= size or self._queue.empty():
                return batch
            item = self._queue.get_nowait()

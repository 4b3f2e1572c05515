"""A small least-recently-used cache for analysis and shot results."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class ResultCache:
    """Least-recently-used results keyed by (file identity, models, parameters)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[object, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: object) -> Any | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        return None

    def put(self, key: object, value: Any) -> None:
        if self._capacity <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

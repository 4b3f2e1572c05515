"""Events under the frontend's names (`media-processor`), delivered as Tauri delivers them.

Tauri's `listen(event, handler)` calls `handler({event, id, payload})`. Here a WebSocket
connection registers the event names it listens to, and `emit` hands the envelope to every
connection of the same caller (a caller is one token, as a Tauri app is one user's windows), so one
user's scan never shows up in another user's window.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# The frontend's event names are kebab/colon/slash words (Tauri allows [A-Za-z0-9-/:_]).
EVENT_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/:_")

Deliver = Callable[[str], None]


def valid_event_name(name: object) -> bool:
    return isinstance(name, str) and 0 < len(name) <= 200 and set(name) <= EVENT_NAME_CHARS


class TauriEvents:
    """Listeners per caller and event name; delivery is a non-blocking hand-off."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str], dict[int, Deliver]] = {}
        self._ids = itertools.count(1)

    def listen(self, caller_id: str, event: str, deliver: Deliver) -> int:
        """Register; the returned id is Tauri's event id and unlistens."""
        listener_id = next(self._ids)
        self._listeners.setdefault((caller_id, event), {})[listener_id] = deliver
        return listener_id

    def unlisten(self, caller_id: str, event: str, listener_id: int) -> bool:
        listeners = self._listeners.get((caller_id, event))
        if not listeners or listener_id not in listeners:
            return False
        del listeners[listener_id]
        if not listeners:
            del self._listeners[(caller_id, event)]
        return True

    def emit(self, caller_id: str, event: str, payload: Any) -> int:
        """Send `payload` under `event` to the caller's listeners; answers how many got it."""
        listeners = self._listeners.get((caller_id, event))
        if not listeners:
            return 0
        for listener_id, deliver in list(listeners.items()):
            frame = json.dumps(
                {"type": "tauri-event", "event": event, "id": listener_id, "payload": payload},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            try:
                deliver(frame)
            except Exception:
                log.exception("a listener of %s failed", event)
        return len(listeners)

    def listener_count(self) -> int:
        return sum(len(v) for v in self._listeners.values())

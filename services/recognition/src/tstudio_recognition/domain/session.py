"""The one thing decoders need from an inference engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np


class ModelSession(Protocol):
    """A loaded model: run it on named inputs and get its outputs in declared order."""

    @property
    def input_names(self) -> tuple[str, ...]: ...

    # Whether the first input's batch dimension is dynamic (frames can go in together).
    batch_dynamic: bool

    def run(self, feed: Mapping[str, np.ndarray]) -> list[np.ndarray]: ...


class SessionProvider(Protocol):
    """Hands out the one session per model (created on first use, then reused)."""

    def session(self, name: str) -> ModelSession: ...

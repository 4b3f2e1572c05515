"""Proto <-> domain for the motion fields (keyframes)."""

from __future__ import annotations

from collections.abc import Iterable

from tstudio.compiler.v1 import motion_pb2

from tstudio_compiler.domain.keyframes import Animation, Keyframe


def animations(items: Iterable[motion_pb2.Animation]) -> tuple[Animation, ...]:
    return tuple(
        Animation(a.property, tuple(Keyframe(k.time, k.value, k.easing) for k in a.keyframes)) for a in items
    )

"""Waveform peaks: which samples fall into which bucket, and the result."""

from __future__ import annotations

from dataclasses import dataclass

from svckit.errors import FieldViolation, InvalidArgument

MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class WaveformWindow:
    """Buckets of equal length over [start, end) seconds of audio."""

    start_seconds: float
    end_seconds: float
    buckets: int

    @property
    def bucket_seconds(self) -> float:
        return (self.end_seconds - self.start_seconds) / self.buckets


@dataclass(frozen=True)
class Waveform:
    sample_rate: int
    window: WaveformWindow
    # Per channel: (min per bucket, max per bucket), values in -1..1.
    channels: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]


def waveform_window(buckets: int, start: float, end: float, duration: float) -> WaveformWindow:
    """Check the request against the audio's duration; `end` 0 means the end of the audio."""
    violations = []
    if buckets < 1 or buckets > MAX_BUCKETS:
        violations.append(FieldViolation("buckets", f"must be between 1 and {MAX_BUCKETS}"))
    stop = end if end > 0 else duration
    if start < 0:
        violations.append(FieldViolation("start_seconds", "must be >= 0"))
    if end < 0:
        violations.append(FieldViolation("end_seconds", "must be >= 0"))
    elif stop <= start:
        violations.append(FieldViolation("end_seconds", "must be after start_seconds and within the audio"))
    if violations:
        raise InvalidArgument("invalid waveform request", field_violations=violations)
    return WaveformWindow(start, stop, buckets)

"""Which ONNX Runtime execution providers to ask for, and what to report about the outcome."""

from __future__ import annotations

from dataclasses import dataclass

# Best first; CPU always last so a session can always be created.
PREFERENCE = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
CPU = "CPUExecutionProvider"


def requested_providers(wanted: tuple[str, ...], available: tuple[str, ...]) -> list[str]:
    """`wanted` empty or ("auto",) means the best of what this onnxruntime build offers; an explicit
    list is kept in order, minus what the build lacks. CPU is always appended as the fallback."""
    order = PREFERENCE if not wanted or wanted == ("auto",) else wanted
    chosen = [p for p in order if p in available and p != CPU]
    return [*chosen, CPU]


def missing_providers_note(wanted: tuple[str, ...], available: tuple[str, ...]) -> str:
    """Explains explicitly configured providers this onnxruntime build does not offer ("" when none)."""
    if not wanted or wanted == ("auto",):
        return ""
    missing = [p for p in wanted if p not in available]
    if not missing:
        return ""
    return f"{', '.join(missing)} not offered by this onnxruntime build (GPU images install onnxruntime-gpu); using {requested_providers(wanted, available)[0]}"


@dataclass(frozen=True)
class ProviderReport:
    """What a session asked for and got; `fallback` explains a GPU provider that could not start."""

    requested: tuple[str, ...]
    active: tuple[str, ...]

    @property
    def primary(self) -> str:
        return self.active[0] if self.active else CPU

    @property
    def fallback(self) -> str:
        wanted = self.requested[0] if self.requested else CPU
        if wanted != self.primary:
            return f"{wanted} could not be initialised; running on {self.primary}"
        return ""

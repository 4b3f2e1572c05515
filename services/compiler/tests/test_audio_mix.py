"""The audio mix adapter: clips placed by their timestamps; a long mix goes to a scratch mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tstudio_compiler.adapters import audio_mix
from tstudio_compiler.domain.filtergraph import Filter
from tstudio_compiler.domain.model import OutputSettings
from tstudio_compiler.domain.plan import AudioInput, RenderPlan

from .conftest import Media


def plan(seconds: float, *audio: AudioInput) -> RenderPlan:
    return RenderPlan(64, 48, 30.0, round(seconds * 30), 48000, 2, "black", (), audio, OutputSettings())


def test_a_long_mix_is_memory_mapped_and_leaves_no_scratch_file(media: Media, tmp_path: Path) -> None:
    tone = AudioInput("a0", "t", str(media.tone), 1.0, 2.0, 190.0, 1.0, (Filter("volume", "volume=0.5"),))
    mixed = audio_mix.mix(plan(200.0, tone), scratch=tmp_path)
    assert isinstance(mixed, np.memmap)
    assert not list(tmp_path.iterdir())
    rate = 48000
    assert float(np.abs(mixed[:, : 190 * rate]).max()) == 0.0
    placed = mixed[:, 190 * rate : 191 * rate]
    assert 0.2 < float(np.abs(placed).max()) < 0.3  # 0.5 amplitude at half volume
    assert float(np.abs(mixed[:, 191 * rate + 100 :]).max()) == 0.0

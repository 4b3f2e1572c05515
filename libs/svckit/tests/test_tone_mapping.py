"""svckit.tone_mapping: the transfer functions at known points."""

from __future__ import annotations

import pytest
from svckit.tone_mapping import hlg_to_linear, pq_to_linear, sdr_from_hdr

np = pytest.importorskip("numpy")


def test_pq_code_values_give_their_luminance() -> None:
    # ST 2084: 0.5081 is 100 cd/m² (1.0 here), 0.7518 is 1000 cd/m², 1.0 is 10000 cd/m².
    values = pq_to_linear(np.array([0.0, 0.5081, 0.7518, 1.0]))
    assert values == pytest.approx([0.0, 1.0, 10.0, 100.0], rel=0.01)


def test_hlg_reference_white_and_peak() -> None:
    # BT.2100 HLG on a 1000 cd/m² display: signal 1.0 (white, all channels) is the peak.
    peak = hlg_to_linear(np.array([[1.0, 1.0, 1.0]]))
    assert peak[0] == pytest.approx([10.0, 10.0, 10.0], rel=0.01)


def test_tone_mapped_greys_stay_grey_and_the_peak_is_white() -> None:
    greys = np.array([[v, v, v] for v in (0.0, 0.3, 0.5081, 0.7518)], dtype=np.float32)
    out = sdr_from_hdr(greys, "pq")
    assert np.allclose(out[:, 0], out[:, 1], atol=1e-4) and np.allclose(out[:, 1], out[:, 2], atol=1e-4)
    assert out[0, 0] == 0.0 and out[-1, 0] == pytest.approx(1.0, abs=1e-3)
    assert list(out[:, 0]) == sorted(out[:, 0])

"""Unit tests of the pure domain rules (no sockets, no media)."""

from __future__ import annotations

import pytest
from svckit.errors import AlreadyExists, InvalidArgument, PermissionDenied
from tstudio_media.domain.cache_key import FileIdentity, cache_key
from tstudio_media.domain.filmstrip_plan import filmstrip_times, layout
from tstudio_media.domain.media_info import clockwise_rotation, is_variable_frame_rate
from tstudio_media.domain.picture_request import fit_size
from tstudio_media.domain.proxy_plan import JobRegistry, proxy_size
from tstudio_media.domain.range_header import RangeOutcome, decide_range, if_range_matches
from tstudio_media.domain.stream_signing import UrlSigner


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, (RangeOutcome.FULL, 0, 0)),
        ("bytes=0-0", 100, (RangeOutcome.PARTIAL, 0, 0)),
        ("bytes=-1", 100, (RangeOutcome.PARTIAL, 99, 99)),
        ("bytes=-1000", 100, (RangeOutcome.PARTIAL, 0, 99)),
        ("bytes=90-", 100, (RangeOutcome.PARTIAL, 90, 99)),
        ("bytes=100-", 100, (RangeOutcome.UNSATISFIABLE, 0, 0)),
        ("bytes=0-5", 0, (RangeOutcome.UNSATISFIABLE, 0, 0)),
        ("bytes=200-300, 0-9", 100, (RangeOutcome.PARTIAL, 0, 9)),  # the unsatisfiable one is dropped
        ("bytes=0-9, 5-20 ,30-40", 100, (RangeOutcome.FULL, 0, 0)),  # still two ranges: whole file
        ("bytes=9-5", 100, (RangeOutcome.FULL, 0, 0)),
        ("bytes=0-9,", 100, (RangeOutcome.FULL, 0, 0)),
        ("bytes=1-2-3", 100, (RangeOutcome.FULL, 0, 0)),
        ("bytes=" + ",".join(["0-1"] * 101), 100, (RangeOutcome.FULL, 0, 0)),
    ],
)
def test_range_decisions_follow_rfc_9110(header: str | None, size: int, expected: tuple) -> None:
    decision = decide_range(header, size)
    assert (decision.outcome, decision.first, decision.last) == expected


def test_if_range() -> None:
    etag = '"abc-10"'
    assert if_range_matches(None, etag, 0)
    assert if_range_matches(etag, etag, 0)
    assert not if_range_matches('"other"', etag, 0)
    assert not if_range_matches('W/"abc-10"', etag, 0)
    assert if_range_matches("Thu, 01 Jan 1970 00:00:10 GMT", etag, 10)
    assert not if_range_matches("Thu, 01 Jan 1970 00:00:11 GMT", etag, 10)
    assert not if_range_matches("yesterday", etag, 10)


def test_signed_urls_verify_and_expire() -> None:
    now = [1000.0]
    signer = UrlSigner(b"k" * 32, 60, clock=lambda: now[0])
    signed = signer.sign("/media/a.mp4")
    assert signed.expires_at == 1060
    assert signer.verify(signed.query) == "/media/a.mp4"
    now[0] = 1061
    with pytest.raises(PermissionDenied) as expired:
        signer.verify(signed.query)
    assert expired.value.reason == "URL_EXPIRED"
    other = UrlSigner(b"x" * 32, 60, clock=lambda: 1000.0)
    with pytest.raises(PermissionDenied):
        other.verify(UrlSigner(b"k" * 32, 60, clock=lambda: 1000.0).sign("/a").query)
    with pytest.raises(PermissionDenied):
        signer.verify({"p": "!!", "e": "x"})
    with pytest.raises(InvalidArgument):
        signer.sign("/a", ttl_seconds=-1)
    with pytest.raises(ValueError):
        UrlSigner(b"short", 60)


def test_cache_key_changes_with_file_identity_and_request() -> None:
    base = FileIdentity("/a.mp4", 10, 1, 7)
    key = cache_key("thumbnail", base, b"req")
    assert key == cache_key("thumbnail", FileIdentity("/a.mp4", 10, 1, 7), b"req")
    for changed in (
        cache_key("thumbnail", FileIdentity("/a.mp4", 11, 1, 7), b"req"),
        cache_key("thumbnail", FileIdentity("/a.mp4", 10, 2, 7), b"req"),
        cache_key("thumbnail", FileIdentity("/a.mp4", 10, 1, 8), b"req"),
        cache_key("thumbnail", FileIdentity("/b.mp4", 10, 1, 7), b"req"),
        cache_key("filmstrip", base, b"req"),
        cache_key("thumbnail", base, b"other"),
    ):
        assert changed != key


def test_filmstrip_times_and_layout() -> None:
    assert filmstrip_times(10.0, 4, 0, 0, 0) == [1.25, 3.75, 6.25, 8.75]
    assert filmstrip_times(10.0, 0, 2.5, 0, 0) == [0, 2.5, 5.0, 7.5]
    assert filmstrip_times(10.0, 2, 0, 4.0, 6.0) == [4.5, 5.5]
    plan = layout([0.0, 1.0, 2.0, 3.0, 4.0], 16, 9, 0)
    assert (plan.columns, plan.rows, plan.size) == (3, 2, (48, 18))
    assert [(t.x, t.y) for t in plan.tiles] == [(0, 0), (16, 0), (32, 0), (0, 9), (16, 9)]
    with pytest.raises(InvalidArgument):
        filmstrip_times(10.0, 0, 0.001, 0, 0)


def test_sizes_rotation_and_frame_rate_rules() -> None:
    assert fit_size(1920, 1080, 320, 0) == (320, 180)
    assert fit_size(1920, 1080, 0, 90) == (160, 90)
    assert fit_size(1920, 1080, 100, 100) == (100, 56)
    assert proxy_size(1920, 1080, 0, 540) == (960, 540)
    assert proxy_size(1080, 1920, 0, 540) == (304, 540)
    assert proxy_size(1920, 1080, 90, 540) == (540, 304)  # shown portrait: its shown height is 540
    assert proxy_size(320, 240, 0, 540) == (320, 240)  # never upscaled
    assert [clockwise_rotation(d) for d in (0, 90, -90, 180, -180, 270)] == [0, 270, 90, 180, 180, 90]
    assert is_variable_frame_rate(30.0, 24.5)
    assert not is_variable_frame_rate(30.0, 29.97 * 30 / 29.97)
    assert not is_variable_frame_rate(0.0, 25.0)


def test_job_registry() -> None:
    jobs = JobRegistry()
    flag = jobs.start("a")
    with pytest.raises(AlreadyExists):
        jobs.start("a")
    assert jobs.cancel("a") and flag.is_set()
    jobs.finish("a")
    assert not jobs.cancel("a")
    assert len(jobs) == 0

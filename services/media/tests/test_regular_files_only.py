"""Media adapters open files through svckit.safe_open (issue 15, item 1): a FIFO or device that
replaces a checked file is refused at once instead of blocking a worker for good."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from svckit.errors import InvalidArgument
from tstudio_media.adapters.pyav_open import open_media


@pytest.mark.timeout(20)
def test_open_media_refuses_a_fifo_and_a_device_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "clip.mp4")
    for path in (tmp_path / "clip.mp4", Path("/dev/zero")):
        with pytest.raises(InvalidArgument) as caught, open_media(path):
            pass
        assert caught.value.reason == "NOT_A_FILE"

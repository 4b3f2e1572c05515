"""Opening a media file with PyAV, with FFmpeg's errors translated into the service's own.

Every adapter that reads media opens it here, so a zero-byte file, a text file named .mp4 or an
unreadable file gives the same clear status whatever RPC touched it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import av.error
from svckit.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Resource,
    ServiceError,
)
from svckit.safe_open import open_regular

log = logging.getLogger(__name__)


def is_image_format(name: str) -> bool:
    """A demuxer that reads one picture: FFmpeg's image2 and the "<codec>_pipe" family."""
    return any(part == "image2" or part.endswith("_pipe") for part in name.split(","))


def not_media(path: Path, why: str, field: str = "path") -> InvalidArgument:
    return InvalidArgument(
        f"not a readable media file: {path.name}: {why}",
        reason="NOT_MEDIA",
        field_violations=[FieldViolation(field, why)],
        resources=[Resource("file", str(path))],
    )


def translate_av_error(path: Path, exc: BaseException, field: str = "path") -> ServiceError:
    """The service error for a PyAV/OS error met while opening or reading `path`."""
    if isinstance(exc, ServiceError):
        return exc
    code = getattr(exc, "errno", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return NotFound(
            f"no such file: {path}", reason="FILE_NOT_FOUND", resources=[Resource("file", str(path))]
        )
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        if isinstance(exc, av.error.FFmpegError) and os.access(path, os.R_OK):
            # FFmpeg's decoders answer -1, which is EPERM, for damaged data (AAC does): a file we
            # can read is damaged, not forbidden.
            return not_media(path, "the file is damaged: FFmpeg could not decode it", field)
        return PermissionDenied(
            f"the service may not read {path.name}",
            reason="FILE_NOT_READABLE",
            resources=[Resource("file", str(path))],
        )
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        return InvalidArgument(
            f"not a regular file: {path}",
            reason="NOT_A_FILE",
            field_violations=[FieldViolation(field, "must name a file, not a directory")],
        )
    if isinstance(exc, av.error.DecoderNotFoundError):
        return FailedPrecondition(
            f"this FFmpeg build has no decoder for a stream of {path.name}",
            reason="UNSUPPORTED_CODEC",
            resources=[Resource("file", str(path))],
        )
    if isinstance(exc, av.error.InvalidDataError):
        return not_media(path, "FFmpeg found no media it can read (invalid data)", field)
    return not_media(path, _describe(exc), field)


def _describe(exc: BaseException) -> str:
    # FFmpegError's str() repeats the file name; the caller already knows it.
    strerror = getattr(exc, "strerror", None)
    return str(strerror or exc or type(exc).__name__)


DEFAULT_MAX_PIXELS = 64 * 1024 * 1024


def limit_decoder(stream: Any, max_pixels: int) -> None:
    """Make the stream's decoder refuse pictures over `max_pixels` (set before the first decode)."""
    context = stream.codec_context
    if context is not None and not context.is_open:
        context.options = {**context.options, "max_pixels": str(max_pixels)}


@contextlib.contextmanager
def open_media(
    path: Path,
    field: str = "path",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    options: dict[str, str] | None = None,
) -> Iterator[Any]:
    """`av.open(path)` for reading; errors on opening and reading become service errors.

    `max_pixels` reaches the decoders FFmpeg runs while probing, so a picture that declares huge
    dimensions is refused instead of allocated (a 16000x16000 PNG header alone costs ~770 MB)."""
    # Opened once as a verified regular file (svckit.safe_open): a FIFO or device swapped in after
    # the servicer's check is refused instead of blocking a worker; FFmpeg reads that descriptor.
    with open_regular(path, (), field) as opened:
        if opened.size == 0:
            raise not_media(path, "the file is empty", field)
        try:
            container = av.open(
                opened.proc_path, "r", options={**(options or {}), "max_pixels": str(max_pixels)}
            )
        except (OSError, av.error.FFmpegError, EOFError, ValueError) as exc:
            raise translate_av_error(path, exc, field) from exc
    try:
        with container:
            yield container
    except (av.error.FFmpegError, EOFError, OSError) as exc:
        raise translate_av_error(path, exc, field) from exc

"""Every source file the compiler reads is opened here, at the moment it is read.

The path is opened once through `svckit.safe_open` (a regular file under an allowed root, checked
on the descriptor, so a FIFO never blocks a worker and a symlink swapped in while a job waited in
the queue is not followed), and PyAV opens that descriptor (`/proc/self/fd/N`), not the path again.
Decoders are told the pixel budget, so no frame above it is ever allocated.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import av
from PIL import Image
from svckit.safe_open import Identity, open_regular

from tstudio_compiler.adapters.image_sequence import images, is_pattern

# COMPILER_MAX_PICTURE_PIXELS default: 8K UHD (7680 x 4320) with room for odd shapes.
DEFAULT_MAX_PICTURE_PIXELS = 40_000_000


class SourceFiles:
    """Opens sources for decoding: under `roots` (resolved; empty allows every path), regular files only."""

    def __init__(
        self,
        roots: Iterable[Path | str] = (),
        max_picture_pixels: int = DEFAULT_MAX_PICTURE_PIXELS,
        own_folders: Iterable[Path | str] = (),
    ) -> None:
        self.roots = tuple(Path(r).expanduser().resolve() for r in roots)
        self.max_picture_pixels = max_picture_pixels
        # Where outputs may be written (svckit AtomicOutput walks there without following swapped
        # symlinks): the roots and the compiler's own folders (previews); none when roots are open.
        own = tuple(Path(r).expanduser().resolve() for r in own_folders)
        self.output_roots = (*self.roots, *own) if self.roots else ()

    @contextmanager
    def open(self, path: str, field: str = "source.path") -> Iterator[Any]:
        """An `av` input container reading exactly the file checked. Raises svckit errors for paths
        that are not regular files under a root, `av.error.FFmpegError` for unreadable media."""
        with self.open_container(path, field) as container:
            yield container

    def open_container(self, path: str, field: str = "source.path") -> Any:
        """Like `open` for callers that keep the container open; close it when done."""
        if is_pattern(path):
            return self._open_sequence(path, field)
        opened = open_regular(path, self.roots, field)
        try:
            # FFmpeg opens its own description of the same file; ours can go at once.
            return av.open(opened.proc_path, "r", options={"max_pixels": str(self.max_picture_pixels)})
        finally:
            opened.close()

    def _open_sequence(self, pattern: str, field: str) -> Any:
        """An image sequence (`frames/img%04d.png`) through FFmpeg's image2 demuxer, which opens the
        images by name: every image present is checked first as one source is (a regular file
        under a root), so a FIFO or a link out of the roots among them is refused up front."""
        present = images(pattern)
        if not present:
            raise FileNotFoundError(f"no images match {pattern}")
        for _, image in present:
            open_regular(image, self.roots, field).close()
        options = {"start_number": str(present[0][0]), "max_pixels": str(self.max_picture_pixels)}
        return av.open(pattern, "r", format="image2", options=options)

    def picture_size(self, path: str, field: str = "source.path") -> tuple[int, int]:
        """(width, height) a still image declares, read from its header without decoding it (a
        picture over the budget makes FFmpeg's probe give up before it reports a size); (0, 0) when
        no image reader knows the file."""
        with open_regular(path, self.roots, field) as opened, open(opened.proc_path, "rb") as fp:
            return _declared_size(fp, path)

    def identity(self, path: str, field: str = "source.path") -> Identity:
        """(st_dev, st_ino) of the file `path` names now, checked the same way as an open."""
        with open_regular(path, self.roots, field) as opened:
            return opened.identity


def _declared_size(fp: BinaryIO, name: str) -> tuple[int, int]:
    # Pillow's readers parse only the header when constructed; Image.open would also apply Pillow's
    # own decompression-bomb limit, which raises before telling the size (ours is the budget).
    Image.init()
    prefix = fp.read(16)
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        if accept is not None and not accept(prefix):
            continue
        fp.seek(0)
        try:
            image = factory(fp, name)
        except (SyntaxError, IndexError, TypeError, ValueError, OSError, struct.error):
            continue
        return image.size
    return (0, 0)


# For adapters built without a composition root (tests, tools): regular files only, every path allowed.
ANY_SOURCE = SourceFiles()

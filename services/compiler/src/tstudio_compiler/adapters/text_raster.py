"""Text rasterised with Pillow (the bundled FFmpeg has no drawtext)."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path

from PIL import Image

from tstudio_compiler.adapters.captions_render import CaptionPictures
from tstudio_compiler.adapters.fonts import FontBook
from tstudio_compiler.adapters.source_files import DEFAULT_MAX_PICTURE_PIXELS
from tstudio_compiler.adapters.text_animation import AnimatedText
from tstudio_compiler.adapters.text_layout import render
from tstudio_compiler.domain.model import Project, TextSource
from tstudio_compiler.domain.plan import InputSpec

log = logging.getLogger(__name__)


@functools.cache
def shared_font_book() -> FontBook:
    """One font book per process: its family index and fallback lookups are cached."""
    return FontBook()


# A text picture may cover this many frames' worth of pixels (it can be scaled down or sit partly
# off screen); beyond that it is laid out at a smaller font size.
FRAMES_OF_TEXT = 4


def rasterise(
    text: TextSource, frame: tuple[int, int] = (0, 0), max_pixels: int = DEFAULT_MAX_PICTURE_PIXELS
) -> Image.Image:
    """An RGBA image just large enough for the text (box, stroke, shadow and a small margin), laid
    out against the frame: if it would cover more than FRAMES_OF_TEXT frames (or `max_pixels`), the
    font shrinks until it fits, measured before any pixel is allocated."""
    budget = max_pixels
    if frame[0] > 0 and frame[1] > 0:
        budget = min(budget, FRAMES_OF_TEXT * frame[0] * frame[1])
    image, warning = render(text, shared_font_book(), budget)
    if warning:
        log.warning("%s", warning)
    return image


def text_warnings(project: Project) -> list[tuple[str, str]]:
    """(field path, why) for each text clip whose font is not the one asked for."""
    book = shared_font_book()
    out = []
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            text, captions = clip.source.text, clip.source.captions
            fonts = []
            if text is not None and text.font:
                fonts.append(("source.text.font", text.font))
            if captions is not None and captions.style.font:
                fonts.append(("source.captions.style.font", captions.style.font))
            for field, font in fonts:
                warning = book.resolve(font).warning
                if warning:
                    out.append((f"tracks[{ti}].clips[{ci}].{field}", warning))
    return out


class TextImageFolder:
    """Rasterised text as PNG files named by content, for the ffmpeg command to read."""

    def __init__(self, folder: Path, max_pixels: int = DEFAULT_MAX_PICTURE_PIXELS) -> None:
        self._folder = folder
        self._max_pixels = max_pixels

    def path_for(self, spec: InputSpec) -> str:
        if spec.kind == "captions":
            return self._captions(spec)
        assert spec.text is not None
        if spec.clip_frames:
            return self._sequence(spec)
        frame = (spec.width, spec.height)
        name = hashlib.sha256(repr((spec.text, frame, self._max_pixels)).encode()).hexdigest()[:16]
        path = self._folder / f"text-{name}.png"
        if not path.exists():
            self._folder.mkdir(parents=True, exist_ok=True)
            rasterise(spec.text, frame, self._max_pixels).save(path)
        return str(path)

    def _captions(self, spec: InputSpec) -> str:
        """A captions clip's frames as a numbered sequence: one PNG per set of showing cues, linked
        under each frame's number."""
        assert spec.captions is not None
        key = repr((spec.captions, spec.width, spec.height, spec.source_in, spec.first_frame, spec.frames))
        folder = self._folder / f"captions-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        pattern = str(folder / "%06d.png")
        if not (folder / "done").exists():
            folder.mkdir(parents=True, exist_ok=True)
            pictures = CaptionPictures(spec.captions, shared_font_book(), spec.width, spec.height)
            made: dict[tuple[tuple[int, int], ...], Path] = {}
            for index in range(spec.frames + 1):
                showing = pictures.showing(spec.source_time(spec.first_frame + index))
                if showing not in made:
                    made[showing] = folder / f"cues-{len(made)}.png"
                    Image.fromarray(pictures.picture(showing)).save(made[showing])
                target = Path(pattern % index)
                target.unlink(missing_ok=True)
                os.link(made[showing], target)
            (folder / "done").touch()
        return pattern

    def _sequence(self, spec: InputSpec) -> str:
        """An animated text's frames `first_frame..` of its clip as numbered PNGs (from 0)."""
        assert spec.text is not None
        key = repr((spec.text, spec.fps, spec.clip_frames, spec.first_frame, spec.frames))
        folder = self._folder / f"text-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        pattern = str(folder / "%06d.png")
        if not (folder / "done").exists():
            folder.mkdir(parents=True, exist_ok=True)
            animated = AnimatedText(spec.text, shared_font_book(), spec.fps, spec.clip_frames)
            for index in range(spec.frames + 1):
                Image.fromarray(animated.picture(spec.first_frame + index)).save(pattern % index)
            (folder / "done").touch()
        return pattern

"""Fonts for rasterised text: the bundled default, family names, and a fallback font per glyph.

- Default: DejaVu Sans from the `rinoh-typeface-dejavusans` wheel (Latin, Greek, Cyrillic, currency
  and common symbols; about 5,900 characters), so text without a font never shows .notdef boxes.
- A `font` with a path separator or a font suffix is a file; anything else is a family name, found by
  fontconfig (`fc-match`) when it is installed and otherwise in an index of the font folders
  (FONT_FOLDERS, plus any given to FontBook). A family that is not found is reported, not swapped
  silently: the text is drawn with the default and the caller gets a warning.
- Each character the chosen font lacks is drawn with the first font that has it: the default, then
  any installed font fontconfig or the index offers for it (CJK needs e.g. Debian's fonts-noto-cjk,
  emoji fonts-noto-color-emoji; without them such characters stay boxes).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
FONT_FOLDERS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)
DEFAULT_FAMILY = "DejaVu Sans"


def default_font() -> str:
    """DejaVu Sans from its wheel (found without importing the package, which needs rinohtype)."""
    spec = importlib.util.find_spec("rinoh_typeface_dejavusans")
    assert spec is not None and spec.submodule_search_locations, "rinoh-typeface-dejavusans is a dependency"
    return str(Path(next(iter(spec.submodule_search_locations))) / "DejaVuSans.ttf")


@dataclass(frozen=True)
class Resolved:
    path: str
    # Why the requested font was not used ("" when it was).
    warning: str = ""


@functools.lru_cache(maxsize=256)
def charset(path: str) -> frozenset[int]:
    """The code points a font file maps to glyphs (empty when the file is not a readable font)."""
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError, AssertionError, KeyError) as exc:
        log.warning("cannot read font %s: %s", path, exc)
        return frozenset()


def _families(path: str) -> list[str]:
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            names = font["name"]
            found = [names.getBestFamilyName() or ""]
            for record in names.names:
                if record.nameID in (1, 16):
                    try:
                        found.append(record.toUnicode())
                    except UnicodeDecodeError:
                        continue
            return [f for f in found if f]
    except (OSError, TTLibError, AssertionError, KeyError):
        return []


class FontBook:
    """Resolves font names to files and finds fallbacks; safe to share between render threads."""

    def __init__(self, folders: Iterable[str] = FONT_FOLDERS, use_fontconfig: bool = True) -> None:
        self._folders = tuple(folders)
        self._fc_match = shutil.which("fc-match") if use_fontconfig else None
        self._index: dict[str, str] | None = None
        self._lock = threading.Lock()
        self.default = default_font()

    def resolve(self, name: str) -> Resolved:
        """The file for a `font` field: a path, a family name, or "" for the default."""
        name = name.strip()
        if not name:
            return Resolved(self.default)
        if os.sep in name or "/" in name or name.lower().endswith(FONT_SUFFIXES):
            path = os.path.expanduser(name)
            if os.path.isfile(path) and charset(path):
                return Resolved(path)
            return Resolved(
                self.default, f"font file {name!r} is missing or unreadable; using {DEFAULT_FAMILY}"
            )
        found = self._family(name)
        if found:
            return Resolved(found)
        return Resolved(self.default, f"font family {name!r} is not installed; using {DEFAULT_FAMILY}")

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one FontBook lives as long as the service
    def _family(self, family: str) -> str:
        wanted = family.casefold()
        if self._fc_match:
            out = self._run_fc_match([family, "-f", "%{file}\n%{family}"])
            if out:
                path, _, families = out.partition("\n")
                if wanted in (f.strip().casefold() for f in families.split(",")) and charset(path):
                    return path
        return self.index().get(wanted, "")

    def index(self) -> dict[str, str]:
        """casefolded family name -> a file of it (the regular style when there is one), built once."""
        with self._lock:
            if self._index is None:
                self._index = _build_index(self._folders)
            return self._index

    @functools.lru_cache(maxsize=4096)  # noqa: B019
    def fallback(self, char: str) -> str:
        """A font file with a glyph for `char`, "" when no installed font has one."""
        code = ord(char)
        if code in charset(self.default):
            return self.default
        if self._fc_match:
            path = self._run_fc_match([f":charset={code:x}", "-f", "%{file}"])
            if path and code in charset(path):
                return path
        for path in sorted(set(self.index().values())):
            if code in charset(path):
                return path
        return ""

    def _run_fc_match(self, args: list[str]) -> str:
        assert self._fc_match is not None
        try:
            done = subprocess.run(
                [self._fc_match, *args], capture_output=True, text=True, timeout=5, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("fc-match failed: %s", exc)
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""


def _build_index(folders: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    regulars: set[str] = set()
    for folder in folders:
        root = Path(os.path.expanduser(folder))
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in FONT_SUFFIXES or not path.is_file():
                continue
            # A family's regular style (`Name.ttf`, `Name-Regular.ttf`) is the one a bare family means.
            regular = "regular" in path.stem.lower() or "-" not in path.stem
            for family in _families(str(path)):
                key = family.casefold()
                if key not in index or (regular and key not in regulars):
                    index[key] = str(path)
                    if regular:
                        regulars.add(key)
    return index

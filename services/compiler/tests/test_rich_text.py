"""Rich text: the bundled default font covers common scripts, family names resolve, and the layout
options (shadow, letter spacing, line height, wrapping, box) change the picture as documented."""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tstudio.compiler.v1 import compiler_pb2
from tstudio_compiler.adapters.fonts import FontBook, charset, default_font
from tstudio_compiler.adapters.text_layout import render
from tstudio_compiler.domain.model import TextSource

from .conftest import Running, project

SAMPLE = "café 5 € Привет Ελλάδα"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def text_frame(text: dict[str, object]) -> dict[str, object]:
    return {
        "settings": {"width": 640, "height": 160, "fps": 30},
        "tracks": [
            {
                "id": "t",
                "kind": "TRACK_KIND_TEXT",
                "clips": [{"id": "title", "source": {"text": {"fontSize": 40, **text}}, "duration": 1}],
            }
        ],
    }


async def picture(compiler: Running, text: dict[str, object]) -> np.ndarray:
    request = compiler_pb2.RenderFrameRequest(
        project=project(text_frame(text)), time=0.5, format=compiler_pb2.IMAGE_FORMAT_PNG
    )
    reply = await compiler.stub.RenderFrame(request)
    return np.asarray(Image.open(io.BytesIO(reply.image)).convert("L")).astype(int)


def test_the_bundled_default_font_has_every_glyph_of_the_sample() -> None:
    covered = charset(default_font())
    assert all(ord(ch) in covered for ch in SAMPLE if not ch.isspace())


async def test_text_without_a_font_draws_no_notdef_boxes(compiler: Running) -> None:
    # The same text drawn with a font file that has the glyphs, given by path.
    with_glyphs = await picture(compiler, {"text": SAMPLE, "font": default_font()})
    without_font = await picture(compiler, {"text": SAMPLE})
    assert np.array_equal(with_glyphs, without_font)
    # Each character differs from the font's .notdef box (drawn for a private-use character).
    book = FontBook(folders=())
    box = np.asarray(render(TextSource("\ue000", 40), book)[0])
    for char in SAMPLE.replace(" ", ""):
        glyph = np.asarray(render(TextSource(char, 40), book)[0])
        assert glyph.shape != box.shape or not np.array_equal(glyph, box), char


def test_a_character_the_chosen_font_lacks_comes_from_the_fallback() -> None:
    mono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
    if not os.path.exists(mono):
        pytest.skip("DejaVu Sans Mono is not installed")
    missing = sorted(c for c in charset(default_font()) - charset(mono) if chr(c).isalpha())
    char = chr(missing[0])
    image, warning = render(TextSource(char, 40, font=mono), FontBook(folders=()))
    reference, _ = render(TextSource(char, 40), FontBook(folders=()))
    notdef, _ = render(TextSource("\ue000", 40, font=mono), FontBook(folders=()))
    assert not warning
    ink = alpha(image).sum()
    assert ink == pytest.approx(alpha(reference).sum(), rel=0.1)
    assert ink != alpha(notdef).sum()


@pytest.mark.skipif(not os.path.exists(SERIF), reason="DejaVu Serif is not installed")
@pytest.mark.parametrize("fontconfig", [True, False])
def test_a_family_name_picks_that_family_with_or_without_fontconfig(fontconfig: bool) -> None:
    if fontconfig and not shutil.which("fc-match"):
        pytest.skip("no fontconfig")
    book = FontBook(folders=(os.path.dirname(SERIF),), use_fontconfig=fontconfig)
    resolved = book.resolve("DejaVu Serif")
    assert resolved.warning == ""
    assert os.path.basename(resolved.path) == "DejaVuSerif.ttf"


@pytest.mark.skipif(not os.path.exists(SERIF), reason="DejaVu Serif is not installed")
async def test_family_through_grpc_and_an_unknown_family_is_a_warning(
    compiler: Running, tmp_path: Path
) -> None:
    serif = await picture(compiler, {"text": "Serif", "font": "DejaVu Serif"})
    by_path = await picture(compiler, {"text": "Serif", "font": SERIF})
    default = await picture(compiler, {"text": "Serif"})
    assert np.array_equal(serif, by_path) and not np.array_equal(serif, default)

    unknown = project(
        {**text_frame({"text": "Hi", "font": "No Such Family"}), "output": {"path": str(tmp_path / "x.mp4")}}
    )
    reply = await compiler.stub.ValidateProject(compiler_pb2.ValidateProjectRequest(project=unknown))
    assert reply.valid
    assert [(w.field, "No Such Family" in w.description) for w in reply.warnings] == [
        ("tracks[0].clips[0].source.text.font", True)
    ]
    assert np.array_equal(
        await picture(compiler, {"text": "Hi", "font": "No Such Family"}),
        await picture(compiler, {"text": "Hi"}),
    )


BASE = TextSource("Hello wide world", 32, color="#ffffff")


def alpha(image: Image.Image) -> np.ndarray:
    return np.asarray(image)[..., 3]


def test_wrapping_letter_spacing_and_line_height_change_the_block() -> None:
    book = FontBook(folders=())
    one, _ = render(BASE, book)
    wrapped, _ = render(replace(BASE, max_width=120), book)
    assert wrapped.height > 2 * one.height * 0.8 and wrapped.width < one.width
    spaced, _ = render(replace(BASE, letter_spacing=6), book)
    assert spaced.width - one.width == pytest.approx(6 * (len(BASE.text) - 1), abs=4)
    tall, _ = render(replace(BASE, text="a\nb", line_height=2.0), book)
    normal, _ = render(replace(BASE, text="a\nb"), book)
    assert tall.height > normal.height + 20


def test_shadow_box_padding_and_corner_radius() -> None:
    book = FontBook(folders=())
    shadowed, _ = render(replace(BASE, shadow_color="#ff0000", shadow_x=6, shadow_y=6, shadow_blur=2), book)
    plain, _ = render(BASE, book)
    pixels = np.asarray(shadowed).astype(int)
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 80) & (pixels[..., 3] > 60)
    assert red.sum() > 50 and shadowed.width > plain.width
    boxed, _ = render(replace(BASE, background_color="#0000ff", padding=20, corner_radius=16), book)
    a = alpha(boxed)
    assert a[0, 0] == 0 and a[-1, -1] == 0  # rounded corners
    assert a[boxed.height // 2, 3] == 255 and a[3, boxed.width // 2] == 255
    assert boxed.height >= plain.height + 30


async def test_bad_rich_text_and_text_animations_are_refused_by_field(compiler: Running) -> None:
    from .test_plugin_rpcs import field_violations, render_error

    bad = text_frame(
        {
            "text": "x" * 400,
            "fontSize": 200,
            "shadowBlur": -1,
            "shadowColor": "nope",
            "align": "middle",
            "lineHeight": 99,
            "animateIn": {"type": "spin", "duration": 0},
            "animateOut": {"type": "fade", "direction": "left"},
        }
    )
    bad["output"] = {"path": "x.mp4"}
    fields = set(field_violations(await render_error(compiler, project(bad))))
    p = "tracks[0].clips[0].source.text"
    assert {
        f"{p}.shadow_blur",
        f"{p}.shadow_color",
        f"{p}.align",
        f"{p}.line_height",
        f"{p}.animate_in.type",
        f"{p}.animate_in.duration",
        f"{p}.animate_out.direction",
    } <= fields
    huge = text_frame({"text": "x" * 400, "fontSize": 200})
    huge["output"] = {"path": "x.mp4"}
    assert field_violations(await render_error(compiler, project(huge))) == [f"{p}.text"]

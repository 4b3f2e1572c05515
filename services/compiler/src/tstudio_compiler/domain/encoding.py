"""Encoder choice and settings, shared by the executor and the ffmpeg command builder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from svckit.errors import FailedPrecondition, FieldViolation, InvalidArgument

from tstudio_compiler.domain.compositing import muxer_options
from tstudio_compiler.domain.model import Acceleration, OutputSettings

SOFTWARE = {
    "h264": "libx264",
    "hevc": "libx265",
    "vp9": "libvpx-vp9",
    "av1": "libsvtav1",
    "prores": "prores_ks",
    "gif": "gif",
    "apng": "apng",
    "webp": "libwebp_anim",
    "png": "png",
}
HARDWARE = {
    "h264": ("h264_nvenc", "h264_qsv", "h264_vaapi", "h264_videotoolbox"),
    "hevc": ("hevc_nvenc", "hevc_qsv", "hevc_vaapi", "hevc_videotoolbox"),
}
AUDIO = {"aac": "aac", "opus": "libopus", "mp3": "libmp3lame", "pcm": "pcm_s16le"}
# Containers that take each audio codec well; pcm only in mov/mkv.
CONTAINER_FORMATS = {
    "mp4": "mp4",
    "mov": "mov",
    "mkv": "matroska",
    "webm": "webm",
    "gif": "gif",
    "apng": "apng",
    "webp": "webp",
    "png": "image2",
}
DEFAULT_PRESET = "veryfast"


@dataclass(frozen=True)
class EncoderStatus:
    name: str
    codec: str
    hardware: bool
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class EncodeSettings:
    video_encoder: str
    pix_fmt: str
    options: dict[str, str] = field(default_factory=dict)
    bit_rate: int = 0
    audio_encoder: str = ""
    audio_bit_rate: int = 0
    container_format: str = "mp4"
    # Why software was used when hardware was asked for; empty otherwise.
    fallback_reason: str = ""
    # For a hardware encoder: what to use instead if it fails to open when the render starts.
    software_fallback: EncodeSettings | None = None
    # Muxer options (an animation's loop count).
    container_options: dict[str, str] = field(default_factory=dict)

    def falling_back(self, why: str) -> EncodeSettings:
        """The software settings, saying why the hardware encoder was not used."""
        assert self.software_fallback is not None
        reason = f"{self.video_encoder} failed to open ({why}); used {self.software_fallback.video_encoder}"
        return replace(self.software_fallback, fallback_reason=reason)


def crf_for(output: OutputSettings) -> int:
    """`crf` when given, else quality 1..100 mapped onto 35..15 (0 means the default 23)."""
    if output.crf is not None:
        return output.crf
    if not output.quality:
        return 23
    return round(35 - output.quality / 100 * 20)


def choose_encoder(output: OutputSettings, found: Mapping[str, EncoderStatus]) -> tuple[str, str]:
    """(encoder, fallback reason). Hardware per `acceleration`; REQUIRED without one fails."""
    codec = output.video_codec or "h264"
    software = SOFTWARE[codec]
    if output.encoder:
        status = found.get(output.encoder)
        if status is None or not status.available:
            why = status.reason if status else "unknown encoder"
            if output.acceleration is Acceleration.REQUIRED or status is None or not status.hardware:
                raise FailedPrecondition(
                    f"encoder {output.encoder} cannot be opened: {why}",
                    reason="ENCODER_UNAVAILABLE",
                    field_violations=[FieldViolation("output.encoder", why)],
                )
            return software, f"{output.encoder} unavailable ({why}); used {software}"
        return output.encoder, ""
    if output.acceleration in (Acceleration.NONE, Acceleration.UNSPECIFIED):
        return software, ""
    candidates = [found[n] for n in HARDWARE.get(codec, ()) if n in found]
    for status in candidates:
        if status.available:
            return status.name, ""
    reasons = "; ".join(f"{s.name}: {s.reason}" for s in candidates) or f"no hardware encoder for {codec}"
    if output.acceleration is Acceleration.REQUIRED:
        raise FailedPrecondition(
            f"no hardware encoder opens for {codec}",
            reason="NO_HARDWARE_ENCODER",
            field_violations=[FieldViolation("output.hardware_acceleration", reasons)],
        )
    return software, f"no hardware encoder available ({reasons}); used {software}"


def encode_settings(output: OutputSettings, found: Mapping[str, EncoderStatus]) -> EncodeSettings:
    encoder, fallback = choose_encoder(output, found)
    codec = output.video_codec or "h264"
    settings = _settings_for(output, encoder, fallback)
    hardware = found.get(encoder)
    if hardware is not None and hardware.hardware and output.acceleration is not Acceleration.REQUIRED:
        settings = replace(settings, software_fallback=_settings_for(output, SOFTWARE[codec], ""))
    return settings


def _settings_for(output: OutputSettings, encoder: str, fallback: str) -> EncodeSettings:
    codec = output.video_codec or "h264"
    crf = crf_for(output)
    preset = output.preset or DEFAULT_PRESET
    options: dict[str, str] = {}
    pix_fmt = "yuv420p"
    if encoder in ("libx264", "libx265"):
        options["preset"] = preset
        if not output.video_bitrate:
            options["crf"] = str(crf)
    elif encoder == "libvpx-vp9":
        if output.alpha:
            pix_fmt = "yuva420p"
        options.update(
            {
                "deadline": "realtime" if preset in ("ultrafast", "superfast", "veryfast") else "good",
                "cpu-used": "8",
                "row-mt": "1",
            }
        )
        if not output.video_bitrate:
            options.update({"crf": str(crf + 8), "b": "0"})
    elif encoder == "libsvtav1":
        options["preset"] = "10"
        if not output.video_bitrate:
            options["crf"] = str(crf + 10)
    elif encoder == "prores_ks":
        # ProRes 4444 (profile 4) carries alpha; 422 (profile 2) otherwise.
        pix_fmt = "yuva444p10le" if output.alpha else "yuv422p10le"
        options["profile"] = "4" if output.alpha else "2"
    elif encoder == "gif":
        pix_fmt = "rgb8"
    elif encoder in ("apng", "png"):
        pix_fmt = "rgba" if output.alpha else "rgb24"
    elif encoder == "libwebp_anim":
        pix_fmt = "yuva420p" if output.alpha else "yuv420p"
        options["quality"] = str(max(10, 100 - crf))
    elif encoder.endswith("_nvenc"):
        options.update({"preset": "p4", "cq": str(crf)})
    audio = output.audio_codec.lower()
    if codec in ("gif", "apng", "webp", "png") or output.container in ("gif", "apng", "webp", "png"):
        audio = "none"
    if audio == "aac" and output.container == "webm":
        raise InvalidArgument(
            "webm takes opus audio",
            field_violations=[FieldViolation("output.audio_codec", "use opus for webm")],
        )
    return EncodeSettings(
        video_encoder=encoder,
        pix_fmt=pix_fmt,
        options=options,
        bit_rate=output.video_bitrate,
        audio_encoder=AUDIO.get(audio, ""),
        audio_bit_rate=output.audio_bitrate or (192_000 if audio in ("aac", "opus", "mp3") else 0),
        container_format=CONTAINER_FORMATS.get(output.container, "mp4"),
        fallback_reason=fallback,
        container_options=muxer_options(output),
    )

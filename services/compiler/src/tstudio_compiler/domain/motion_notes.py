"""What ExplainRender's ffmpeg command does differently from a plain expression for each motion
feature of a project (so a reader knows which parts FFmpeg evaluates and which the service drew)."""

from __future__ import annotations

from tstudio_compiler.domain import easing, effect_motion
from tstudio_compiler.domain.model import Project


def notes(project: Project) -> list[str]:
    out = []
    for ti, track in enumerate(project.tracks):
        for ci, clip in enumerate(track.clips):
            cp = f"tracks[{ti}].clips[{ci}]"
            for ai, anim in enumerate(clip.animations):
                ap = f"{cp}.animations[{ai}] ({anim.property})"
                if effect_motion.parse(anim.property):
                    out.append(
                        f"{ap}: the effect's filters take no expressions; a sendcmd table sets the "
                        "options that change, one entry per frame"
                    )
                    continue
                if any(not easing.parse(k.easing).expression for k in anim.keyframes[1:]):
                    out.append(
                        f"{ap}: cubic-bezier has no closed form in FFmpeg expressions; its value at "
                        "every frame is written as a lookup (exact at the frames rendered)"
                    )
                if anim.property == "speed":
                    out.append(
                        f"{ap}: the command plays the ramp's sound at its mean speed (FFmpeg's atempo "
                        "drops sound at every run-time tempo change); the service time-stretches it along the ramp"
                    )
                if anim.property == "opacity":
                    out.append(
                        f"{ap}: colorchannelmixer's alpha takes no expression; a sendcmd [expr] sets it per frame"
                    )
            text = clip.source.text
            if text is not None and (text.animate_in or text.animate_out):
                out.append(
                    f"{cp}.source.text: text animations are drawn by the service; the command reads "
                    "them as a PNG sequence it wrote"
                )
            if clip.source.captions is not None:
                out.append(
                    f"{cp}.source.captions: captions are drawn by the service; the command reads "
                    "them as a PNG sequence it wrote"
                )
                if clip.source.captions.ignored:
                    tags = " ".join(clip.source.captions.ignored)
                    out.append(f"{cp}.source.captions: override tags not drawn: {tags}")
    return out

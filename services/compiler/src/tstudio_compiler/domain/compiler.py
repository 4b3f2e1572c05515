"""The compiler's use cases: validate, plan, render (as jobs), preview a frame, explain a render.

Everything outside (probing, rendering, rasterising, encoders, paths, threads) arrives through
the ports, built by the composition root.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import TypeVar

from svckit.errors import DeadlineExceeded, FieldViolation, InvalidArgument, Resource, ServiceError

from tstudio_compiler.domain.captions import CaptionsFileError
from tstudio_compiler.domain.compositing import source_length
from tstudio_compiler.domain.compositing_validation import compositing_files, wipe_violations
from tstudio_compiler.domain.encoding import EncoderStatus, EncodeSettings, encode_settings
from tstudio_compiler.domain.ffmpeg_command import ffmpeg_args, shell_command
from tstudio_compiler.domain.jobs import JobView
from tstudio_compiler.domain.model import Project, TrackKind
from tstudio_compiler.domain.nested import ProjectFiles, plan_nested
from tstudio_compiler.domain.plan import RenderPlan
from tstudio_compiler.domain.planner import VISUAL, Planner, effective_size, resolve_path
from tstudio_compiler.domain.ports import (
    Blocking,
    CaptionsReader,
    DiagnosticsSource,
    EncoderInventory,
    FramePreviewer,
    PathPolicy,
    SourceProber,
    TextImages,
)
from tstudio_compiler.domain.profiles import Profile, with_profile
from tstudio_compiler.domain.render_jobs import RenderJobs, RenderOrder
from tstudio_compiler.domain.source_ranges import check_source_ranges
from tstudio_compiler.domain.sources import SourceInfo
from tstudio_compiler.domain.timing import to_frame
from tstudio_compiler.domain.validation import Catalogs, Limits, validate


@dataclass(frozen=True)
class Prepared:
    project: Project
    sources: dict[str, SourceInfo]
    plan: RenderPlan
    # Plans of nested timelines, by clip id.
    nested: dict[str, RenderPlan] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Explanation:
    plan: RenderPlan
    args: list[str]
    command: str
    # As prepared (captions read from their files).
    project: Project | None = None


@dataclass(frozen=True)
class Frame:
    image: bytes
    mime_type: str
    width: int
    height: int
    time: float


T = TypeVar("T")


def invalid_project(
    violations: list[tuple[str, str]], reason: str = "INVALID_PROJECT", lead: str = "invalid project"
) -> InvalidArgument:
    """INVALID_ARGUMENT naming the first violation in its message and every one by field path."""
    first = f"{violations[0][0]}: {violations[0][1]}"
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return InvalidArgument(
        f"{lead}: {first}{more}",
        reason=reason,
        field_violations=[FieldViolation(f, d) for f, d in violations],
    )


class Compiler:
    def __init__(
        self,
        *,
        catalogs: Catalogs,
        limits: Limits,
        paths: PathPolicy,
        prober: SourceProber,
        previewer: FramePreviewer,
        text_images: TextImages,
        encoders: EncoderInventory,
        blocking: Blocking,
        jobs: RenderJobs,
        diagnostics: DiagnosticsSource | None = None,
        previews_dir: str = "previews",
        captions: CaptionsReader | None = None,
        command_files: Callable[[RenderPlan], None] | None = None,
        probe_timeout: float = 60.0,
        project_files: ProjectFiles | None = None,
    ) -> None:
        self._probe_timeout = probe_timeout
        self.catalogs = catalogs
        self.limits = limits
        self._paths = paths
        self._prober = prober
        self._previewer = previewer
        self._text_images = text_images
        self.encoders = encoders
        self._blocking = blocking
        self.jobs = jobs
        self.diagnostics = diagnostics
        # Where a prerendered stretch without an output path goes (storage every replica sees).
        self._previews_dir = previews_dir
        self._captions = captions
        # Writes files a printed command reads that no render wrote yet (tone-mapping LUTs).
        self._command_files = command_files
        # Reads nested project files (source.projectPath).
        self._project_files = project_files
        self._planner = Planner(catalogs.effects, catalogs.transitions, limits.max_segment_seconds)

    def default_base(self, project: Project) -> Project:
        """The project with the service's COMPILER_BASE_DIR as its base_dir when it names none:
        relative paths never resolve against the server's working folder."""
        default_base = getattr(self._paths, "base_dir", None)
        if project.base_dir or default_base is None:
            return project
        return replace(project, base_dir=str(default_base))

    async def validate(self, project: Project) -> list[tuple[str, str]]:
        """Every violation, including missing or unreadable media (as violations of their paths)."""
        violations = validate(project, self.catalogs, self.limits)
        try:
            prepared = await self.prepare(project, need_output=True)
        except ServiceError as exc:
            found = [(v.field, v.description) for v in exc.details.field_violations]
            seen = set(violations)
            return violations + [v for v in found if v not in seen] or [("", exc.message)]
        if prepared.plan.frames == 0:
            violations.append(("tracks", "the timeline is empty"))
        return violations

    async def prepare(
        self,
        project: Project,
        need_output: bool,
        cuts: tuple[int, ...] = (),
        own_output: bool = False,
        nesting: tuple[str, ...] = (),
    ) -> Prepared:
        """Validate, check paths, probe, plan. `cuts` start segments at extra frames; `own_output`
        marks an output path the compiler chose itself (its previews folder), outside the roots."""
        project = self.default_base(project)
        violations = validate(project, self.catalogs, self.limits)
        if need_output and not project.output.path:
            violations.append(("output.path", "is required to render"))
        if violations:
            raise invalid_project(violations)
        project = await self._read_captions(project)
        files: dict[str, str] = {}
        for ti, track in enumerate(project.tracks):
            for ci, clip in enumerate(track.clips):
                if clip.source.path:
                    field = f"tracks[{ti}].clips[{ci}].source.path"
                    path = resolve_path(clip.source.path, project.base_dir)
                    self._paths.check(path, field)
                    files[field] = path
                for field, extra in compositing_files(clip, f"tracks[{ti}].clips[{ci}]"):
                    files[field] = resolve_path(extra, project.base_dir)
                    self._paths.check(files[field], field)
        if project.output.path:
            output = resolve_path(project.output.path, project.base_dir)
            if need_output and not own_output:
                # Before any work; sources by identity, so a symlinked folder or a hard link cannot
                # hide one.
                self._paths.check_output(output, "output.path", files.values())
            elif not own_output:
                self._paths.check(output, "output.path")
        sources = await self._probe(files)
        # Keyed as the clips spell their paths (relative ones too).
        lengths = {
            c.source.path: source_length(c, sources[resolve_path(c.source.path, project.base_dir)])
            for t in project.tracks
            for c in t.clips
            if c.source.path
        }
        violations = validate(project, self.catalogs, self.limits, lengths)
        for field, path in files.items():
            track = project.tracks[int(field.split("]")[0].removeprefix("tracks["))]
            info = sources[path]
            # A sound file with a cover picture (which is not video) on a video track plays its
            # sound over what is under it; a bare sound file there is still a mistake.
            sound_on_video = track.kind is TrackKind.VIDEO and info.has_audio and info.attached_picture
            if track.kind in VISUAL and not info.has_video and not sound_on_video:
                violations.append((field, "has no picture; put sound-only files on an audio track"))
            elif track.kind is TrackKind.AUDIO and not sources[path].has_audio:
                violations.append((field, "has no sound"))
            elif (
                track.kind in VISUAL
                and sources[path].width * sources[path].height > self.limits.max_picture_pixels
            ):
                info = sources[path]
                violations.append(
                    (
                        field,
                        f"the picture is {info.width}x{info.height}, over the pixel budget of "
                        f"{self.limits.max_picture_pixels} pixels (COMPILER_MAX_PICTURE_PIXELS)",
                    )
                )
        violations += wipe_violations(files, sources)
        if violations:
            raise invalid_project(violations)
        check_source_ranges(project, lengths)
        planned_sources = sources

        async def plan_inner(inner: Project, chain: tuple[str, ...]) -> RenderPlan:
            return (await self.prepare(inner, need_output=False, nesting=chain)).plan

        async def load(path: str, field: str) -> Project:
            if self._project_files is None:
                raise invalid_project([(field, "this compiler reads no project files")])
            self._paths.check(path, field)
            return await self._blocking.run(self._project_files.load, path, field)

        nested = await plan_nested(project, effective_size(project), plan_inner, load, nesting)
        plan = self._planner.plan(project, planned_sources, cuts, nested)
        if plan.frames == 0:
            raise invalid_project([("tracks", "the timeline is empty")])
        if late := [(f"markers[{i}].time", f"is past the end of the timeline ({plan.duration:.3f} s)")
                    for i, m in enumerate(project.markers) if m.time >= plan.duration]:  # fmt: skip
            raise invalid_project(late)
        if plan.duration > self.limits.max_duration:
            raise invalid_project([("tracks", f"the timeline is longer than {self.limits.max_duration:g} s")])
        return Prepared(project, planned_sources, plan, nested)

    def measure_source(self, field: str, path: str, base_dir: str) -> tuple[int, int]:
        """Picture size of one source (blocking): the path is checked against the allowed roots and
        the file probed as a render would; missing or unreadable files raise naming `field`."""
        default_base = getattr(self._paths, "base_dir", None)
        resolved = resolve_path(path, base_dir or (str(default_base) if default_base else ""))
        self._paths.check(resolved, field)
        info = self._prober.probe_all({field: resolved})[resolved]
        if not info.has_video or not info.width or not info.height:
            raise invalid_project([(field, "has no picture")])
        return info.width, info.height

    async def _read_captions(self, project: Project) -> Project:
        """The project with every captions clip's cues read from its file."""
        tracks = list(project.tracks)
        for ti, track in enumerate(project.tracks):
            clips = list(track.clips)
            for ci, clip in enumerate(track.clips):
                captions = clip.source.captions
                if captions is None or captions.loaded:
                    continue
                field = f"tracks[{ti}].clips[{ci}].source.captions.path"
                if self._captions is None:
                    raise invalid_project([(field, "this compiler reads no subtitle files")])
                path = resolve_path(captions.path, project.base_dir)
                self._paths.check(path, field)
                try:
                    read = await self._blocking.run(functools.partial(self._captions.read, captions, path))
                except CaptionsFileError as exc:
                    raise invalid_project([(field, str(exc))]) from None
                except OSError as exc:
                    raise invalid_project([(field, f"cannot be read: {exc.strerror or exc}")]) from None
                clips[ci] = replace(clip, source=replace(clip.source, captions=read))
            tracks[ti] = replace(track, clips=tuple(clips))
        return replace(project, tracks=tuple(tracks))

    async def _probe(self, files: dict[str, str]) -> dict[str, SourceInfo]:
        """Probe with a deadline: a read that never returns must not hold the caller (the stuck
        worker shows in health instead)."""
        try:
            async with asyncio.timeout(self._probe_timeout):
                return await self._blocking.run(self._prober.probe_all, files)
        except TimeoutError:
            raise DeadlineExceeded(
                f"reading the sources took longer than {self._probe_timeout:g} s",
                reason="PROBE_TIMEOUT",
                resources=[Resource("file", path) for path in sorted(set(files.values()))],
            ) from None

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        return await self._blocking.run(fn)

    async def encoder_statuses(self) -> Mapping[str, EncoderStatus]:
        """Encoders found by opening them (the first call opens them, in a worker thread)."""
        return await self._blocking.run(self.encoders.encoders)

    def encode_settings(self, plan: RenderPlan) -> EncodeSettings:
        return encode_settings(plan.output, self.encoders.encoders())

    async def submit(
        self, project: Project, client_key: str = "", use_cache: bool = True, profile: Profile = Profile.FINAL
    ) -> JobView:
        """Validate and probe now (errors go to the caller), then queue the render."""
        project = with_profile(project, profile)
        prepared = await self.prepare(project, need_output=True)
        order = RenderOrder(
            prepared.plan, self.encode_settings(prepared.plan), project.name, client_key, use_cache
        )
        return await self.jobs.submit(order)

    async def prerender(
        self, project: Project, start: float, end: float, profile: Profile = Profile.PREVIEW
    ) -> tuple[JobView, float, float]:
        """Queue the stretch `start..end` (timeline seconds) as a render of its own; returns the job
        and the stretch on the frame grid. Without an output path it goes to the previews folder,
        named by its content, so asking again for an unchanged stretch finds its segments cached."""
        project = with_profile(project, profile)
        own_output = not project.output.path
        if own_output:
            name = hashlib.sha256(repr((project, start, end)).encode()).hexdigest()[:32]
            path = os.path.join(self._previews_dir, f"{name}.mp4")
            project = replace(project, output=replace(project.output, path=path, container="mp4"))
        fps = effective_size(project)[2]
        if not (math.isfinite(start) and math.isfinite(end)):
            raise invalid_project(
                [("start" if not math.isfinite(start) else "end", "must be a finite number")]
            )
        first, last = to_frame(start, fps), to_frame(end, fps)
        if first < 0:
            raise invalid_project([("start", "must be at least 0")])
        if last <= first:
            raise invalid_project([("end", "must be at least one frame after start")])
        prepared = await self.prepare(project, need_output=True, cuts=(first, last), own_output=own_output)
        if last > prepared.plan.frames:
            raise invalid_project([("end", f"must be within the timeline's {prepared.plan.duration:.3f} s")])
        plan = prepared.plan.window(first, last)
        job = await self.jobs.submit(RenderOrder(plan, self.encode_settings(plan), project.name))
        return job, first / fps, last / fps

    async def render_frame(
        self, project: Project, time: float, width: int, image_format: str, quality: int
    ) -> Frame:
        prepared = await self.prepare(project, need_output=False)
        plan = prepared.plan
        if not math.isfinite(time) or time < 0 or time > plan.duration:
            raise invalid_project([("time", f"must be within 0..{plan.duration:.3f}")])
        frame = min(to_frame(time, plan.fps), plan.frames - 1)
        graph = self._planner.segment_graph_at(
            plan, prepared.project, prepared.sources, frame, prepared.nested
        )
        out_width = width or plan.width
        if not 16 <= out_width <= 7680:
            raise invalid_project([("width", "must be within 16..7680, or 0")])
        try:
            # The same deadline as probing: a frame is a few reads and one graph run.
            async with asyncio.timeout(self._probe_timeout):
                image, w, h = await self._blocking.run(
                    self._previewer.render_frame, graph, plan, out_width, image_format, quality or 85
                )
        except TimeoutError:
            raise DeadlineExceeded(
                f"the frame took longer than {self._probe_timeout:g} s", reason="FRAME_TIMEOUT"
            ) from None
        mime = {"png": "image/png", "webp": "image/webp"}.get(image_format, "image/jpeg")
        return Frame(image, mime, w, h, frame / plan.fps)

    async def explain(self, project: Project, ffmpeg: str = "ffmpeg") -> Explanation:
        placeholder = not project.output.path
        if placeholder:
            project = replace(project, output=replace(project.output, path="out.mp4"))
        # The placeholder is never written: no path check for it (it may be relative).
        prepared = await self.prepare(project, need_output=False, own_output=placeholder)
        encode = self.encode_settings(prepared.plan)
        if self._command_files is not None:
            await self._blocking.run(self._command_files, prepared.plan)
        args = await self._blocking.run(
            ffmpeg_args, prepared.plan, encode, self._text_images.path_for, ffmpeg
        )
        return Explanation(prepared.plan, args, shell_command(args), prepared.project)

"""The per-frame matte of a luma wipe: at progress p (0..1 over the transition) a pixel whose wipe
grey is g (0..1) shows the incoming clip by clip((p * (1 + s) - g) / s, 0, 1), s the softness; with
s = 0 the edge is hard (g < p). Darker greys change first."""

from __future__ import annotations

import av
import numpy as np

from tstudio_compiler.adapters.frame_feeders import image_frame
from tstudio_compiler.adapters.source_files import ANY_SOURCE, SourceFiles
from tstudio_compiler.domain.plan import InputSpec


class LumaMatteFeeder:
    def __init__(self, spec: InputSpec, sources: SourceFiles = ANY_SOURCE) -> None:
        if spec.path:
            grey = image_frame(spec.path, sources).reformat(
                width=spec.width, height=spec.height, format="gray"
            )
            self._grey = grey.to_ndarray().astype(np.float32) / 255.0
        else:  # no wipe image: a left-to-right ramp
            ramp = np.linspace(0.0, 1.0, spec.width, dtype=np.float32)
            self._grey = np.broadcast_to(ramp, (spec.height, spec.width)).copy()
        self._frames = max(1, spec.clip_frames)
        self._softness = spec.softness

    def frame(self, local_frame: int) -> av.VideoFrame:
        p = min(1.0, max(0.0, local_frame / max(1, self._frames - 1)))
        s = self._softness
        if s > 0:
            matte = np.clip((p * (1 + s) - self._grey) / s, 0.0, 1.0)
        else:
            matte = (self._grey < p).astype(np.float32) if p < 1 else np.ones_like(self._grey)
        grey = np.rint(matte * 255).astype(np.uint8)
        return av.VideoFrame.from_ndarray(np.repeat(grey[..., None], 3, axis=2), format="rgb24")

    def close(self) -> None:
        pass

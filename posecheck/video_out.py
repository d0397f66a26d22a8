"""H.264 MP4 writing with PyAV.

OpenCV's pip wheel cannot encode H.264, and browsers will not play its mp4v output; PyAV's wheel
bundles libx264, so this is the one place video is written.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np


class H264Writer:
    """Streams BGR frames into an H.264 (yuv420p, faststart) MP4.

    Frames may carry their own timestamps (``t_s``), so a clip with dropped or irregular frames keeps
    its real timing; without them frames are spaced at ``fps``.
    """

    def __init__(self, path: str | Path, fps: float, width: int, height: int, crf: int = 23) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"bad frame size {width}x{height}")
        # yuv420p needs even dimensions: odd sizes lose their last column/row, and a 1-pixel side is
        # padded to 2 (libx264 refuses anything smaller).
        self.width = max(2, width - width % 2)
        self.height = max(2, height - height % 2)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.path = Path(path)
        self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        rate = Fraction(self.fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = self.width
        self._stream.height = self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        # Millisecond time base lets frames keep their real timestamps.
        self._stream.codec_context.time_base = Fraction(1, 1000)
        self._count = 0
        self._last_pts = -1
        self._closed = False

    def write(self, image: np.ndarray, t_s: float | None = None, rgb: bool = False) -> None:
        """Append one frame (BGR by default, as OpenCV draws; rgb=True for the pipeline's RGB frames)."""
        img = image[: self.height, : self.width]
        short_h, short_w = self.height - img.shape[0], self.width - img.shape[1]
        if short_h or short_w:
            if short_h > 1 or short_w > 1:
                raise ValueError(f"frame {image.shape[1]}x{image.shape[0]} smaller than {self.width}x{self.height}")
            img = np.pad(img, ((0, short_h), (0, short_w), (0, 0)), mode="edge")  # a 1-pixel side, doubled
        img = np.ascontiguousarray(img)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24" if rgb else "bgr24")
        pts = round((t_s if t_s is not None else self._count / self.fps) * 1000)
        pts = max(pts, self._last_pts + 1)  # strictly increasing, or the muxer refuses
        frame.pts = pts
        frame.time_base = Fraction(1, 1000)
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._count += 1

    @property
    def frames_written(self) -> int:
        return self._count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

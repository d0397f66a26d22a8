"""Frame sources: video files and live frame streams, both yielding the same `Frame` record.

Frames are RGB (what MediaPipe wants and what PyAV and the webcam deliver), so no colour conversion
happens on the hot path. Timestamps are real: container presentation times for files, the camera's
own times for live frames, never index / nominal fps.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import av.logging
import cv2
import numpy as np

from posecheck.errors import PosecheckError

log = logging.getLogger(__name__)

# No FFmpeg log callback at all (not even PANIC): PyAV's callback takes the GIL for every error line, and
# on a damaged clip an FFmpeg decoder thread logging an error while the decoding thread holds the GIL in
# avcodec_free_context deadlocks the process (issue 13: 7 of 10 decodes hung with PANIC, 0 with None).
# FFmpeg's messages would also drown the one clear message we give instead.
av.logging.set_level(None)
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


@dataclass(frozen=True)
class Frame:
    """One video frame: seconds since the clip/stream start, an RGB uint8 image, its index."""

    t_s: float
    rgb: np.ndarray
    index: int

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int  # after rotation
    height: int
    fps: float  # nominal, for display and writing; timing uses real timestamps
    duration_s: float
    frame_count: int  # container's estimate; 0 when unknown
    rotation_deg: int  # clockwise rotation applied to display the frames upright
    backend: str  # "pyav" or "opencv"


STALL_S = 20.0  # no frame for this long: the decoder is stuck; stop and keep what was read


def open_video(path: str | Path, prefetch: int = 4, isolate: bool = True, max_side: int | None = None) -> VideoSource:
    """Open a clip for streaming; raises PosecheckError with a user-facing message when it cannot. `max_side`:
    frames larger than that many pixels come scaled down (`downscale`), by the decoder, beside the caller."""
    return VideoSource(path, prefetch=prefetch, isolate=isolate, max_side=max_side)


def downscale(frame: Frame, max_side: int) -> Frame:
    """The frame scaled (INTER_AREA) so its longer side is `max_side` pixels."""
    scale = max_side / max(frame.width, frame.height)
    size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
    return Frame(frame.t_s, cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA), frame.index)


def fitted(frames: Iterator[Frame], max_side: int | None) -> Iterator[Frame]:
    """`frames`, each larger than `max_side` pixels scaled down to it (None or 0: as they are)."""
    for f in frames:
        yield downscale(f, max_side) if max_side and max(f.width, f.height) > max_side else f


class VideoSource:
    """Streams frames from a file. Iterate it (once); memory stays bounded by the prefetch queue.

    Decoding runs in a child process by default (`decode_worker`): a decoder that hangs on a damaged
    file (FFmpeg has deadlocked holding the GIL) can then never freeze the caller, e.g. the app's
    server; after `stall_s` seconds without a frame it is killed and the frames read so far stand.
    `isolate=False` decodes in a background thread instead (PyAV releases the GIL while decoding).
    Either way decoding overlaps pose inference, and so does the scaling down to `max_side` (a phone's
    1080x1920 frame took 7 ms to scale, a third of an analysis's time on the caller's thread).
    """

    def __init__(self, path: str | Path, prefetch: int = 4, isolate: bool = True,
                 stall_s: float | None = None, max_side: int | None = None) -> None:
        self.path = Path(path)
        self.prefetch = max(1, prefetch)
        self.isolate = isolate
        self.max_side = max_side
        self.stall_s = stall_s
        self.stopped: str | None = None  # why decoding ended before the end of the file, once known
        _check_regular_file(self.path)
        info = _probe_pyav(self.path)
        if isinstance(info, str):
            info = _probe_opencv(self.path) or info
        if isinstance(info, str):
            raise PosecheckError(f"{self.path} {info}")
        self.info: VideoInfo = info

    def __iter__(self) -> Iterator[Frame]:
        stall_s = self.stall_s if self.stall_s is not None else STALL_S
        if self.info.backend != "pyav":
            frames = _prefetched(fitted(_frames_opencv(self.path), self.max_side), self.prefetch, stall_s, self)
        elif self.isolate:
            from posecheck.decode_worker import frames_in_child

            frames = frames_in_child(self.path, self.info, self.prefetch, stall_s, self, max_side=self.max_side)
        else:
            frames = _prefetched(fitted(_frames_pyav(self.path, self.info), self.max_side), self.prefetch, stall_s,
                                 self)
        count = 0
        for frame in frames:
            count += 1
            yield frame
        if count == 0:
            raise PosecheckError(f"{self.path} contains no decodable video frames"
                                 + (f" ({self.stopped})" if self.stopped else ""))
        if self.stopped:
            log.warning("%s: %s after %d frames", self.path, self.stopped, count)

    def note_stop(self, reason: str) -> None:
        """Called by the frame feeders when decoding ends early (a stall, a crashed decoder)."""
        self.stopped = self.stopped or reason


def decode_shortfall(decoded: int, info: VideoInfo) -> str | None:
    """A warning when fewer frames decoded than the container lists (a damaged or cut file), else None.

    A couple of frames' slack: containers' counts and decoders' output can differ by an edge frame.
    """
    expected = info.frame_count
    if decoded <= 0 or expected <= 0 or expected - decoded <= max(2, 0.02 * expected):
        return None
    return (f"decoded {decoded} of {expected} frames; the rest of the file is damaged or missing, "
            "so the results cover only the part that could be read")


def _check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file before anything opens it (a FIFO would block the reader)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise PosecheckError(f"File not found: {path}") from None
    except OSError as exc:
        raise PosecheckError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise PosecheckError(f"{path} is a folder, not a video file")
    if not stat.S_ISREG(st.st_mode):
        raise PosecheckError(f"{path} is not a regular file (a pipe, device or socket), so it cannot be a clip")
    if st.st_size == 0:
        raise PosecheckError(f"{path} is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise PosecheckError(f"{path} cannot be read (permission denied)")


# --- PyAV -------------------------------------------------------------------------------------


def _probe_pyav(path: Path) -> VideoInfo | str:
    """VideoInfo, or the reason (completing "<name> ...") why the file cannot be read."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError, OSError):
        return "is not a video file this program can read"
    try:
        with container:
            if not container.streams.video:
                return "has no video stream"
            if _is_still_image(container):  # final: the OpenCV fallback would read it as a 1-frame clip
                codec = container.streams.video[0].codec_context.name.replace("mjpeg", "jpeg").upper()
                raise PosecheckError(f"{path} is a still image ({codec}), not a video: "
                                     "record a clip of the exercise")
            stream = container.streams.video[0]
            # One decoding thread: no FFmpeg worker thread exists that could deadlock closing the codec.
            stream.codec_context.thread_count = 1
            # Rotation lives in the first frame's display matrix; decode one to learn it (and to
            # prove the codec is readable at all).
            try:
                first = next(container.decode(stream), None)
            except av.FFmpegError:
                first = None
            if first is None:
                return "has a video stream but no frame could be decoded (truncated, corrupt or unsupported codec)"
            rotation = _clockwise_rotation(first)
            w, h = first.width, first.height
            if rotation in (90, 270):
                w, h = h, w
            fps = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            return VideoInfo(str(path), w, h, fps, duration, int(stream.frames or 0), rotation, "pyav")
    except (av.FFmpegError, ValueError, IndexError, OSError):
        return "could not be read as a video"


def _is_still_image(container: av.container.InputContainer) -> bool:
    """A PNG/JPEG/... file (FFmpeg's image readers are called "<codec>_pipe" or "image2")."""
    name = container.format.name or ""
    return any(n.endswith("_pipe") or n == "image2" for n in name.split(","))


def _clockwise_rotation(frame: av.VideoFrame) -> int:
    # PyAV reports the display matrix's counter-clockwise angle; phone clips say e.g. -90.
    try:
        ccw = int(frame.rotation or 0)
    except (AttributeError, ValueError):
        ccw = 0
    return (-round(ccw / 90) * 90) % 360


def _frames_pyav(path: Path, info: VideoInfo) -> Iterator[Frame]:
    index = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            t0: float | None = None
            last_t = -math.inf
            k = (info.rotation_deg // 90) % 4
            for vf in container.decode(stream):
                rgb: np.ndarray = vf.to_ndarray(format="rgb24")
                if k:
                    rgb = np.ascontiguousarray(np.rot90(rgb, -k))  # rot90 turns counter-clockwise
                t = vf.time
                if t is None:  # no pts: fall back to the nominal rate, kept monotonic
                    t = (last_t + 1.0 / info.fps) if last_t > -math.inf else 0.0
                if t0 is None:
                    t0 = t
                t_s = max(t - t0, last_t + 1e-6) if last_t > -math.inf else 0.0
                last_t = t_s
                yield Frame(t_s, rgb, index)
                index += 1
    except av.FFmpegError as exc:
        # A truncated clip: keep what decoded, say nothing more (the caller reports frame counts).
        if index == 0:
            raise PosecheckError(f"{path} could not be decoded ({type(exc).__name__})") from None


# --- OpenCV fallback --------------------------------------------------------------------------


def _probe_opencv(path: Path) -> VideoInfo | None:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return None
        ok, img = cap.read()
        if not ok or img is None:
            return None
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        h, w = img.shape[:2]
        return VideoInfo(str(path), w, h, float(fps), n / fps if fps else 0.0, n, 0, "opencv")
    finally:
        cap.release()


def _frames_opencv(path: Path) -> Iterator[Frame]:
    cap = cv2.VideoCapture(str(path))  # OpenCV applies rotation metadata itself
    try:
        index = 0
        last_t = -math.inf
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        while True:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(t) or t <= last_t:
                t = index / fps if last_t == -math.inf else last_t + 1.0 / fps
            last_t = t
            yield Frame(t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), index)
            index += 1
    finally:
        cap.release()


# --- threading helpers ------------------------------------------------------------------------

_END = object()


class StopNotes(Protocol):
    def note_stop(self, reason: str) -> None: ...


def stall_reason(stall_s: float) -> str:
    return f"the decoder stopped responding (no frame for {stall_s:g} s)"


def _prefetched(gen: Iterator[Frame], depth: int, stall_s: float = math.inf,
                notes: StopNotes | None = None) -> Iterator[Frame]:
    """Run `gen` in a daemon thread, handing frames over through a bounded queue.

    No frame for `stall_s` seconds ends the stream (noted in `notes`): the stuck thread is left behind,
    it cannot be killed, but it no longer blocks the caller.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in gen:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            q.put(exc)

    thread = threading.Thread(target=worker, name="posecheck-decode", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = q.get(timeout=stall_s if math.isfinite(stall_s) else None)
            except queue.Empty:
                if notes is not None:
                    notes.note_stop(stall_reason(stall_s))
                return
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=1.0)


# --- live frames ------------------------------------------------------------------------------


class LiveFrameStream:
    """Frames pushed by a camera callback with their own timestamps, pulled by a consumer.

    Bounded: when the consumer falls behind, the oldest frames are dropped (live coaching wants the
    newest frame; timers use timestamps so dropped frames do not distort them).
    """

    def __init__(self, maxsize: int = 2) -> None:
        self.maxsize = max(1, maxsize)
        self._q: queue.Queue = queue.Queue()  # bounded by push(), so close() never has to drop a frame
        self._lock = threading.Lock()
        self._index = 0
        self._t0: float | None = None
        self.dropped = 0

    def push(self, rgb: np.ndarray, t_s: float) -> None:
        with self._lock:
            if self._t0 is None:
                self._t0 = t_s
            while self._q.qsize() >= self.maxsize:
                try:
                    self._q.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    break
            self._q.put(Frame(t_s - self._t0, rgb, self._index))
            self._index += 1

    def close(self) -> None:
        self._q.put(_END)

    def __iter__(self) -> Iterator[Frame]:
        while True:
            item = self._q.get()
            if item is _END:
                return
            yield item

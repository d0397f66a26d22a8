"""Decoding a clip in a child process, so a decoder that hangs can never freeze the caller.

FFmpeg can deadlock on a damaged file while holding Python's GIL (issue 13); in-process, that froze
the whole app server. Here the child decodes and writes raw RGB frames to a pipe; the parent reads
them in a thread and, when no frame has come for `stall_s` seconds, kills the child and keeps what it
had. The cost is one interpreter start (~0.3 s) and a memory copy per frame (see bench/ and README).

Wire format on the child's stdout, little-endian:
  b"F" + (t_s: f64, index: u64, height: u32, width: u32) + height*width*3 bytes of RGB
  b"E" + (length: u32) + that many bytes of UTF-8: "" when the clip ended normally, else why not
"""

from __future__ import annotations

import os
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from posecheck import settings
from posecheck.errors import PosecheckError
from posecheck.sources import Frame, StopNotes, VideoInfo, stall_reason

_FRAME = struct.Struct("<dQII")
_LEN = struct.Struct("<I")
_END = object()
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def child_command(path: Path, info: VideoInfo, max_side: int | None = None) -> list[str]:
    """The child's command line (a module-level function so tests can put a stuck decoder in its place)."""
    return [sys.executable, "-m", "posecheck.decode_worker", str(path), str(info.rotation_deg), repr(info.fps),
            str(max_side or 0)]


def frames_in_child(path: Path, info: VideoInfo, depth: int, stall_s: float, notes: StopNotes | None = None,
                    max_side: int | None = None) -> Iterator[Frame]:
    """The clip's frames, decoded (and scaled down to `max_side`) by a child process; ends early (noted in
    `notes`) on a stall or crash."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
    quiet = not settings.current().verbose
    proc = subprocess.Popen(child_command(path, info, max_side), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL if quiet else None, env=env)
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    reader = threading.Thread(target=_read_frames, args=(proc.stdout, q, stop), name="posecheck-decode-read",
                              daemon=True)
    reader.start()
    try:
        yield from _consume(q, stall_s, notes)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=2.0)
        if proc.stdout is not None:
            proc.stdout.close()


def _consume(q: queue.Queue, stall_s: float, notes: StopNotes | None) -> Iterator[Frame]:
    count = 0
    while True:
        try:
            item = q.get(timeout=stall_s)
        except queue.Empty:
            if notes is not None:
                notes.note_stop(stall_reason(stall_s))
            return
        if item is _END:
            if notes is not None:
                notes.note_stop("the decoder stopped unexpectedly")
            return
        if isinstance(item, str):  # the child's last word: "" is a normal end
            if item and count == 0:
                raise PosecheckError(item)
            return
        count += 1
        yield item


def _read_frames(pipe: IO[bytes] | None, q: queue.Queue, stop: threading.Event) -> None:
    """Reader thread: pipe -> Frame objects (or the end message) on the queue; _END when the pipe breaks."""

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        while pipe is not None and not stop.is_set():
            tag = pipe.read(1)
            if tag == b"F":
                head = _read_exact(pipe, _FRAME.size)
                if head is None:
                    break
                t_s, index, h, w = _FRAME.unpack(head)
                data = _read_exact(pipe, h * w * 3)
                if data is None:
                    break
                if not put(Frame(t_s, np.frombuffer(data, np.uint8).reshape(h, w, 3), index)):
                    return
            elif tag == b"E":
                head = _read_exact(pipe, _LEN.size)
                text = _read_exact(pipe, _LEN.unpack(head)[0]) if head is not None else None
                put(bytes(text).decode("utf-8", "replace") if text is not None else "")
                return
            else:
                break
    except (OSError, ValueError):
        pass  # the pipe was closed under us: the consumer has gone
    put(_END)


def _read_exact(pipe: IO[bytes], n: int) -> bytearray | None:
    """Exactly n bytes (writable, so frames can be drawn on), or None at end of file."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = pipe.readinto(view[got:])  # type: ignore[attr-defined]
        if not k:
            return None
        got += k
    return buf


# --- the child ------------------------------------------------------------------------------------


def _child(path: str, rotation_deg: int, fps: float, max_side: int = 0) -> int:
    from posecheck.sources import _frames_pyav, fitted

    # Frames go to a private copy of stdout; fd 1 itself goes where stderr goes, so nothing a library
    # prints can ever be mistaken for frame data.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    info = VideoInfo(path, 0, 0, fps, 0.0, 0, rotation_deg, "pyav")
    message = ""
    try:
        for f in fitted(_frames_pyav(Path(path), info), max_side):
            rgb = np.ascontiguousarray(f.rgb)
            out.write(b"F" + _FRAME.pack(f.t_s, f.index, rgb.shape[0], rgb.shape[1]))
            out.write(rgb.data)
    except PosecheckError as exc:
        message = str(exc)
    except BrokenPipeError:
        return 0  # the parent stopped reading: it has what it wanted
    except Exception as exc:  # any other failure still ends the stream with words, never a hang
        message = f"{path} could not be decoded ({type(exc).__name__})"
    try:
        data = message.encode()
        out.write(b"E" + _LEN.pack(len(data)) + data)
        out.flush()
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0))

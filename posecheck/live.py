"""Live webcam coaching without Streamlit: one `LiveSession` per browser session turns camera frames into
annotated frames, counted reps/holds and a snapshot the page reads.

Two threads share the work so the pose never holds up the video. The camera callback (a WebRTC worker
thread) calls `video_frame(rgb, t_s)`: it leaves the frame in a one-slot mailbox for the pose worker and
returns at once with the newest pose result drawn on. The pose worker (one per stream) takes the newest
frame, runs the frame step (MediaPipe, kinematics, camera check, tracker) and publishes the result; frames
it had no time for are dropped, not queued. `process(rgb, t_s)` is the same step done synchronously on the
caller's thread (tests, benchmarks, `threaded=False`), so replayed streams count exactly.

The page (another thread) calls `snapshot()`, which never waits for MediaPipe: each processed frame
publishes an immutable `LiveSnapshot` by swapping one reference. Counting uses the frames' own timestamps,
so frames dropped under load change nothing but smoothness. A camera check gates the tracker: nothing is
counted until a whole body has been seen, in a view the exercise supports, for a moment.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from posecheck import pose as P
from posecheck.crowd import SecondPersonCheck
from posecheck.engine import STEP_INTO_VIEW, SideChoice, Tracker
from posecheck.engine.primitives import Debounce
from posecheck.exercises import Exercise
from posecheck.kinematics import Kinematics
from posecheck.latest import LatestOnly, RateMeter
from posecheck.overlay import Hud, draw_overlay
from posecheck.pipeline import DEFAULT_SMOOTHING, DEFAULT_SOURCE, AnglePipeline, FrameStep, StepOutput
from posecheck.pose import Estimator
from posecheck.records import SetEnd, SetResult, TrackerState, set_result
from posecheck.report import hud_from_state
from posecheck.settings import Settings
from posecheck.sources import Frame

log = logging.getLogger(__name__)

ICE_SERVERS_ENV = "POSECHECK_ICE_SERVERS"
CHECK_FRAMES = 8  # consecutive good frames the camera check wants...
CHECK_S = 0.6  # ...spanning at least this long, so one lucky frame does not start counting
CHECK_GRACE_S = 0.15  # a problem this brief (a frame or two without the body) pauses the check, not restarts it
MIN_BODY_FRACTION = 0.25  # a body smaller than this part of the frame is too far for reliable angles
EDGE_PX_FRACTION = 0.01
MIN_VIS = 0.5
FPS_WINDOW_S = 2.0
MAX_GAP_S = 5.0  # a pause longer than this between frames (a frozen camera) is not treated as motion time
JOIN_S = 5.0  # how long close() waits for the pose worker's frame in flight (one inference, ~30 ms)
# How much lower the pose worker's CPU priority is than the video's. A/B in Chromium on a loaded 2-core
# machine: video 24.5 fps median with +5, 20.5-23.8 with 0 (the old serial callback: 8-11.5).
POSE_NICE = 5

# Landmarks that must be inside the frame for "whole body": head, shoulders, hips, knees, ankles.
_BODY = {
    "head": (P.NOSE,),
    "shoulders": (P.LEFT_SHOULDER, P.RIGHT_SHOULDER),
    "hips": (P.LEFT_HIP, P.RIGHT_HIP),
    "knees": (P.LEFT_KNEE, P.RIGHT_KNEE),
    "feet": (P.LEFT_ANKLE, P.RIGHT_ANKLE),
}
_SIDE_CHAINS = (
    (P.LEFT_SHOULDER, P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE),
    (P.RIGHT_SHOULDER, P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE),
)
_VIEW_ASK = {"side": "Turn sideways to the camera for this one",
             "front": "Face the camera for this one",
             "oblique": "Turn about 45 degrees to the camera for this one"}


# --- ICE servers ----------------------------------------------------------------------------------


def ice_servers_from_env(environ: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """(ICE servers, problem) from POSECHECK_ICE_SERVERS.

    Unset or empty means no servers: browser and server find each other directly (localhost, a LAN), and
    nothing is ever fetched from the internet. The value is JSON: a list of RTCIceServer objects, or
    {"iceServers": [...]}. A malformed value falls back to no servers and returns the reason to show.
    """
    raw = Settings.from_env(environ).ice_servers
    if not raw:
        return [], None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return [], f"{ICE_SERVERS_ENV} is not valid JSON ({exc.msg}); using no ICE servers"
    if isinstance(data, dict):
        data = data.get("iceServers")
    if not isinstance(data, list) or not all(isinstance(s, dict) and "urls" in s for s in data):
        return [], f"{ICE_SERVERS_ENV} must be a JSON list of {{\"urls\": ...}} objects; using no ICE servers"
    return data, None


def rtc_configuration(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Always an explicit list: an absent one makes streamlit-webrtc fetch public servers from the internet."""
    return {"iceServers": ice_servers_from_env(environ)[0]}


# --- camera check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraCheck:
    ready: bool
    issue: str  # no_person | too_close | too_far | out_of_frame | wrong_view | hold_still | ok
    message: str  # what to do, in words
    progress: float  # 0..1 toward ready


def frame_issue(kin: Kinematics, exercise: Exercise) -> tuple[str, str]:
    """(issue, message) for one frame; issue "ok" when it shows a whole body in a supported view."""
    pose = kin.pose
    if not kin.detected or pose is None or pose.image_px is None or pose.visibility is None:
        return "no_person", STEP_INTO_VIEW
    px, vis, w, h = pose.image_px, pose.visibility, pose.width, pose.height
    mx, my = EDGE_PX_FRACTION * w, EDGE_PX_FRACTION * h
    key = [i for ids in _BODY.values() for i in ids]
    xs, ys = px[key, 0], px[key, 1]
    span = max(xs.max() - xs.min(), ys.max() - ys.min())
    if (ys.max() - ys.min()) > 0.98 * h or (xs.max() - xs.min()) > 0.98 * w:
        return "too_close", "Step back: your whole body, head to feet, must fit in the picture"
    missing = [part for part, ids in _BODY.items()
               if any(not (-mx <= px[i, 0] <= w + mx and -my <= px[i, 1] <= h + my) for i in ids)]
    if missing:
        if missing == ["feet"] or missing == ["knees", "feet"]:
            return "out_of_frame", "Step back or tilt the camera down: I need to see your feet"
        if "head" in missing and "feet" not in missing:
            return "out_of_frame", "Step back or tilt the camera up: your head is out of the picture"
        return "out_of_frame", "Move into the middle of the picture and step back: get your whole body in frame"
    if not any((vis[list(chain)] >= MIN_VIS).all() for chain in _SIDE_CHAINS):
        return "out_of_frame", "I can't see your legs clearly: step back, into better light"
    if span < MIN_BODY_FRACTION * max(w, h):
        return "too_far", "Come a little closer to the camera"
    if kin.view not in exercise.views and kin.view != "unknown":
        return "wrong_view", _VIEW_ASK.get(exercise.views[0], "Change the camera angle")
    return "ok", "Hold still..."


class CameraGate:
    """Opens once `CHECK_FRAMES` good frames spanning `CHECK_S` pass `frame_issue`; stays open.

    A problem lasting no longer than `CHECK_GRACE_S` (MediaPipe losing the body for a frame or two while it
    re-locks) pauses the check instead of restarting it; a longer one starts it over.
    """

    def __init__(self, exercise: Exercise, need_frames: int = CHECK_FRAMES, need_s: float = CHECK_S,
                 grace_s: float = CHECK_GRACE_S) -> None:
        self.exercise = exercise
        self.need_frames = max(1, need_frames)
        self.need_s = max(0.0, need_s)
        self.grace_s = max(0.0, grace_s)
        self.reset()

    def reset(self) -> None:
        self._good = 0
        self._held = Debounce(self.need_s, self.grace_s)  # good frames, surviving a brief re-lock
        self.ready = False

    def update(self, kin: Kinematics) -> CameraCheck:
        if self.ready:
            return CameraCheck(True, "ok", "Counting", 1.0)
        issue, message = frame_issue(kin, self.exercise)
        self._held.update(kin.t_s, issue == "ok")
        if issue != "ok":
            if self._held.since is None:
                self._good = 0
            return CameraCheck(False, issue, message, 0.0)
        self._good += 1
        held = self._held.held_s(kin.t_s)
        progress = min(self._good / self.need_frames, held / self.need_s if self.need_s else 1.0)
        if progress >= 1.0:
            self.ready = True
            return CameraCheck(True, "ok", "Counting", 1.0)
        return CameraCheck(False, "hold_still", message, max(0.0, progress))


# --- sets and snapshot ----------------------------------------------------------------------------


SetSummary = SetResult  # the old name of a filed live set: it is the one set record (records.SetResult)


@dataclass(frozen=True)
class LiveSnapshot:
    running: bool  # a stream is feeding frames (MediaPipe graph alive)
    exercise_id: str
    check: CameraCheck
    counting: bool
    reps_left: int
    reps_right: int
    reps_total: int
    partial: int
    hold_s: float | None
    hold_target_s: float | None
    phase: str
    cue: str | None
    cue_severity: str
    view: str
    current: SetResult | None  # the set in progress (ended "in progress"), None before anything was counted
    sets: tuple[SetResult, ...]  # finished sets, oldest first
    rep_seq: int  # reps counted in this session; only grows (the page beeps once per increase)
    hold_seq: int  # holds completed in this session; only grows
    frames: int  # seen by the pose in this session
    frames_with_pose: int
    pose_fps: float  # frames through the pose step per wall-clock second, last FPS_WINDOW_S
    pose_ms: float  # mean pose step (MediaPipe + kinematics + tracker) time over the same window
    frame_size: tuple[int, int] | None
    error: str | None
    video_fps: float = 0.0  # annotated frames handed back to the video per second (>= pose_fps when threaded)
    video_ms: float = 0.0  # mean time the video callback spent per frame (drawing; the pose is elsewhere)
    crowd: str | None = None  # "A second person is in view ...": the counts follow one person only

    @property
    def sets_done(self) -> int:
        return len(self.sets)

    @property
    def set_complete(self) -> bool:
        """The set in progress has reached its targets (the page, the voice and the beeps mark the moment)."""
        return self.current is not None and self.current.target_reached


_blank_state = TrackerState.blank


def target_reached(exercise: Exercise, tracker: Tracker) -> bool:
    """The exercise's targets met by what the tracker counted (SetResult.target_met, the one definition)."""
    return set_result(exercise, tracker, side=tracker.sides[0] if len(tracker.sides) == 1 else "both").target_met


# --- the session ----------------------------------------------------------------------------------


class LiveSession:
    """One browser session's engine: pipeline (MediaPipe graph) + tracker + camera check + set history.

    `video_frame` runs on the camera thread and hands frames to this session's pose worker; `process` does
    the same step synchronously on the caller's thread; `snapshot` runs on any thread; `set_exercise`,
    `finish_set`, `reset` and `close` on the page's thread. Everything the pose step touches (pipeline,
    tracker, gate, sets) is guarded by `_lock`; the video path only reads the published overlay and
    snapshot. The MediaPipe graph is built on the first frame of a stream and released by `close()` (stream
    ended), which stops the worker and files the set in progress as a summary.
    """

    def __init__(self, exercise: Exercise, side: SideChoice = "auto", *, model_path: str | Path | None = None,
                 check_frames: int = CHECK_FRAMES, check_s: float = CHECK_S,
                 estimator_factory: Callable[[], Estimator] | None = None, strict_depth: bool | None = None,
                 threaded: bool = True, crowd_check: bool | None = None) -> None:
        self._lock = threading.RLock()  # serialises frame processing against control calls
        self._snap_lock = threading.Lock()  # guards only the published snapshot and overlay references
        self.threaded = threaded  # False: video_frame runs the pose itself (deterministic, as process)
        self._model_path = model_path
        self._check_frames, self._check_s = check_frames, check_s
        self._pipe: AnglePipeline | None = None
        self._step: FrameStep | None = None
        self._estimator_factory = estimator_factory  # None: MediaPipe (tests may replay recorded poses)
        self._strict_depth = strict_depth  # None: the exercise's own setting
        # The second-person check (once a second, on the pose thread); by default only with real MediaPipe,
        # since it runs a MediaPipe graph of its own.
        self._crowd_on = estimator_factory is None if crowd_check is None else crowd_check
        self._crowd: SecondPersonCheck | None = None
        self._crowd_msg: str | None = None  # kept after the stream ends, for the page
        self._sets: list[SetResult] = []
        self._rep_seq = self._hold_seq = 0
        self._frames = self._with_pose = 0
        self._pose_rate, self._video_rate = RateMeter(FPS_WINDOW_S), RateMeter(FPS_WINDOW_S)
        self._epoch = 0  # bumped by every new set and stop: a frame handed over before that is not counted
        self._set_t0: float | None = None  # the first counted frame of the set in progress
        self._worker: threading.Thread | None = None
        self._mailbox: LatestOnly[tuple[np.ndarray, float, int]] | None = None
        self._worker_lock = threading.Lock()  # starting/stopping the worker (camera thread vs close())
        self._kin = _NO_PERSON  # the newest frame's kinematics (what the overlay draws)
        self._error: str | None = None
        self._frame_size: tuple[int, int] | None = None
        self._t_first: float | None = None  # raw time of the stream's first frame
        self._t_raw_last = -math.inf
        self._t_base = self._t_last = 0.0  # session clock: continues across streams, never goes back
        # Called with each frame's kinematics on the pose thread (e.g. recognition of another exercise);
        # an observer must be quick and must not raise.
        self.frame_observers: list[Callable[[Kinematics], None]] = []
        self._set_exercise(exercise, side)
        self._publish(_blank_state(0.0, "unknown", STEP_INTO_VIEW), self._gate.update(_NO_PERSON))

    # --- control (page thread) ----------------------------------------------------------------

    @property
    def exercise(self) -> Exercise:
        return self._ex

    @property
    def side(self) -> SideChoice:
        return self._side

    def set_exercise(self, exercise: Exercise, side: SideChoice = "auto", strict_depth: bool | None = None) -> None:
        """Switch exercise/side/strict depth (None: the exercise's own setting); the set in progress is kept as a
        summary. No-op when nothing changes."""
        with self._lock:
            if (exercise.id == self._ex.id and side == self._side and exercise == self._ex
                    and strict_depth == self._strict_depth):
                return
            self._file_set("exercise changed")
            self._strict_depth = strict_depth
            self._set_exercise(exercise, side)
            self._publish(self._state, self._check)

    def finish_set(self, ended: SetEnd = "finished") -> SetResult | None:
        """File the set in progress (if anything was counted) and start the next one."""
        with self._lock:
            done = self._file_set(ended)
            self._publish(self._state, self._check)
            return done

    def reset(self) -> None:
        """Forget every set and count (the beep counters keep growing so no old event replays)."""
        with self._lock:
            self._sets.clear()
            self._new_set()
            self._gate.reset()
            self._publish(_blank_state(self._t_last, "unknown", None), self._gate.update(_NO_PERSON))

    def close(self) -> None:
        """The stream ended (stop, dropped connection, tab closed): keep what was counted, release MediaPipe.

        The pose worker is stopped first: a frame still waiting is dropped, the one in flight finishes (it
        belongs to the set being filed), and no pose work happens after this returns.
        """
        self._stop_worker()  # outside `_lock`: the worker needs it to finish its frame
        with self._lock:
            self._file_set("camera stopped")
            if self._pipe is not None:
                try:
                    self._pipe.close()
                except Exception:  # a failing close must not lose the summary
                    log.exception("closing the pose pipeline failed")
                self._pipe = self._step = None
            if self._crowd is not None:
                self._crowd.close()  # its MediaPipe graph (the next stream builds a new one)
                self._crowd = None
            self._gate.reset()  # the next stream checks the camera again: the user may have moved
            self._t_first = None
            self._pose_rate.clear()
            self._video_rate.clear()
            self._publish(_blank_state(self._t_last, "unknown", None), self._gate.update(_NO_PERSON), running=False)

    # --- frames: the video (camera thread) ----------------------------------------------------

    def video_frame(self, rgb: np.ndarray, t_s: float) -> np.ndarray:
        """The video callback: hand the frame (RGB uint8, its own time in seconds) to the pose worker and
        return it with the newest pose result drawn on. Never waits for the pose, so the video runs at the
        camera's rate; the overlay lags by at most the one pose result in progress."""
        if not self.threaded:
            return self.process(rgb, t_s)
        t0 = time.perf_counter()
        self._mailbox_for_stream().put((rgb, t_s, self._epoch))
        out = self._draw(rgb)
        self._video_rate.add(time.perf_counter() - t0)
        return out

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until the pose worker has consumed every frame handed to it (tests); False on timeout."""
        box = self._mailbox
        return box.wait_idle(timeout) if box is not None else True

    def latest_overlay(self) -> tuple[Kinematics, Hud]:
        """What the video draws now: the newest pose result's kinematics and the tracker's HUD."""
        with self._snap_lock:
            return self._overlay

    def _draw(self, rgb: np.ndarray) -> np.ndarray:
        kin, hud = self.latest_overlay()
        try:
            return draw_overlay(rgb, kin, hud)
        except Exception:  # the video must keep flowing
            log.exception("drawing the live overlay failed")
            return rgb

    # --- frames: the pose (pose worker, or the caller of `process`) ------------------------------

    def process(self, rgb: np.ndarray, t_s: float) -> np.ndarray:
        """The whole frame step on this thread, then the frame with its own result drawn on."""
        with self._lock:
            self._step_frame(rgb, t_s)
            return self._draw(rgb)

    def _mailbox_for_stream(self) -> LatestOnly[tuple[np.ndarray, float, int]]:
        """This stream's mailbox, starting the pose worker on the stream's first frame."""
        with self._worker_lock:
            if self._mailbox is None or self._worker is None or not self._worker.is_alive():
                box: LatestOnly[tuple[np.ndarray, float, int]] = LatestOnly()
                self._worker = threading.Thread(target=self._work, args=(box,), name="posecheck-pose", daemon=True)
                self._mailbox = box
                self._worker.start()
            return self._mailbox

    def _work(self, box: LatestOnly[tuple[np.ndarray, float, int]]) -> None:
        """The pose worker's loop: the newest frame -> the frame step, until the mailbox closes."""
        _lower_priority(POSE_NICE)
        while (item := box.take()) is not None:
            rgb, t_s, epoch = item
            with self._lock:
                if epoch == self._epoch:  # handed over before a set switch or stop: not this set's frame
                    self._step_frame(rgb, t_s)
            box.done()

    def _stop_worker(self) -> None:
        with self._worker_lock:
            box, worker = self._mailbox, self._worker
            self._mailbox = self._worker = None
        if box is not None:
            box.close()
        if worker is not None and worker is not threading.current_thread():
            worker.join(JOIN_S)
            if worker.is_alive():
                log.warning("the pose worker did not stop within %.0f s", JOIN_S)

    def _step_frame(self, rgb: np.ndarray, t_s: float) -> None:
        """One frame through the step, timed, errors kept for the page; publishes the result (holds `_lock`)."""
        t0 = time.perf_counter()
        try:
            self._process(rgb, t_s)
            self._error = None
        except Exception as exc:  # the video must keep flowing; the page shows the error
            log.exception("live frame processing failed")
            self._error = f"{type(exc).__name__}: {exc}"
        self._pose_rate.add(time.perf_counter() - t0)
        self._publish(self._state, self._check)
        self._after_frame()

    def _after_frame(self) -> None:
        """Called under `_lock` after each frame's result is published (subclasses measure progress here)."""

    def _process(self, rgb: np.ndarray, t_s: float) -> None:
        if self._pipe is None:
            estimator = self._estimator_factory() if self._estimator_factory is not None else None
            self._pipe = AnglePipeline(DEFAULT_SOURCE, DEFAULT_SMOOTHING, self._model_path, estimator)
            self._step = FrameStep(self._pipe, self._ex, self._side, gate=self._gate_status)
        t = self._session_time(t_s)
        self._frame_size = (int(rgb.shape[1]), int(rgb.shape[0]))
        step = self._step
        assert step is not None  # made with the pipe above
        step.exercise, step.tracker = self._ex, self._tracker  # the set in progress
        out = step(Frame(t, rgb, self._frames))
        self._check_crowd(rgb, out)
        for observe in self.frame_observers:
            observe(out.kin)
        self._frames += 1
        self._with_pose += out.kin.detected
        if out.counting:
            if self._set_t0 is None:
                self._set_t0 = t
            for ev in out.state.events:
                if ev.kind == "rep":
                    self._rep_seq += 1
                elif ev.kind == "hold_complete":
                    self._hold_seq += 1
        self._state, self._kin = out.state, out.kin

    def _gate_status(self, kin: Kinematics) -> str | None:
        self._check = self._gate.update(kin)
        return None if self._check.ready else _check_words(self._check)

    def _session_time(self, t_s: float) -> float:
        """The frame's own time mapped onto one increasing clock (new streams and clock jumps rebase it)."""
        if not math.isfinite(t_s):
            t_s = time.monotonic()
        if self._t_first is None or t_s <= self._t_raw_last or t_s - self._t_raw_last > MAX_GAP_S:
            # First frame of a stream, a clock that went back (RTP wrap) or a long freeze: continue from here.
            self._t_base = self._t_last + (1 / 30 if self._frames else 0.0)
            self._t_first = t_s
        self._t_raw_last = t_s
        self._t_last = self._t_base + (t_s - self._t_first)
        return self._t_last

    # --- snapshot (any thread) ----------------------------------------------------------------

    def snapshot(self) -> LiveSnapshot:
        """The newest published state, with the pose and video rates as of now (a stalled stream reads 0)."""
        with self._snap_lock:
            snap = self._snap
        pose_fps, pose_ms = self._pose_rate.read()
        video_fps, video_ms = self._video_rate.read()
        return replace(snap, pose_fps=pose_fps, pose_ms=pose_ms, video_fps=video_fps, video_ms=video_ms)

    # --- internals (hold self._lock) ----------------------------------------------------------

    def _set_exercise(self, exercise: Exercise, side: SideChoice) -> None:
        self._ex, self._side = exercise, side
        self._gate = CameraGate(exercise, self._check_frames, self._check_s)
        self._check = CameraCheck(False, "no_person", STEP_INTO_VIEW, 0.0)
        self._new_set()

    def _new_set(self) -> None:
        self._epoch += 1  # frames already handed to the worker belong to the set that just ended
        self._tracker = Tracker(self._ex, self._side, self._strict_depth)
        self._set_t0 = None
        self._state = _blank_state(self._t_last, "unknown", None)
        self._kin = _NO_PERSON  # no skeleton from the old set on the new set's video

    def _summary(self, ended: SetEnd) -> SetResult | None:
        """The set so far as a SetResult (None if nothing was counted); in progress, with the hold going on."""
        tr = self._tracker
        if not (tr.reps or tr.partials or tr.holds or tr.current_hold()):
            return None
        start = self._set_t0 if self._set_t0 is not None else self._t_last
        duration = max(0.0, self._t_last - start)
        filed = ended != "in progress"
        ended_at = datetime.now(UTC) if filed else None
        return set_result(self._ex, tr, side=self._side, ended=ended, duration_s=duration, number=len(self._sets) + 1,
                          started_at=ended_at - timedelta(seconds=duration) if ended_at else None, ended_at=ended_at,
                          now_s=None if filed else self._t_last)

    def _file_set(self, ended: SetEnd) -> SetResult | None:
        self._tracker.finish()  # a hold in progress is kept
        done = self._summary(ended)
        if done is not None:
            self._sets.append(done)
        self._new_set()
        return done

    def _check_crowd(self, rgb: np.ndarray, out: StepOutput) -> None:
        if not self._crowd_on:
            return
        if self._crowd is None:
            self._crowd = SecondPersonCheck()
        try:
            said = self._crowd.update(rgb, out.pose, out.frame.t_s)
            if said:
                self._crowd_msg = said
        except Exception:  # a failing side check must never stop the coaching
            log.exception("second-person check failed; turned off for this session")
            self._crowd_on = False

    def _publish(self, state: TrackerState, check: CameraCheck, running: bool | None = None) -> None:
        snap = LiveSnapshot(
            running=self._pipe is not None if running is None else running, exercise_id=self._ex.id, check=check,
            counting=check.ready, reps_left=state.reps_left, reps_right=state.reps_right,
            reps_total=state.reps_total, partial=state.partial, hold_s=state.hold_s,
            hold_target_s=state.hold_target_s, phase=state.phase, cue=state.cue, cue_severity=state.cue_severity,
            view=state.view, current=self._summary("in progress"), sets=tuple(self._sets), rep_seq=self._rep_seq,
            hold_seq=self._hold_seq, frames=self._frames, frames_with_pose=self._with_pose, pose_fps=0.0,
            pose_ms=0.0, frame_size=self._frame_size, error=self._error,
            crowd=self._crowd_msg,
        )  # the rates are filled in by snapshot(), as of when it is read
        overlay = (self._kin, hud_from_state(self._ex, state))
        with self._snap_lock:
            self._snap, self._overlay = snap, overlay


_NO_PERSON = Kinematics(0.0, False)


def _lower_priority(nice: int) -> None:
    """Lower this thread's CPU priority by `nice`, so on a busy machine the pose slows down, not the video.

    Linux only: there a thread's nice value is its own, and threads it starts inherit it, so MediaPipe's
    graph threads (built on this thread with the stream's first frame) follow. Elsewhere the call would
    lower the whole process, video included, so it is left alone.
    """
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except OSError:  # not allowed here (a sandbox): the pose simply keeps the default priority
        log.debug("could not lower the pose worker's priority", exc_info=True)


def _check_words(check: CameraCheck) -> str:
    if check.issue == "hold_still":
        return f"Camera check: hold still... {round(100 * check.progress)}%"
    return check.message

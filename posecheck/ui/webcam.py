"""The browser camera, shared by the Live and Routine pages: one streamlit-webrtc streamer feeding a LiveSession.

Explicit ICE servers (never fetched from the internet), newest-frame processing; the frame callback runs on
the WebRTC worker thread and only calls `session.video_frame`, never st.*. That call hands the frame to the
session's pose worker and returns at once with the newest pose result drawn on, so the video keeps the
camera's rate however long the pose takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.live import LiveSession, LiveSnapshot, ice_servers_from_env
from posecheck.records import SetResult

VIDEO_CONSTRAINTS = {"video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
                     "audio": False}
ISSUE_ICONS = {"no_person": ":material/person_search:", "too_close": ":material/zoom_out:",
               "too_far": ":material/zoom_in:", "out_of_frame": ":material/crop_free:",
               "wrong_view": ":material/screen_rotation:", "hold_still": ":material/hourglass_top:"}


def frame_callback(session: LiveSession) -> Callable[[av.VideoFrame], av.VideoFrame]:
    """Runs on the WebRTC worker thread: the session is captured here, not looked up in st.session_state."""

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        rgb = frame.to_ndarray(format="rgb24")
        t = frame.time  # pts * time_base: the camera's own clock, so dropped frames do not skew timers
        out = session.video_frame(rgb, float(t) if t is not None else time.monotonic())
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    return callback


def streamer(key: str, session: LiveSession) -> bool:
    """Draw the camera widget for `session`; True while it is playing."""
    servers, problem = ice_servers_from_env()
    if problem:
        st.warning(problem, icon=":material/warning:")
    ctx = webrtc_streamer(
        key=key,
        mode=WebRtcMode.SENDRECV,
        # Explicit, even when empty: without it streamlit-webrtc fetches public STUN servers from the internet.
        rtc_configuration={"iceServers": servers},
        media_stream_constraints=VIDEO_CONSTRAINTS,
        video_frame_callback=frame_callback(session),
        on_video_ended=session.close,  # stop, dropped connection, closed tab: keep the counts, free MediaPipe
        async_processing=True,  # the callback runs off the event loop; a backlog (rare: it only draws) is dropped
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "playsInline": True,
                          "style": {"width": "100%", "borderRadius": "0.5rem"}},
    )
    return bool(ctx.state.playing)


def camera_check(snap: LiveSnapshot) -> None:
    """One line on whether counting runs, and what to change if not."""
    check = snap.check
    if not snap.running:
        last = snap.sets[-1] if snap.sets else None
        if last is not None and last.ended == "camera stopped":
            st.info(f"Camera stopped. Set {last.number} kept: {set_words(last)}. Press START to go on.",
                    icon=":material/videocam_off:")
        else:
            st.info("Waiting for the camera. Press START next to the video.", icon=":material/videocam_off:")
    elif check.ready:
        st.success("Whole body in view: counting.", icon=":material/check_circle:")
    elif check.issue == "hold_still":
        st.progress(check.progress, text="Body in view: hold still a moment...")
    else:
        st.warning(check.message, icon=ISSUE_ICONS.get(check.issue, ":material/warning:"))


def set_words(s: SetResult) -> str:
    return s.counts_words()

"""The browser camera for pages other than Live: one streamlit-webrtc streamer feeding a LiveSession.

Same settings as the Live page (explicit ICE servers, newest-frame processing); the frame callback runs on
the WebRTC worker thread and only calls `session.process`, never st.*.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.live import LiveSession, LiveSnapshot, ice_servers_from_env
from posecheck.ui.live import ISSUE_ICONS, VIDEO_CONSTRAINTS


def frame_callback(session: LiveSession) -> Callable[[av.VideoFrame], av.VideoFrame]:
    """Runs on the WebRTC worker thread: the session is captured here, not looked up in st.session_state."""

    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        rgb = frame.to_ndarray(format="rgb24")
        t = frame.time  # the camera's own clock: dropped frames do not skew timers
        out = session.process(rgb, float(t) if t is not None else time.monotonic())
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
        rtc_configuration={"iceServers": servers},  # explicit: never fetch public servers from the internet
        media_stream_constraints=VIDEO_CONSTRAINTS,
        video_frame_callback=frame_callback(session),
        on_video_ended=session.close,
        async_processing=True,
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "playsInline": True,
                          "style": {"width": "100%", "borderRadius": "0.5rem"}},
    )
    return bool(ctx.state.playing)


def camera_check(snap: LiveSnapshot) -> None:
    """One line on whether counting runs, and what to change if not."""
    check = snap.check
    if not snap.running:
        st.info("Waiting for the camera. Press START next to the video.", icon=":material/videocam_off:")
    elif check.ready:
        st.success("Whole body in view: counting.", icon=":material/check_circle:")
    elif check.issue == "hold_still":
        st.progress(check.progress, text="Body in view: hold still a moment...")
    else:
        st.warning(check.message, icon=ISSUE_ICONS.get(check.issue, ":material/warning:"))

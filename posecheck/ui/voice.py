"""The voice component: a small static page (voice_component/index.html, served by the app itself, nothing from
the internet) that speaks the utterances the speech planner chose, through the browser's Web Speech API.

`voice(planner, key)` draws it and returns whether a voice is speaking in this browser (voice available, on,
allowed), so the page can keep its beeps as the fallback where there is none.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from posecheck.speech import SpeechPlanner

_COMPONENT = components.declare_component("posecheck_voice", path=str(Path(__file__).parent / "voice_component"))
SESSION_KEY = "voice_session"  # a token per browser session: the frame never repeats an utterance after a reload


def voice(planner: SpeechPlanner, key: str, now: float | None = None) -> bool:
    """Hand the planner's recent utterances to the browser; True when the browser speaks them."""
    token = st.session_state.setdefault(SESSION_KEY, secrets.token_hex(8))
    state = _COMPONENT(utterances=planner.browser_list(time.monotonic() if now is None else now), session=token,
                       key=key, default=None)
    return bool(isinstance(state, dict) and state.get("speaking"))


def planner(key: str, announce_target: bool = False) -> SpeechPlanner:
    """This browser session's planner for one page (kept across reruns); `announce_target`: say "Set complete"
    when a set reaches its target (the Live page; a routine files the set and says how it went)."""
    found = st.session_state.get(key)
    if not isinstance(found, SpeechPlanner):
        found = SpeechPlanner(announce_target=announce_target)
        st.session_state[key] = found
    return found

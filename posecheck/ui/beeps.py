"""The beeps: where the browser has no voice, one short sound per counted rep, a chime per completed hold and a
fanfare when the set's target is reached, so a person who cannot see the screen still hears the count. Shared by
the Live and Guided routine pages.

Each page keeps, under its own key, the (rep_seq, hold_seq, set whose target was reached) it last sounded for, so
every event sounds once and nothing that happened before the page looked ever replays.
"""

from __future__ import annotations

import base64
import io
import math
import wave

import numpy as np
import streamlit as st

from posecheck.live import LiveSnapshot


def beep_if_new(snap: LiveSnapshot, heard_key: str, box_key: str, quiet: bool = False) -> bool:
    """One short sound for the reps / holds counted since the last look (kept under `heard_key`), drawn in a
    container keyed `box_key` (the page hides it with `hidden_css`). `quiet` (a voice speaks the count, the
    user muted the beeps, a rest): only note where things are. True when a beep was drawn."""
    heard = st.session_state.get(heard_key)
    reached = snap.set_complete
    now = (snap.rep_seq, snap.hold_seq, snap.sets_done if reached else -1)
    st.session_state[heard_key] = now
    if heard is None or quiet:
        return False  # the first look only records where we are: old events never replay
    new_reps, new_holds = now[0] - heard[0], now[1] - heard[1]
    done = reached and heard[2] != now[2]  # the set's target was just reached: the set-complete fanfare
    if new_reps <= 0 and new_holds <= 0 and not done:
        return False
    # Inline data URI, not st.audio: a fragment's media files are dropped on its next run, often before the
    # browser fetched them. A different clip per event (the tail length encodes the counters) makes the
    # browser build a new element, so each event plays once.
    tone = "set" if done else "hold" if new_holds > 0 else "rep"
    wav = base64.b64encode(beep_wav(tone, tag=now[0] + 7 * now[1])).decode()
    with st.container(key=box_key):
        st.html(f'<audio autoplay src="data:audio/wav;base64,{wav}"></audio>')
    return True


def hidden_css(box_key: str) -> str:
    """The CSS rule that keeps the beep's container out of the layout."""
    return f".st-key-{box_key} {{ display: none; }}"


TONES = {  # (Hz, s) in turn
    "rep": [(880.0, 0.12)],  # a blip per counted rep
    "hold": [(660.0, 0.12), (990.0, 0.22)],  # a rising chime per completed hold
    "set": [(660.0, 0.12), (880.0, 0.12), (1320.0, 0.35)],  # a three-note fanfare: the set's target is reached
}


def beep_wav(tone: str = "rep", tag: int = 0, rate: int = 8_000) -> bytes:
    """A tiny WAV of one of TONES."""
    tones = TONES[tone]
    parts = []
    for freq, dur in tones:
        n = int(rate * dur)
        t = np.arange(n) / rate
        env = np.minimum(1.0, np.minimum(t, dur - t) / 0.01)  # 10 ms fades: no clicks
        parts.append(0.35 * env * np.sin(2 * math.pi * freq * t))
    parts.append(np.zeros(int(rate * 0.02) + tag % 97))
    pcm = (np.concatenate(parts) * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()

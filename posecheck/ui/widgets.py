"""Widgets every page shares: the exercise catalog and picker, camera tips, safety notes, error display."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from posecheck.errors import PosecheckError
from posecheck.exercises import Catalog, Exercise, load_all

log = logging.getLogger(__name__)

VIEW_WORDS = {"side": "side-on", "front": "facing the camera", "oblique": "turned about 45 degrees"}
GENERAL_SAFETY = ("Ease into every stretch and never bounce.", "Stop if you feel sharp pain.")
KIND_WORDS = {"reps": "Reps", "hold": "Hold", "reps_hold": "Reps with a hold", "circles": "Circles"}


# What would turn text into Markdown or Streamlit markup, escaped so that text from a file or a user cannot make
# the browser fetch anything or change the page: links and images ([ ]), HTML and <autolinks> (<), formulas ($),
# code and emphasis (` *), strike-through (~), the escape itself; underscores that can open or close emphasis
# ("__x__.mp4"; "a_b_c" stays as it is), an entity (&amp;) and a heading (# at the start). Only where they would
# act, so messages and ids read (and compare) as written.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*~\[\]<$])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)|^#")
# Streamlit turns :smile:, :material/home: and :red[...] into pictures and colours even when backslash-escaped:
# the colon that opens one is written as an entity, shown as a colon and never read as a short code.
_SHORTCODE_COLON = re.compile(r":(?=[\w+-]+(?:/[\w+-]+)?:|[\w-]+\\?\[)")


def plain(text: object) -> str:
    """Text shown as itself inside Markdown (st.markdown, captions, alerts, radio labels).

    Definition files, uploads and history rows are not the app's own words: a tip such as
    `![x](http://example.com/a.png)` is shown literally and never fetched. Line breaks become spaces, so the
    text cannot start a new Markdown block either. (Streamlit still turns a bare http:// address into a link
    showing that address: a click away, never fetched by itself.)
    """
    escaped = _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m[0], " ".join(str(text).split()))
    return _SHORTCODE_COLON.sub("&#58;", escaped)


def bullets(lines: Iterable[object]) -> str:
    """A Markdown list of plain-text lines."""
    return "\n".join(f"- {plain(line)}" for line in lines)


def load_catalog(folder: Path) -> Catalog:
    """All exercise definitions; a bad file becomes a warning on the page, never an exception.

    When nothing loads, the page says so with every file and why (or why the folder gave nothing).
    """
    try:
        catalog = load_all(folder)
    except Exception as exc:  # an unexpected failure must not take the page down
        log.exception("loading exercise definitions from %s failed", folder)
        catalog = Catalog({}, (f"{folder}: cannot read the exercise definitions ({type(exc).__name__})",))
    if not catalog.exercises:
        st.error(f"No exercise definitions could be loaded from {plain(folder)}:\n\n{bullets(catalog.errors)}",
                 icon=":material/error:")
    elif catalog.errors:
        with st.expander(f"{len(catalog.errors)} exercise definition(s) could not be loaded and are skipped",
                         icon=":material/warning:"):
            st.warning(bullets(catalog.errors))
    return catalog


def exercise_picker(catalog: Catalog, key: str) -> Exercise | None:
    """The exercise select box; None (and nothing drawn) when no definition loaded: load_catalog said why."""
    exercises = sorted(catalog.exercises.values(), key=lambda e: e.name.lower())
    if not exercises:
        return None
    ids = [e.id for e in exercises]
    if st.session_state.get(key) not in ids:
        st.session_state[key] = ids[0]
    ex_id = st.selectbox("Exercise", ids, key=key, format_func=lambda i: catalog.exercises[i].name)
    return catalog.exercises[ex_id]


AUTO = "__auto__"  # the exercise choice that recognises the exercise from the clip
AUTO_WORDS = "Recognise automatically"


def exercise_or_auto(catalog: Catalog, key: str) -> Exercise | str | None:
    """The exercise select box with "Recognise automatically" first (and the default): an Exercise, AUTO, or
    None (nothing drawn) when no definition loaded."""
    exercises = sorted(catalog.exercises.values(), key=lambda e: e.name.lower())
    if not exercises:
        return None
    ids = [AUTO, *(e.id for e in exercises)]
    if st.session_state.get(key) not in ids:
        st.session_state[key] = AUTO
    ex_id = st.selectbox("Exercise", ids, key=key,
                         format_func=lambda i: AUTO_WORDS if i == AUTO else catalog.exercises[i].name,
                         help="Recognise automatically finds the exercise from how you move; you are asked when "
                              "it is not sure.")
    return AUTO if ex_id == AUTO else catalog.exercises[ex_id]


def strict_depth_toggle(ex: Exercise, key: str) -> bool | None:
    """"Count full-depth reps only" for an exercise with reps (None for holds: nothing to choose). Off, a rep
    short of the target counts and is flagged shallow; on, it is a partial. Starts at the exercise's default."""
    if ex.motion is None:
        return None
    return bool(st.toggle("Count full-depth reps only", value=ex.motion.strict_depth, key=f"{key}_{ex.id}",
                          help="Off: a rep short of the target depth still counts and is flagged shallow. "
                               "On: only reps that reach the target count; the others are partial."))


def targets_text(ex: Exercise) -> str:
    t = ex.targets
    parts = []
    if t.reps_per_side:
        parts.append(f"{t.reps_per_side} reps per side")
    if t.reps_total:
        parts.append(f"{t.reps_total} reps")
    if t.hold_s:
        parts.append(f"hold {t.hold_s:g}" + (f"-{t.hold_max_s:g}" if t.hold_max_s else "") + " s")
    if t.sets > 1:
        parts.append(f"{t.sets} sets")
    return ", ".join(parts)


def camera_tips(ex: Exercise) -> None:
    """How to film this exercise so the checks can see what they need."""
    views = " or ".join(VIEW_WORDS.get(v, v) for v in ex.views)
    st.markdown(f"**{plain(ex.name)}** · {KIND_WORDS.get(ex.kind, ex.kind)} · target: {targets_text(ex) or 'none'}")
    if ex.description:
        st.caption(plain(ex.description))
    lines = []
    if not any("whole body" in t.lower() for t in ex.tips):
        lines.append("Whole body in frame, head to feet, about 2-3 m from the camera.")
    lines += [*ex.tips, "Good, even light; a plain background helps."]
    if ex.camera_note:
        lines.append(ex.camera_note)
    st.markdown(f"- Camera view: **{views}**.\n" + bullets(dict.fromkeys(lines)))


def safety_lines(ex: Exercise) -> list[str]:
    """The exercise's own notes plus the guide's rules where they apply (never bounce in a stretch).

    Raw text: pass it through `plain` (or `safety_text`) before it goes into Markdown."""
    lines = list(ex.safety)
    text = " ".join(lines).lower()
    if ex.kind in ("hold", "reps_hold") and "bounce" not in text:
        lines.insert(0, "Ease in and never bounce")
    if "sharp pain" not in text:
        lines.append("Stop if you feel sharp pain")
    return lines


def safety_text(ex: Exercise) -> str:
    """The safety lines as one line of Markdown-safe text."""
    return " · ".join(plain(s) for s in safety_lines(ex))


def safety_notes(ex: Exercise) -> None:
    st.info("**Safety:** " + safety_text(ex), icon=":material/health_and_safety:")


def error_message(exc: Exception, what: str, path: Path | None = None, shown: str = "") -> str:
    """The one line a user sees for a failure; our own bugs are logged with their traceback, not shown.

    PosecheckError carries a message written for the user; anything else gets a short note naming the
    exception type, so a bug report can still say what happened. The library names a clip by its full path
    (right for the CLI); on a page `path` (a server-side copy or the sample folder) reads as `shown`.
    """
    if isinstance(exc, PosecheckError):
        return str(exc).replace(str(path), shown) if path is not None and shown else str(exc)
    log.error("%s failed", what, exc_info=exc)
    return (f"Something went wrong while {what} ({type(exc).__name__}). The details are in the server log; "
            "try another clip or setting.")


@contextmanager
def friendly_errors(what: str) -> Iterator[None]:
    """Show any failure inside as a message on the page, never a traceback; the page keeps working."""
    try:
        yield
    except Exception as exc:
        st.error(error_message(exc, what), icon=":material/error:")


def fmt_time(t_s: float) -> str:
    m, s = divmod(max(0.0, t_s), 60)
    return f"{int(m)}:{s:04.1f}"

"""Spoken coaching: what to say, and when, from the live snapshot (and the routine's state). Pure: no browser,
no Streamlit; the page calls the planner on every refresh and hands the utterances to the voice component
(posecheck/ui/voice.py), which only speaks them.

The rules, so that a person lying on the floor can follow without the screen:
- the count, once per counted rep ("three"; per side, the side's own count);
- a hold: "hold" when it starts, the last seconds counted down ("three", "two", "one"), then "lower slowly"
  (a rep held at the top) or "and relax" (a stretch);
- at most one form cue per rep (or hold), never the same cue again within CUE_REPEAT_S;
- camera-check problems and "counting" when the check passes, each not more often than STATUS_REPEAT_S;
- on Live, "set complete" once when the set's target is reached;
- in a routine: how the set went ("set done", "set short: ..."), what comes next (a side switch, the next
  exercise), the rest and its last seconds, and the routine's end in words that fit it;
- one voice at a time: while the last utterance is still being spoken (estimated from its length), only the
  count, the countdown and the routine's steps may queue behind it; cues and status lines wait for silence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from posecheck.live import LiveSnapshot
from posecheck.records import SetResult
from posecheck.routine_live import closing_words

CUE_REPEAT_S = 8.0  # the same cue is not said again within this
STATUS_REPEAT_S = 12.0  # nor the same camera-check line
KEEP_S = 10.0  # utterances older than this are not handed to the browser again
WORDS_PER_S = 2.6  # speaking speed at rate 1 (for "is the voice still busy")
COUNTDOWN_FROM = 3  # the last seconds of a hold or a rest are counted down
MIN_HOLD_TO_ANNOUNCE_S = 3.0  # shorter hold targets get no "hold" / countdown (it would talk over itself)

# Priorities: higher ones may queue behind speech in progress, lower ones wait for silence.
COUNT, COUNTDOWN, STEP, CUE, STATUS = 4, 4, 5, 2, 1

_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


def number_words(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


@dataclass(frozen=True)
class Utterance:
    id: int  # increasing: the browser speaks each id once
    text: str
    kind: str  # count | countdown | hold | cue | status | step | suggest
    priority: int
    t: float  # when it was planned (the page's clock, seconds)

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "text": self.text, "kind": self.kind, "priority": self.priority}


@dataclass
class SpeechPlanner:
    """Turns successive snapshots into utterances. One per browser session (it remembers what was said)."""

    recent: list[Utterance] = field(default_factory=list)  # planned within KEEP_S, oldest first
    next_id: int = 1
    busy_until: float = -math.inf
    _last_said: dict[tuple[str, str], float] = field(default_factory=dict)  # (kind, text) -> when
    _seen: tuple[int, int] | None = None  # (rep_seq, hold_seq) last looked at
    _counts: tuple[int, int, int] = (0, 0, 0)  # reps left, right, total of the set
    _cue_unit: int | None = None  # the rep/hold (rep_seq + hold_seq) a cue was said in
    _hold_said: set[str] = field(default_factory=set)  # "hold", "3", "2", "1" said for the hold in progress
    _counting: bool = False
    _issue: str | None = None
    announce_target: bool = False  # say "Set complete" when the set's target is reached (Live; a routine says its own)
    _target_set: int | None = None  # the set (sets_done) whose "Set complete" was said

    # --- the live snapshot ------------------------------------------------------------------------

    def plan(self, snap: LiveSnapshot, now: float, hold_words: str = "lower slowly") -> list[Utterance]:
        """New utterances for this snapshot (also kept in `recent`). `hold_words`: what ends a completed hold."""
        out: list[Utterance] = []
        self._check(snap, now, out)
        self._count(snap, now, out)
        self._hold(snap, now, out, hold_words)
        self._target(snap, now, out)
        self._cue(snap, now, out)
        kept = self._commit(out, now)
        self._check_said(snap, kept, out)
        if any(u.kind == "cue" for u in kept):
            self._cue_unit = snap.rep_seq + snap.hold_seq  # one cue per rep (or hold)
        return kept

    def _check(self, snap: LiveSnapshot, now: float, out: list[Utterance]) -> None:
        """The camera check's changes: its problem when a new one appears, "counting" when it passes. The state
        moves on only once the line was said (a line that had to wait for silence is tried again)."""
        if not snap.running or self._seen is None:  # stopped, or the first look: only note where things are
            self._counting = snap.running and snap.counting
            self._issue = snap.check.issue if snap.running and not snap.counting else None
            return
        if snap.counting and not self._counting:
            # Said at a count's priority (queued, in order), never left waiting for silence: the first rep often
            # comes while the check's own line is still being spoken, and "go ahead" must not follow its "one".
            self._say(out, "Counting. Go ahead.", "status", COUNT, now, STATUS_REPEAT_S)
        elif not snap.counting and snap.check.issue not in ("ok", "hold_still") and snap.check.issue != self._issue:
            self._say(out, snap.check.message, "status", STATUS, now, STATUS_REPEAT_S)

    def _check_said(self, snap: LiveSnapshot, kept: list[Utterance], planned: list[Utterance]) -> None:
        wanted = [u for u in planned if u.kind == "status"]
        if not wanted or any(u.kind == "status" for u in kept):
            self._counting = snap.running and snap.counting
            self._issue = snap.check.issue if snap.running and not snap.counting else None

    def _count(self, snap: LiveSnapshot, now: float, out: list[Utterance]) -> None:
        seen = (snap.rep_seq, snap.hold_seq)
        counts = (snap.reps_left, snap.reps_right, snap.reps_total)
        first = self._seen is None
        new_reps = 0 if self._seen is None else snap.rep_seq - self._seen[0]
        self._seen = seen
        before, self._counts = self._counts, counts
        if first or new_reps <= 0:
            return
        # Per side, the side that just grew says its own count; else (both sides, or a two-leg exercise) the total.
        left_grew, right_grew = counts[0] > before[0], counts[1] > before[1]
        n = counts[0] if left_grew and not right_grew else counts[1] if right_grew and not left_grew else counts[2]
        self._say(out, number_words(n), "count", COUNT, now, 0.0)

    def _hold(self, snap: LiveSnapshot, now: float, out: list[Utterance], hold_words: str) -> None:
        target, held = snap.hold_target_s, snap.hold_s
        if held is None or not target or target < MIN_HOLD_TO_ANNOUNCE_S or not snap.counting:
            self._hold_said.clear()
            return
        if "hold" not in self._hold_said:
            self._hold_said.add("hold")
            self._say(out, "Hold", "hold", COUNTDOWN, now, 0.0)
        left = target - held
        for n in range(COUNTDOWN_FROM, 0, -1):
            if left <= n and left > n - 1 and str(n) not in self._hold_said:
                self._hold_said.update(str(k) for k in range(n, COUNTDOWN_FROM + 1))
                self._say(out, number_words(n), "countdown", COUNTDOWN, now, 0.0)
        if left <= 0 and "done" not in self._hold_said:
            self._hold_said.update({"done", *(str(k) for k in range(1, COUNTDOWN_FROM + 1))})
            self._say(out, hold_words, "hold", COUNTDOWN, now, 0.0)

    def _target(self, snap: LiveSnapshot, now: float, out: list[Utterance]) -> None:
        """The set's clear end: once per set, right after the count (or hold) that reached its target; reps counted
        past it are still counted, but the person knows the set is complete."""
        if not self.announce_target:
            return
        if not snap.set_complete:
            if self._target_set == snap.sets_done:
                self._target_set = None  # a new session's set with the same number: say it again when reached
            return
        if self._target_set != snap.sets_done:
            self._target_set = snap.sets_done
            # A count's priority: queued behind the count that reached the target, in order, never dropped.
            self._say(out, "Set complete. Rest, then press Finish set.", "step", COUNT, now, 0.0)

    def _cue(self, snap: LiveSnapshot, now: float, out: list[Utterance]) -> None:
        if not snap.counting or not snap.cue or snap.cue_severity not in ("warning", "error"):
            return
        if self._cue_unit == snap.rep_seq + snap.hold_seq:
            return  # this rep (or hold) had its cue
        self._say(out, snap.cue, "cue", CUE, now, CUE_REPEAT_S)

    # --- other things to say ------------------------------------------------------------------------

    def say(self, text: str, kind: str, now: float, priority: int = STEP,
            repeat_s: float = STATUS_REPEAT_S) -> list[Utterance]:
        """Something the page decides (a routine step, a suggestion); deduplicated like the rest."""
        out: list[Utterance] = []
        self._say(out, text, kind, priority, now, repeat_s)
        return self._commit(out, now)

    def new_set(self) -> None:
        """A new set starts: its counts start from zero (the sequence numbers keep growing)."""
        self._counts = (0, 0, 0)
        self._cue_unit = None
        self._hold_said.clear()

    def browser_list(self, now: float) -> list[dict[str, object]]:
        """What the voice component gets: the utterances of the last KEEP_S seconds (it speaks new ids only)."""
        self.recent = [u for u in self.recent if now - u.t <= KEEP_S]
        return [u.to_json() for u in self.recent]

    # --- internals ----------------------------------------------------------------------------------

    def _say(self, out: list[Utterance], text: str, kind: str, priority: int, now: float, repeat_s: float) -> bool:
        text = " ".join(text.split())
        if not text:
            return False
        last = self._last_said.get((kind, text))
        if last is not None and now - last < repeat_s:
            return False
        out.append(Utterance(0, text, kind, priority, now))
        return True

    def _commit(self, planned: list[Utterance], now: float) -> list[Utterance]:
        """Keep what may be said now: the high-priority ones always (in order), a low one only into silence."""
        kept: list[Utterance] = []
        busy = self.busy_until
        for u in sorted(planned, key=lambda u: -u.priority):
            if u.priority < COUNT and (busy > now or kept):
                continue  # never a cue over a count, nor two low ones at once
            u = Utterance(self.next_id, u.text, u.kind, u.priority, now)
            self.next_id += 1
            kept.append(u)
            self._last_said[(u.kind, u.text)] = now
            busy = max(busy, now) + speaking_s(u.text)
        kept.sort(key=lambda u: u.id)
        self.busy_until = busy
        self.recent.extend(kept)
        return kept


def speaking_s(text: str, rate: float = 1.0) -> float:
    """About how long a voice takes to say `text`."""
    return 0.3 + len(text.split()) / (WORDS_PER_S * max(0.1, rate))


# --- the routine --------------------------------------------------------------------------------------


def spoken(text: str) -> str:
    """Written words made fit to say: "0.3/0.4 s of 5 s" -> "0.3 and 0.4 seconds of 5 seconds"."""
    text = re.sub(r"(\d)/(\d)", r"\1 and \2", text)
    return re.sub(r"(\d) s\b", r"\1 seconds", text)


def set_words(res: SetResult) -> str:
    """What the voice says when a set is filed, by how it went (the rest screen's line, said)."""
    if res.status == "done":
        return "Set done."
    if res.status == "ended early":
        return "Set ended early."
    return spoken(f"Set short: {res.missing}.") if res.missing else "Set short."


@dataclass
class RoutineSpeech:
    """The routine's own lines on top of the live ones: how the set went, what comes next, the rest, and
    the routine's end in words that fit what happened (the summary's closing words)."""

    planner: SpeechPlanner = field(default_factory=SpeechPlanner)
    _filed: int = 0
    _rest_said: set[str] = field(default_factory=set)
    _finished: bool = False

    def plan(self, filed: list[SetResult], message: str, resting_left_s: float | None, next_title: str | None,
             summary: list[SetResult] | None, now: float) -> list[Utterance]:
        """`filed`: the sets filed so far; `message`: the controller's last transition ("Switch sides: ...");
        `resting_left_s`: seconds of rest left (None: not resting); `next_title`: the set coming up;
        `summary`: every set's result once the routine is over (None while it runs)."""
        out: list[Utterance] = []
        p = self.planner
        if len(filed) > self._filed:
            self._filed = len(filed)
            p.new_set()
            # The last set's transition ("Routine complete") is left to "Routine done" below: said once, not twice.
            step = message if message and summary is None else ""
            words = set_words(filed[-1])
            out += p.say(f"{words} {step}" if step else words, "step", now, STEP, 0.0)
        if summary is not None and not self._finished:
            self._finished = True
            ended = not summary or any(r.status == "ended early" for r in summary)
            out += p.say(f"Routine {'ended' if ended else 'done'}. {closing_words(summary)}", "step", now, STEP, 0.0)
            return out
        if resting_left_s is None:
            self._rest_said.clear()
            return out
        if "rest" not in self._rest_said:
            self._rest_said.add("rest")
            nxt = f" Next: {next_title}." if next_title else ""
            out += p.say(f"Rest {round(resting_left_s)} seconds.{nxt}", "step", now, STEP, 0.0)
        for n in range(COUNTDOWN_FROM, 0, -1):
            if n - 1 < resting_left_s <= n and str(n) not in self._rest_said:
                self._rest_said.update(str(k) for k in range(n, COUNTDOWN_FROM + 1))
                out += p.say(number_words(n), "countdown", now, COUNTDOWN, 0.0)
        return out

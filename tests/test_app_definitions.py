"""The app and the definition files, through AppTest: what a user sees when definitions are broken, missing or
duplicated, and that text from a definition file is shown as text: a Markdown image or link in a tip can never
make the browser fetch anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from posecheck.exercises import EXERCISES_DIR

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error")
IMAGE = "![x](http://example.com/a.png)"
LINK = "[more](http://example.com/more)"
HTML = '<img src="http://example.com/b.png">'


def toml(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def start(page: str = APP) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60) if page == APP else AppTest.from_function(_routine_page)
    at.run()
    assert not at.exception, at.exception
    return at


def _routine_page() -> None:
    from posecheck.ui import routine

    routine.render()


def page_texts(at: AppTest) -> list[str]:
    return [e.value for kind in TEXT_ELEMENTS for e in at.get(kind) if isinstance(getattr(e, "value", None), str)]


def rendered_html(at: AppTest) -> str:
    """Every text element's Markdown as a CommonMark renderer (as the browser's) turns it into HTML."""
    md = MarkdownIt("commonmark")
    return "\n".join(md.render(t) for t in page_texts(at))


@pytest.fixture
def ex_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "exercises"
    folder.mkdir()
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(folder))
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(tmp_path / "no_samples"))
    return folder


def test_nothing_loadable_names_every_file_and_why(ex_dir: Path):
    squat = (EXERCISES_DIR / "squat.toml").read_text()
    (ex_dir / "squat.toml").write_text(squat.replace("hysteresis_deg = 6", "hysterisis_deg = 6"))
    (ex_dir / "huge.toml").write_text('id = "huge"\nname = "H"\nrest = ' + "9" * 5001 + "\n")
    at = start()
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert f"No exercise definitions could be loaded from {ex_dir}" in errors[0]
    assert "squat.toml: unknown key 'motion.hysterisis_deg'; did you mean 'hysteresis_deg'?" in errors[0]
    assert "huge.toml: not valid TOML (a number with too many digits)" in errors[0]


def test_a_missing_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(missing))
    at = start()
    assert any(f"the folder {missing} does not exist" in e.value for e in at.error), [e.value for e in at.error]


def test_duplicate_ids_are_shown_and_neither_is_offered(ex_dir: Path):
    for name in ("squat.toml", "lunge.toml"):
        shutil.copy(EXERCISES_DIR / name, ex_dir)
    shutil.copy(EXERCISES_DIR / "squat.toml", ex_dir / "squat_v2.toml")
    at = start()
    assert any("squat.toml and squat_v2.toml: both define the exercise id 'squat'" in w.value for w in at.warning)
    # "Recognise automatically" leads the list; of the exercises only the unambiguous one is offered.
    assert at.selectbox(key="review_exercise").options == ["Recognise automatically", "Forward lunge"]


def test_markdown_in_an_exercise_file_is_shown_as_text_never_fetched(ex_dir: Path):
    squat = (EXERCISES_DIR / "squat.toml").read_text()
    for old, new in [("tips = [", f"tips = [{toml(IMAGE)}, {toml(HTML)}, "),
                     ('description = "', f'description = "See {LINK}. '),
                     ("safety = [", f"safety = [{toml('Stop ' + IMAGE)}, "),
                     ('name = "Squat"', f"name = {toml('Squat ' + IMAGE)}"),
                     ('cue = "Keep your chest up"', f"cue = {toml('Chest up ' + IMAGE)}")]:
        assert old in squat
        squat = squat.replace(old, new)
    (ex_dir / "squat.toml").write_text(squat)
    at = start()
    pick = at.selectbox(key="review_exercise")
    pick.select(next(o for o in pick.options if o.startswith("Squat"))).run()  # its description and tips show
    html = rendered_html(at)
    assert "<img" not in html and "<a " not in html, html
    assert "example.com" in html  # the text itself is there ...
    assert IMAGE in html and LINK in html  # ... exactly as written
    assert "&lt;img src=&quot;http://example.com/b.png&quot;&gt;" in html
    assert not at.get("imgs") and not at.get("image")


def test_markdown_in_a_routine_file_is_shown_as_text(ex_dir: Path):
    shutil.copy(EXERCISES_DIR / "squat.toml", ex_dir)
    (ex_dir / "routines").mkdir()
    (ex_dir / "routines" / "mine.toml").write_text(
        f'id = "mine"\nname = "Mine"\ndescription = "Look: {IMAGE}"\nwarmup = "Walk {LINK}"\n'
        f'safety = "Never bounce {IMAGE}"\n[[steps]]\nexercise = "squat"\nreps = 3\nnote = "{IMAGE}"\n')
    at = start(page="routine")
    html = rendered_html(at)
    assert "<img" not in html and "<a " not in html, html
    assert f"Look: {IMAGE}" in html and f"Walk {LINK}" in html and f"Never bounce {IMAGE}" in html

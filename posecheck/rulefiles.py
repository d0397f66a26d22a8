"""Reading rule files (exercise and routine definitions): the strict reader, the template, the folder loader.

The keys themselves are declared once, as `Table`s of `Key`s, next to the dataclasses they fill
(`exercises.EXERCISE_TABLES`, `routines.ROUTINE_TABLES`). That one declaration drives:
- validation: `Section` refuses unknown keys (naming the table path and suggesting the nearest known
  key), wrong types and out-of-range numbers, always naming the file and the field;
- documentation: `template()` prints every key with its meaning, type and default as a commented TOML file
  (`posecheck exercises --template`).
`load_folder` reads a folder of definitions so that one bad file (or a FIFO, a huge number, deeply nested
arrays, a duplicate id) is one line in the error list, never an exception or a hang.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import stat
import textwrap
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from posecheck.errors import PosecheckError

MAX_FILE_BYTES = 256 * 1024  # a definition is a few KB; anything far bigger is not one
SNAKE = r"[a-z][a-z0-9_]*"


class DefinitionError(PosecheckError):
    """A malformed definition file; the message names the file and the field."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()  # a key without a default must be given


@dataclass(frozen=True)
class Key:
    """One key of a definition file: its type, default, bounds and what it means (with its unit)."""

    name: str
    type: str  # one of TYPES
    doc: str
    default: Any = REQUIRED  # REQUIRED: must be given; None: optional with no value
    choices: tuple[str, ...] = ()
    min: float | None = None  # inclusive lower bound
    above: float | None = None  # exclusive lower bound
    max: float | None = None  # inclusive upper bound
    pattern: str | None = None  # strings: a regular expression the whole value must match
    example: Any = None  # the template's value (defaults to the default)


TYPES = ("string", "strings", "choice", "choices", "integer", "number", "boolean", "range", "table", "tables")


@dataclass(frozen=True)
class Table:
    """The keys allowed at one level of a file: the top level (name ""), a [table] or an [[array]] of tables."""

    name: str
    doc: str
    keys: tuple[Key, ...]
    array: bool = False

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)


# --- the strict reader ----------------------------------------------------------------------------------


class Section:
    """One table of a file, checked against its `Table`: unknown keys fail at once, values on access."""

    def __init__(self, raw: Any, table: Table, fname: str, path: str = "",
                 schema: Iterable[Table] = ()) -> None:
        self.table, self.fname, self.path, self.schema = table, fname, path, tuple(schema) or (table,)
        if not isinstance(raw, Mapping):
            what = f"[[{table.name}]] entry" if table.array else f"[{table.name}]"
            raise DefinitionError(f"{fname}: field '{path}' must be a table ({what}), not {describe(raw)}")
        self.raw = raw
        unknown = [k for k in raw if k not in table.names]
        if unknown:
            raise DefinitionError("; ".join(self._unknown(k) for k in unknown))

    def where(self, key: str) -> str:
        return f"{self.fname}: field '{self._full(key)}'"

    def _full(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _unknown(self, key: str) -> str:
        msg = f"{self.fname}: unknown key '{self._full(key)}'"
        close = difflib.get_close_matches(str(key), self.table.names, n=1, cutoff=0.6)
        if close:
            return f"{msg}; did you mean '{close[0]}'?"
        home = [t for t in self.schema if t is not self.table and key in t.names]
        if home:
            where = f"[{home[0].name}]" if home[0].name else "the top level (above the first [table])"
            return f"{msg}; '{key}' belongs in {where}"
        place = f"[{self.table.name}]" if self.table.name else "the top level"
        return f"{msg} (keys in {place}: {', '.join(self.table.names)})"

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def get(self, key: str) -> Any:
        """The value, checked against its Key; the default when the key is absent."""
        spec = self.table.key(key)
        if key not in self.raw:
            if spec.default is REQUIRED:
                raise DefinitionError(f"{self.where(key)} is missing")
            return spec.default
        return check_value(spec, self.raw[key], self.where(key))

    def section(self, key: str, table: Table) -> Section:
        return Section(self.raw.get(key), table, self.fname, self._full(key), self.schema)

    def sections(self, key: str, table: Table) -> list[Section]:
        items = self.raw.get(key, [])
        if not isinstance(items, list):
            raise DefinitionError(f"{self.where(key)} must be a list of tables ([[{key}]] entries), "
                                  f"not {describe(items)}")
        return [Section(x, table, self.fname, f"{self._full(key)}[{i}]", self.schema) for i, x in enumerate(items)]


def describe(v: Any) -> str:
    """A short, safe description of a value for an error message."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Mapping):
        return "a table"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, int) and abs(v) > 10**12:
        return f"a {len(str(abs(v)))}-digit number"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def type_words(k: Key) -> str:
    """The key's type and bounds in words, as error messages and the template say them."""
    bounds = _bounds_words(k)
    return {
        "string": "a non-empty string",
        "strings": "a string or a list of strings",
        "choice": "one of " + ", ".join(f'"{c}"' for c in k.choices),
        "choices": "a list of " + ", ".join(f'"{c}"' for c in k.choices),
        "integer": "a whole number" + bounds,
        "number": "a number" + bounds,
        "boolean": "true or false",
        "range": "[low, high], two whole numbers" + bounds,
        "table": f"a [{k.name}] table",
        "tables": f"[[{k.name}]] tables",
    }[k.type]


def _bounds_words(k: Key) -> str:
    parts = []
    if k.above is not None:
        parts.append(f"> {k.above:g}")
    if k.min is not None:
        parts.append(f">= {k.min:g}")
    if k.max is not None:
        parts.append(f"<= {k.max:g}")
    return " " + " and ".join(parts) if parts else ""


def check_value(k: Key, v: Any, where: str) -> Any:
    """`v` converted to the key's type (lists become tuples, numbers floats), or a DefinitionError."""
    bad = DefinitionError(f"{where} must be {type_words(k)}, not {describe(v)}")
    if k.type in ("string", "choice"):
        return _check_string(k, v, where, bad)
    if k.type in ("strings", "choices"):
        return _check_strings(k, v, where, bad)
    if k.type == "boolean":
        if not isinstance(v, bool):
            raise bad
        return v
    if k.type == "range":
        return _check_range(k, v, bad)
    return _check_number(k, v, bad)


def _check_string(k: Key, v: Any, where: str, bad: DefinitionError) -> str:
    if not isinstance(v, str) or not v.strip():
        raise bad
    if k.type == "choice" and v not in k.choices:
        raise DefinitionError(f"{where} must be {type_words(k)}, not {describe(v)}{_suggest(v, k.choices)}")
    if k.pattern and not re.fullmatch(k.pattern, v):
        raise DefinitionError(f"{where} must be lower_snake_case (a-z, 0-9, _), like \"my_exercise\", "
                              f"not {describe(v)}")
    return v


def _check_strings(k: Key, v: Any, where: str, bad: DefinitionError) -> tuple[str, ...]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
        raise bad
    if k.type == "choices":
        wrong = [x for x in items if x not in k.choices]
        if wrong or not items:
            raise DefinitionError(f"{where} must be {type_words(k)}, not {describe(v)}"
                                  f"{_suggest(wrong[0], k.choices) if wrong else ''}")
    return tuple(items)


def _check_range(k: Key, v: Any, bad: DefinitionError) -> tuple[int, int]:
    if not (isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v) and v[0] <= v[1]):
        raise bad
    for x in v:
        _check_bounds(k, x, bad)
    return (int(v[0]), int(v[1]))


def _check_number(k: Key, v: Any, bad: DefinitionError) -> Any:
    if k.type == "integer":
        if not _is_int(v):
            raise bad
        _check_bounds(k, v, bad)
        return int(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise bad
    try:
        x = float(v)
    except OverflowError:  # an integer too big for a float
        raise bad from None
    if not math.isfinite(x):
        raise bad
    _check_bounds(k, x, bad)
    return x


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_bounds(k: Key, x: float, bad: DefinitionError) -> None:
    if (k.above is not None and not x > k.above) or (k.min is not None and x < k.min) or \
            (k.max is not None and x > k.max):
        raise bad


def _suggest(value: Any, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), list(options), n=1, cutoff=0.6)
    return f"; did you mean \"{close[0]}\"?" if close else ""


# --- reading files and folders ----------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any]:
    """A definition file's TOML; every way it can fail is a DefinitionError naming the file.

    The file is checked with stat() before it is opened: a FIFO named *.toml would block open() forever,
    a device (a link to /dev/zero) would never end.
    """
    name = path.name
    try:
        info = path.stat()
    except OSError as exc:
        raise DefinitionError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise DefinitionError(f"{name}: not a regular file ({_file_kind(info.st_mode)}), so it is not read")
    if info.st_size > MAX_FILE_BYTES:
        raise DefinitionError(f"{name}: too large to be a definition ({info.st_size} bytes; the limit is "
                              f"{MAX_FILE_BYTES // 1024} KB)")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise DefinitionError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise DefinitionError(f"{name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{name}: not valid TOML ({exc})") from None
    except RecursionError:
        raise DefinitionError(f"{name}: not valid TOML (arrays or tables nested too deeply)") from None
    except ValueError as exc:  # Python's limit on the digits of an integer, among others
        why = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise DefinitionError(f"{name}: not valid TOML ({why})") from None


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def folder_problem(folder: Path, what: str = "exercise") -> str | None:
    """Why a definitions folder gives nothing (missing, not a folder, no *.toml), or None."""
    try:
        if not folder.exists():
            return f"the folder {folder} does not exist"
        if not folder.is_dir():
            return f"{folder} is not a folder"
        if not definition_files(folder):
            return f"the folder {folder} holds no {what} definitions (*.toml files)"
    except OSError as exc:
        return f"the folder {folder} cannot be read ({exc.strerror or exc})"
    return None


def definition_files(folder: Path) -> list[Path]:
    """The *.toml files of a folder, sorted; hidden files (editor locks, .#x.toml) are not definitions."""
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


@dataclass
class Loaded(Generic[T]):
    """What a folder gave: the good definitions by id, and one line per problem."""

    items: dict[str, T] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    by_id: dict[str, str] = field(default_factory=dict)  # the error for an id that did not load


# A parser's own slip on a wrong type must still be one file's error, never the loader's crash.
_UNEXPECTED = (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError, OverflowError)


def load_folder(folder: Path, parse: Callable[[Mapping[str, Any], str], T], what: str = "exercise") -> Loaded[T]:
    """Every definition in `folder`; each bad file (and each duplicated id) becomes one error line."""
    out: Loaded[T] = Loaded()
    if problem := folder_problem(folder, what):
        out.errors.append(problem)
        return out
    sources: dict[str, list[str]] = {}
    for path in definition_files(folder):
        raw: Any = {}
        try:
            raw = read_toml(path)
            item = parse(raw, path.name)
        except DefinitionError as exc:
            _failed(out, raw, path, str(exc))
            continue
        except _UNEXPECTED as exc:
            _failed(out, raw, path, f"{path.name}: malformed ({type(exc).__name__}: {exc})")
            continue
        item_id = item.id
        sources.setdefault(item_id, []).append(path.name)
        out.items.setdefault(item_id, item)
    for item_id, names in sources.items():
        if len(names) > 1:  # neither wins: which one was meant is the user's call
            msg = (f"{' and '.join(names)}: both define the {what} id {item_id!r}, so neither is loaded; "
                   "give each file its own id")
            del out.items[item_id]
            out.errors.append(msg)
            out.by_id[item_id] = msg
    return out


def _failed(out: Loaded[Any], raw: Any, path: Path, message: str) -> None:
    out.errors.append(message)
    raw_id = raw.get("id") if isinstance(raw, Mapping) else None
    out.by_id.setdefault(raw_id if isinstance(raw_id, str) else path.stem, message)


# --- the template ---------------------------------------------------------------------------------------


def toml_value(v: Any) -> str:
    """A value written as TOML (strings, numbers, booleans and flat lists are all a template needs)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


def key_doc(k: Key) -> str:
    if k.default is REQUIRED:
        default = "required"
    elif k.default is None or k.default in ("", ()):
        default = "optional"
    else:
        default = f"default {toml_value(k.default)}"
    return f"{k.doc} ({type_words(k)}; {default})"


def template(tables: Iterable[tuple[Table, bool]], header: str, commented: Iterable[str] = (),
             width: int = 100) -> str:
    """A commented TOML file: every table and key with its doc; inactive tables are commented out.

    Every key is written with its example (else its default); the keys named in `commented` ("table.key")
    and those of inactive tables are commented out, so the active part is a definition that loads.
    """
    off_keys = set(commented)
    out = [*(f"# {line}" if line else "#" for line in header.splitlines()), ""]
    for table, active in tables:
        lead = "" if active else "# "
        if table.name:
            out += _wrapped(table.doc, "# " if active else "## ", width)
            out += [f"{lead}[[{table.name}]]" if table.array else f"{lead}[{table.name}]"]
        for k in table.keys:
            if k.type in ("table", "tables"):
                continue  # written as its own table
            out += _wrapped(key_doc(k), "# " if active else "## ", width)
            value = k.example if k.example is not None else k.default
            path = f"{table.name}.{k.name}" if table.name else k.name
            off = "# " if (path in off_keys or not active) else ""
            out.append(f"{off}{k.name} = {toml_value(value)}")
        out.append("")
    return "\n".join(out)


def _wrapped(text: str, prefix: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=prefix, subsequent_indent=prefix) or [prefix.rstrip()]

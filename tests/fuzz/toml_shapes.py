"""TOML documents built from the shipped files' valid shapes, then mutated.

`emit()` writes a dict back as TOML (tables, arrays of tables, inline tables);
`mutated()` draws a document: the valid shape with a few changes to its structure
(a value of another type, hostile text, a key removed, renamed, added, an item
repeated) and sometimes to its text (a line dropped, repeated, cut)."""

from __future__ import annotations

import copy
import json
import math
import tomllib
from datetime import date, datetime, time
from pathlib import Path

from fuzz_support import hostile_text
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[2] / "data"


def shape(name: str) -> dict:
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


def _key(key: str) -> str:
    return key if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii() else json.dumps(key, ensure_ascii=False)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def emit(data: dict, prefix: str = "") -> str:
    lines, later = [], []
    for key, value in data.items():
        name = f"{prefix}{_key(key)}"
        if isinstance(value, dict):
            later.append(f"\n[{name}]\n" + emit(value, name + "."))
        elif _is_tables(value):
            for item in value:
                later.append(f"\n[[{name}]]\n" + "\n".join(f"{_key(k)} = {_value(v)}" for k, v in item.items()))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    return "\n".join(lines) + "".join(later) + "\n"


scalars = st.one_of(
    hostile_text(max_pieces=4, surrogates=False),
    st.sampled_from(["", "none", "9999h", "0m", "-1h", "1d 4h", "24x7", "09:00-18:00", "25:00-26:00",
                     "Mars/Olympus", "UTC", "status:open", "status:", "\"", "{{ticket.nope}}", "{{ticket.id}}",
                     "number", "choice", "solved", "urgent", "vip", "2026-02-30", "mon", "..", "field.x"]),
    st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, 1, -1, 10**30 // 10**12]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(), st.just(datetime(2026, 1, 1, 9, 30)), st.just(time(9, 30)),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["name", "x", "when", "team", "options", "priority", "add_tags", "needed"]), inner, max_size=3),
    max_leaves=6)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, path + (index,))


def _parent(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw, base: dict) -> str:
    doc = json.loads(json.dumps(base, default=str))  # a deep copy; dates become strings, which is fine
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(doc, path), path[-1]
        how = draw(st.sampled_from(["replace", "replace", "delete", "rename", "add", "repeat"]))
        if how == "replace":
            parent[last] = draw(values)
        elif how == "delete":
            del parent[last]
        elif how == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["nme", "NAME", "when ", "x", "名字"]))] = parent.pop(last)
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "stop", "calendar", "required", "set", "reply"]))] = draw(values)
        elif how == "repeat" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    text = emit(doc)
    edit = draw(st.sampled_from(["none", "none", "none", "drop", "repeat", "cut", "insert"]))
    lines = text.split("\n")
    where = draw(st.integers(0, max(0, len(lines) - 1)))
    if edit == "drop":
        del lines[where]
    elif edit == "repeat":
        lines.insert(where, lines[where])
    elif edit == "cut":
        lines[where] = lines[where][: draw(st.integers(0, len(lines[where])))]
    elif edit == "insert":
        lines.insert(where, draw(st.sampled_from(["[", "[[triggers]]", "= 1", "x = ", "\"a\" = \"b", "[calendars.office]",
                                                   "[[types]]", "[[macros]]", "[columns]", "\x00", "a.b.c = 1"])))
    return "\n".join(lines)

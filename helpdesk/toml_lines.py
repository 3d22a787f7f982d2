"""Naming a line in a TOML file that a loader refused; pure.

tomllib gives positions only for syntax errors, so each loader finds the line of the
key it complains about itself (`sla_config.line_of`, `rules.line_of`, the import map's
locator). Where that finder cannot place an error (a value written in an unexpected
form: a table as a plain value, a quoted or dotted key, an array where tables were
expected), `placed()` names the first line that mentions what the error names, so
every refusal points somewhere in the file."""

from __future__ import annotations

import re

from helpdesk.errors import Invalid

_LINE = re.compile(r"\bline \d+")
_QUOTED = re.compile(r"'([^'\n]{1,80})'|\"([^\"\n]{1,80})\"")
_WORDS = re.compile(r"[^\s\[\]\.:'\",=()]+")


def placed(error: Invalid, source: str) -> Invalid:
    """`error` as it is when it names a line (or nothing in `source` is mentioned),
    else the same error with "(at line N)" for the first line mentioning its subject."""
    if _LINE.search(error.message) or not source:
        return error
    line = first_mention(source, _names(error))
    if line is None:
        return error
    return Invalid(f"{error.reason} (at line {line})", field=error.field)


def _names(error: Invalid) -> list[str]:
    """What an error is about, most specific first: quoted names, then the parts of the
    place it names ('policies[2]: hours.mon' -> mon, hours, policies)."""
    names = [a or b for a, b in _QUOTED.findall(error.reason)]
    names += reversed(_WORDS.findall(re.sub(r"\[\d+\]", "", error.field or "")))
    head = error.reason.split(":", 1)[0]
    names += [w for w in reversed(_WORDS.findall(re.sub(r"\[\d+\]", "", head))) if "_" in w or w.isalpha()][:2]
    return [n for n in dict.fromkeys(names) if n.strip()]


def first_mention(source: str, names: list[str]) -> int | None:
    """The 1-based line where the first of `names` that appears is a key or part of a header."""
    lines = source.splitlines()
    for name in names:
        key = re.compile(rf"""^\s*(?:[^=#]*\.\s*)?["']?{re.escape(name)}["']?\s*[=.]""")
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith("[") and name in stripped.split("#", 1)[0]:
                return number
            if key.match(line):
                return number
    return None

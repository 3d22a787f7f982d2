"""Macros TOML (`helpdesk macro load`): canned replies or notes with placeholders,
plus field changes. Pure: parsing, checking and filling in the text.

    [[macros]]
    name = "still-waiting"
    reply = "您好 {{requester.first_name}}，工单 #{{ticket.id}} 还在等您的回复。"
    set = { status = "pending" }
    add_tags = ["waiting"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from helpdesk.errors import Invalid
from helpdesk.rules import SET_ACTIONS, TAG, Actions, _set_value, line_of
from helpdesk.toml_lines import placed

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PLACES = ("ticket.id", "ticket.subject", "ticket.status", "ticket.priority", "requester.name",
          "requester.first_name", "requester.email", "agent.name", "agent.first_name", "team.name")
FIELD_PLACE = re.compile(r"^ticket\.field\.[\w\-.]{1,64}$", re.UNICODE)
KEYS = ("name", "reply", "note", "set", "add_tags", "remove_tags")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Macro:
    name: str
    kind: str | None  # "reply", "note", or None (field changes only)
    text: str
    changes: Actions = field(default_factory=Actions)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.changes.sets:
            out["set"] = dict(self.changes.sets)
        if self.changes.add_tags:
            out["add_tags"] = list(self.changes.add_tags)
        if self.changes.remove_tags:
            out["remove_tags"] = list(self.changes.remove_tags)
        if self.kind:
            out[self.kind] = self.text
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Macro:
        return _macro(data, 1, "")


def load_macros(text: str) -> list[Macro]:
    """Parse and check macros TOML; `Invalid` names the macro, the problem and the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"TOML syntax error: {exc}") from None
    try:
        return _macros(data, text)
    except Invalid as exc:
        raise placed(exc, text) from None


def _macros(data: dict, text: str) -> list[Macro]:
    unknown = sorted(set(data) - {"macros"})
    if unknown:
        raise Invalid(f"unknown section {unknown[0]!r} (write each macro as [[macros]])")
    items = data.get("macros", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Invalid("macros must be written as [[macros]] tables")
    macros = [_macro(item, i, text) for i, item in enumerate(items, 1)]
    seen: set[str] = set()
    for i, m in enumerate(macros, 1):
        if m.name.lower() in seen:
            raise _bad(text, i, "name", f"macros[{i}]: the name {m.name!r} is used twice")
        seen.add(m.name.lower())
    return macros


def _bad(source: str, index: int, key: str, why: str) -> Invalid:
    line = line_of(source, key, "macros", index)
    return Invalid(why + (f" (at line {line})" if line else ""))


def _macro(item: dict, index: int, source: str) -> Macro:
    label = f"macros[{index}]" + (f" {item['name']!r}" if isinstance(item.get("name"), str) else "")
    unknown = sorted(set(item) - set(KEYS))
    if unknown:
        raise _bad(source, index, unknown[0], f"{label}: unknown key {unknown[0]!r} (keys: {', '.join(KEYS)})")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad(source, index, "name", f"{label}: every macro needs a name")
    if "reply" in item and "note" in item:
        raise _bad(source, index, "note", f"{label}: a macro is a reply or a note, not both")
    kind = "reply" if "reply" in item else "note" if "note" in item else None
    text = item.get(kind, "") if kind else ""
    if kind and (not isinstance(text, str) or not text.strip()):
        raise _bad(source, index, kind, f"{label}: {kind} must be text")
    for place in PLACEHOLDER.findall(text):
        if place not in PLACES and not FIELD_PLACE.match(place):
            raise _bad(source, index, kind, f"{label}: unknown placeholder {{{{{place}}}}} "
                       f"(use {', '.join('{{' + p + '}}' for p in PLACES)}, {{{{ticket.field.KEY}}}})")
    sets = item.get("set", {})
    if not isinstance(sets, dict):
        raise _bad(source, index, "set", f"{label}: set is a table, e.g. set = {{ status = \"pending\" }}")
    unknown = sorted(set(sets) - set(SET_ACTIONS))
    if unknown:
        raise _bad(source, index, "set", f"{label}: set.{unknown[0]} is not a field a macro can set "
                   f"(use {', '.join(SET_ACTIONS)})")
    where = _MacroWhere(label, source, index)
    changes = Actions(sets={k: _set_value(k, v, where) for k, v in sets.items()},
                      add_tags=_tag_list(item, "add_tags", where), remove_tags=_tag_list(item, "remove_tags", where))
    if not kind and not (changes.sets or changes.add_tags or changes.remove_tags):
        raise _bad(source, index, "name", f"{label}: a macro needs a reply, a note or changes")
    return Macro(" ".join(name.split()), kind, text, changes)


class _MacroWhere:
    def __init__(self, label: str, source: str, index: int):
        self.label, self.source, self.index = label, source, index

    def bad(self, key: str, why: str) -> Invalid:
        return _bad(self.source, self.index, "set" if key == "actions" else key, f"{self.label}: {why}")


def _tag_list(item: dict, key: str, where: _MacroWhere) -> tuple[str, ...]:
    tags = item.get(key, [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and TAG.match(t.strip().lower()) for t in tags):
        raise where.bad(key, f"{key} is a list of tags")
    return tuple(dict.fromkeys(t.strip().lower() for t in tags))


def first_name(name: str | None) -> str:
    """'Alice Wong' -> 'Alice'; a Chinese, Japanese or Korean name stays whole (张伟)."""
    name = (name or "").strip()
    if not name or _CJK.search(name):
        return name
    return name.split()[0]


def render(text: str, values: dict[str, str | None]) -> str:
    """Fill in the placeholders; an empty or missing value renders as nothing."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1)) or ""), text)

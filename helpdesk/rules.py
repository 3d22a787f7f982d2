"""Rules TOML (`helpdesk rules load`): triggers and time-based automations. Pure.

Parsing and every check that needs no database live here: known keys and actions,
query terms that parse, durations, and that an automation's actions make its own
`when` false (else it would fire on the same ticket every minute for ever). Names
of agents, teams, calendars and macros are checked against the desk by the service.

    [[triggers]]
    name = "VIP first"
    on = ["created"]
    when = "org.tier:vip"
    actions = { priority = "high", team = "vip" }
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpdesk.errors import Invalid
from helpdesk.toml_lines import placed
from helpdesk.query import PRIORITIES, STATUSES, Query, parse

ON = ("created", "updated", "message")
AUTHORS = ("customer", "agent")
TYPES = ("question", "incident", "problem", "task")
SET_ACTIONS = ("status", "priority", "type", "team", "assignee")
LIST_ACTIONS = ("add_tags", "remove_tags", "skill", "notify")
ACTIONS = (*SET_ACTIONS, *LIST_ACTIONS, "fields", "macro")
CHANGED_FIELDS = ("status", "priority", "type", "team", "assignee", "tags", "subject")
TRIGGER_KEYS = ("name", "on", "when", "changed", "author", "actions", "stop")
AUTOMATION_KEYS = ("name", "when", "actions", "calendar")
TAG = re.compile(r"^[\w\-.:/+#]{1,64}$", re.UNICODE)


@dataclass(frozen=True)
class Actions:
    sets: dict[str, str | None] = field(default_factory=dict)  # status/priority/type/team/assignee
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    fields: dict[str, str | None] = field(default_factory=dict)
    notify: tuple[str, ...] = ()  # "assignee", "team", or an agent's email or name
    macro: str | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = dict(self.sets)
        for key, value in (("add_tags", self.add_tags), ("remove_tags", self.remove_tags),
                           ("skill", self.skills), ("notify", self.notify)):
            if value:
                out[key] = list(value)
        if self.fields:
            out["fields"] = dict(self.fields)
        if self.macro:
            out["macro"] = self.macro
        return out

    def describe(self) -> str:
        parts = [f"{k}={v if v is not None else 'none'}" for k, v in self.sets.items()]
        parts += [f"+tag {t}" for t in self.add_tags] + [f"-tag {t}" for t in self.remove_tags]
        parts += [f"skill {s}" for s in self.skills] + [f"field.{k}={v}" for k, v in self.fields.items()]
        parts += [f"notify {n}" for n in self.notify] + ([f"macro {self.macro}"] if self.macro else [])
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class Trigger:
    name: str
    on: tuple[str, ...]
    when: str
    actions: Actions
    changed: dict[str, str | None] = field(default_factory=dict)  # field -> value it changed to, None = any
    author: str | None = None  # for on = message: only customer or only agent messages
    stop: bool = False

    def to_dict(self) -> dict:
        out = {"name": self.name, "on": list(self.on), "when": self.when, "actions": self.actions.to_dict()}
        if self.changed:
            out["changed"] = {k: ("*" if v is None else v) for k, v in self.changed.items()}
        if self.author:
            out["author"] = self.author
        if self.stop:
            out["stop"] = True
        return out


@dataclass(frozen=True)
class Automation:
    name: str
    when: str
    actions: Actions
    calendar: str | None = None  # status_age counts this SLA calendar's business time

    def to_dict(self) -> dict:
        out = {"name": self.name, "when": self.when, "actions": self.actions.to_dict()}
        if self.calendar:
            out["calendar"] = self.calendar
        return out


@dataclass(frozen=True)
class RuleSet:
    triggers: tuple[Trigger, ...] = ()
    automations: tuple[Automation, ...] = ()

    def to_dict(self) -> dict:
        return {"triggers": [t.to_dict() for t in self.triggers],
                "automations": [a.to_dict() for a in self.automations]}

    @classmethod
    def from_dict(cls, data: dict) -> RuleSet:
        return _parse(data or {}, "")

    def names(self) -> list[str]:
        return [r.name for r in (*self.triggers, *self.automations)]


# -- reading ------------------------------------------------------------------

def load_rules(text: str, *, macro_changes=None) -> RuleSet:
    """Parse and check rules TOML; `Invalid` names the rule, the key and the line.

    macro_changes(name) -> Actions of a macro, or None when there is none: an
    automation's macro counts towards making its condition false."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"TOML syntax error: {exc}") from None
    try:
        return _parse(data, text, macro_changes)
    except Invalid as exc:
        raise placed(exc, text) from None


def _parse(data: dict, source: str, macro_changes=None) -> RuleSet:
    unknown = sorted(set(data) - {"triggers", "automations"})
    if unknown:
        raise Invalid(f"unknown section {unknown[0]!r} (use [[triggers]] and [[automations]])"
                      + _at(source, unknown[0]))
    triggers = [_trigger(item, i, source) for i, item in enumerate(_items(data, "triggers", source), 1)]
    automations = [_automation(item, i, source, macro_changes)
                   for i, item in enumerate(_items(data, "automations", source), 1)]
    seen: set[str] = set()
    for kind, index, rule in [*(("triggers", i, t) for i, t in enumerate(triggers, 1)),
                              *(("automations", i, a) for i, a in enumerate(automations, 1))]:
        if rule.name.lower() in seen:
            raise Invalid(f"{kind}[{index}]: the name {rule.name!r} is used twice"
                          + _at(source, "name", kind, index))
        seen.add(rule.name.lower())
    return RuleSet(tuple(triggers), tuple(automations))


def _items(data: dict, kind: str, source: str) -> list[dict]:
    items = data.get(kind, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Invalid(f"{kind} must be written as [[{kind}]] tables" + _at(source, kind))
    return items


def _trigger(item: dict, index: int, source: str) -> Trigger:
    where = _Where("triggers", index, item, source)
    where.only(TRIGGER_KEYS)
    name = where.name()
    on = where.words("on", ON, required=True)
    author = item.get("author")
    if author is not None and author not in AUTHORS:
        raise where.bad("author", f"author must be {' or '.join(AUTHORS)}, not {author!r}")
    if author and "message" not in on:
        raise where.bad("author", "author applies to on = [\"message\"] only")
    stop = item.get("stop", False)
    if not isinstance(stop, bool):
        raise where.bad("stop", "stop must be true or false")
    when = where.query()
    return Trigger(name, tuple(on), when, _actions(item.get("actions"), where), _changed(item.get("changed"), where),
                   author, stop)


def _automation(item: dict, index: int, source: str, macro_changes) -> Automation:
    where = _Where("automations", index, item, source)
    where.only(AUTOMATION_KEYS)
    name = where.name()
    when = where.query()
    if not when.strip():
        raise where.bad("when", "an automation needs a condition (it runs on every ticket that matches)")
    calendar = item.get("calendar")
    if calendar is not None and (not isinstance(calendar, str) or not calendar.strip()):
        raise where.bad("calendar", "calendar must name an SLA calendar, e.g. \"office\"")
    actions = _actions(item.get("actions"), where)
    macro = macro_changes(actions.macro) if (macro_changes and actions.macro) else None
    if not nullifies(parse_when(when), actions, macro):
        raise where.bad("actions", f"its actions never make its condition false ({when!r}), so it would act on "
                        "the same tickets every minute; add an action that does, e.g. add_tags = [\"reminded\"] "
                        "with -tag:reminded in when")
    return Automation(name, when, actions, calendar.strip() if calendar else None)


def _changed(value, where: _Where) -> dict[str, str | None]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        value = {str(v): "*" for v in value}
    if not isinstance(value, dict):
        raise where.bad("changed", "changed is a field name, a list of them, or { status = \"solved\" }")
    out = {}
    for key, to in value.items():
        if key not in CHANGED_FIELDS and not key.startswith("field."):
            raise where.bad("changed", f"changed: unknown field {key!r} (use {', '.join(CHANGED_FIELDS)} or field.KEY)")
        if not isinstance(to, str):
            raise where.bad("changed", f"changed.{key} must be a value as text, or \"*\" for any change")
        if key.startswith("field."):  # as tickets store their field keys (`clean_field_key`)
            key = "field." + key[6:].strip().lower()
        out[key] = None if to == "*" else to.strip().lower() if key in ("status", "priority", "type") else to.strip()
    return out


def _actions(value, where: _Where) -> Actions:
    if not isinstance(value, dict) or not value:
        raise where.bad("actions", "actions is a table of what to do, e.g. actions = { priority = \"high\" }")
    unknown = sorted(set(value) - set(ACTIONS))
    if unknown:
        raise where.bad("actions", f"unknown action {unknown[0]!r} (actions: {', '.join(ACTIONS)})")
    sets = {}
    for key in SET_ACTIONS:
        if key in value:
            sets[key] = _set_value(key, value[key], where)
    fields = value.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, (str, int, float, bool)) for v in fields.values()):
        raise where.bad("actions", "actions.fields is a table of field = value")
    macro = value.get("macro")
    if macro is not None and (not isinstance(macro, str) or not macro.strip()):
        raise where.bad("actions", "actions.macro names a macro (helpdesk macro list)")
    return Actions(sets, _tags(value, "add_tags", where), _tags(value, "remove_tags", where),
                   tuple(s.lower() for s in _strings(value, "skill", where)),
                   {str(k): ("" if v is None else str(v)) for k, v in fields.items()},
                   tuple(_strings(value, "notify", where)), macro.strip() if macro else None)


def _set_value(key: str, value, where: _Where) -> str | None:
    if not isinstance(value, str):
        raise where.bad("actions", f"actions.{key} must be text")
    word = value.strip()
    if key in ("assignee", "team", "type") and word.lower() == "none":
        return None
    allowed = {"status": STATUSES, "priority": PRIORITIES}.get(key)  # types: the desk's, checked there
    if allowed and word.lower() not in allowed:
        raise where.bad("actions", f"actions.{key}: {word!r} is not one of {', '.join(allowed)}")
    if key == "type" and word.lower() in TYPES:
        return word.lower()
    return word.lower() if allowed else word


def _strings(value: dict, key: str, where: _Where) -> list[str]:
    items = value.get(key, [])
    items = [items] if isinstance(items, str) else items
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise where.bad("actions", f"actions.{key} is a list of names")
    return [i.strip() for i in items]


def _tags(value: dict, key: str, where: _Where) -> tuple[str, ...]:
    tags = [t.lower() for t in _strings(value, key, where)]
    bad = [t for t in tags if not TAG.match(t)]
    if bad:
        raise where.bad("actions", f"actions.{key}: {bad[0]!r} is not a tag (letters, digits, - . : / + #)")
    return tuple(dict.fromkeys(tags))


def parse_when(text: str) -> Query:
    """A rule's condition, for the checks that need no database (relative dates are
    read again when the rule runs)."""
    return parse(text, now=datetime(2026, 1, 1, tzinfo=UTC), tz=ZoneInfo("UTC"))


# -- an automation must end itself ---------------------------------------------------

def nullifies(query: Query, actions: Actions, macro: Actions | None = None) -> bool:
    """True when applying `actions` (and the macro's changes) surely makes `query` false
    for any ticket it matched: some term of the query cannot hold afterwards."""
    sets = {**(macro.sets if macro else {}), **actions.sets}
    added = set(actions.add_tags) | set(macro.add_tags if macro else ())
    removed = set(actions.remove_tags) | set(macro.remove_tags if macro else ())
    for term in query.terms:
        values = {str(v).lower() for v in term.values}
        if term.field == "tag":
            if term.negated and values & added:
                return True
            if not term.negated and values <= (removed - added):
                return True
        elif term.field in ("status", "priority", "type", "team", "assignee") and term.field in sets and term.op == "=":
            new = sets[term.field]
            new = "none" if new is None else new.lower()
            if term.negated == (new in values):
                return True
        elif term.field == "skill" and term.negated and values & set(actions.skills):
            return True
    return False


# -- where an error is -------------------------------------------------------------

class _Where:
    def __init__(self, kind: str, index: int, item: dict, source: str):
        self.kind, self.index, self.item, self.source = kind, index, item, source
        self.label = f"{kind}[{index}]" + (f" {item['name']!r}" if isinstance(item.get("name"), str) else "")

    def bad(self, key: str, why: str) -> Invalid:
        return Invalid(f"{self.label}: {why}" + _at(self.source, key, self.kind, self.index))

    def only(self, keys: tuple[str, ...]) -> None:
        unknown = sorted(set(self.item) - set(keys))
        if unknown:
            raise self.bad(unknown[0], f"unknown key {unknown[0]!r} (keys: {', '.join(keys)})")

    def name(self) -> str:
        name = self.item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.bad("name", "every rule needs a name")
        return " ".join(name.split())

    def words(self, key: str, allowed: tuple[str, ...], *, required: bool) -> list[str]:
        value = self.item.get(key)
        if value is None and required:
            raise self.bad(key, f"{key} is required: a list of {', '.join(allowed)}")
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not value or any(v not in allowed for v in value):
            raise self.bad(key, f"{key} is a list of {', '.join(allowed)}, not {self.item.get(key)!r}")
        return list(dict.fromkeys(value))

    def query(self) -> str:
        when = self.item.get("when", "")
        if not isinstance(when, str):
            raise self.bad("when", "when is a query as text, e.g. when = \"org.tier:vip\"")
        try:
            parse_when(when)
        except Invalid as exc:
            raise self.bad("when", f"when: {exc.message}") from None
        return when.strip()


def _at(source: str, key: str, kind: str | None = None, index: int | None = None) -> str:
    line = line_of(source, key, kind, index)
    return f" (at line {line})" if line else ""


def line_of(source: str, key: str, kind: str | None = None, index: int | None = None) -> int | None:
    """The line of `key` inside the index-th [[kind]] table (1-based), else the table's
    header; without kind, a top-level key or header."""
    if not source:
        return None
    lines = source.splitlines()
    start, end = 0, len(lines)
    if kind:
        headers = [n for n, text in enumerate(lines) if re.match(rf"\s*\[\[\s*{kind}\s*\]\]", text)]
        if index is None or index > len(headers):
            return None
        start = headers[index - 1]
        later = [n for n, text in enumerate(lines) if n > start and re.match(r"\s*\[", text)]
        end = later[0] if later else len(lines)
    for n in range(start, end):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[n]) or re.match(rf"\s*\[+\s*{re.escape(key)}\s*\]", lines[n]):
            return n + 1
    return start + 1 if kind else None

"""Request types: their typed fields and stages, read from TOML and checked whole.

Pure: no session. `load_types(text)` returns the types or raises `Invalid` naming
the type, the key and the line; `check_value(spec, raw)` turns what a person typed
into the stored text of a field, or says why it cannot ("refund_amount: 'abc' is
not a number"); `moves(type, stage)` are the stages a ticket may go to next."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from helpdesk.errors import Invalid
from helpdesk.rules import line_of

KINDS = ("text", "number", "date", "choice", "multi", "bool")
BUILTIN = ("question", "incident", "problem", "task")  # always there, no fields or stages
STATUSES_NEEDING = ("pending", "on_hold", "solved", "closed")  # what required_for may name
TYPE_KEYS = ("name", "description", "portal", "fields", "stages")
FIELD_KEYS = ("key", "label", "kind", "required", "required_for", "min", "max", "options", "portal")
STAGE_KEYS = ("name", "team", "approval", "moves")
KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
TEXT_MAX = 2000
TRUE, FALSE = ("true", "yes", "y", "1", "是", "对"), ("false", "no", "n", "0", "否", "不")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    kind: str = "text"
    label: str = ""
    required: bool = False
    required_for: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    options: tuple[str, ...] = ()
    portal: bool = True  # asked on the portal's request form when its type is offered there

    def to_dict(self) -> dict:
        out = {"key": self.key, "kind": self.kind, "label": self.label or self.key, "required": self.required,
               "required_for": list(self.required_for)}
        if not self.portal:
            out["portal"] = False
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.options:
            out["options"] = list(self.options)
        return out


@dataclass(frozen=True)
class Approval:
    approvers: tuple[str, ...]  # agents (email or name) or teams; a team is one voter
    needed: int = 1


@dataclass(frozen=True)
class Stage:
    name: str
    team: str | None = None  # only its members move tickets into this stage; the ticket goes to it
    approval: Approval | None = None
    moves: tuple[str, ...] | None = None  # where it may go from here; None = next or back one

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.team:
            out["team"] = self.team
        if self.approval:
            out["approval"] = {"approvers": list(self.approval.approvers), "needed": self.approval.needed}
        if self.moves is not None:
            out["moves"] = list(self.moves)
        return out


@dataclass(frozen=True)
class RequestType:
    name: str
    description: str = ""
    fields: tuple[FieldSpec, ...] = ()
    stages: tuple[Stage, ...] = ()
    portal: bool = False  # offered to customers on the portal's request form

    @property
    def portal_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.portal)

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    def stage(self, name: str | None) -> Stage | None:
        wanted = (name or "").strip().casefold()
        return next((s for s in self.stages if s.name.casefold() == wanted), None)

    def to_dict(self) -> dict:
        out = {"name": self.name, "description": self.description, "fields": [f.to_dict() for f in self.fields],
               "stages": [s.to_dict() for s in self.stages]}
        if self.portal:
            out["portal"] = True
        return out


def moves(kind: RequestType, current: str | None) -> list[str]:
    """The stages a ticket in `current` may move to: the next or the previous one,
    unless the stage lists its own `moves`."""
    names = [s.name for s in kind.stages]
    stage = kind.stage(current)
    if stage is None:
        return names[:1]
    if stage.moves is not None:
        return list(stage.moves)
    at = names.index(stage.name)
    return [n for n in (names[at + 1] if at + 1 < len(names) else None, names[at - 1] if at else None) if n]


def previous(kind: RequestType, current: str | None) -> str | None:
    names = [s.name for s in kind.stages]
    stage = kind.stage(current)
    if stage is None:
        return None
    at = names.index(stage.name)
    return names[at - 1] if at else None


# -- values ---------------------------------------------------------------------

def check_value(spec: FieldSpec, raw) -> str:
    """The stored text of a field's value, or `Invalid` naming the field and why."""
    text = " ".join(str(raw).split()) if spec.kind != "text" else str(raw).replace("\x00", "").strip()
    if spec.kind == "text":
        if len(text) > TEXT_MAX:
            raise _bad_value(spec, text[:20] + "…", f"is longer than {TEXT_MAX} characters")
        return text
    if spec.kind == "number":
        return _number(spec, text)
    if spec.kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise _bad_value(spec, text, "is not a date (write YYYY-MM-DD, e.g. 2026-03-05)") from None
    if spec.kind == "bool":
        word = text.casefold()
        if word in TRUE or word in FALSE:
            return "true" if word in TRUE else "false"
        raise _bad_value(spec, text, "is not yes or no (true/false, yes/no, 是/否)")
    if spec.kind == "choice":
        return _option(spec, text)
    parts = [p for p in re.split(r"\s*[,，、]\s*", text) if p]  # multi: commas, Chinese ones too
    return ", ".join(dict.fromkeys(_option(spec, p) for p in parts))


def _number(spec: FieldSpec, text: str) -> str:
    try:
        value = float(text.replace(",", "")) if re.fullmatch(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?|[+-]?\.[0-9]+", text) \
            else math.nan
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise _bad_value(spec, text, "is not a number")
    if spec.min is not None and value < spec.min:
        raise _bad_value(spec, text, f"is below the minimum {plain_number(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise _bad_value(spec, text, f"is above the maximum {plain_number(spec.max)}")
    return plain_number(value)


def plain_number(value: float) -> str:
    """12.5, 1200, 0.0001: never an exponent, so the text reads (and compares) as typed."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def _option(spec: FieldSpec, text: str) -> str:
    found = next((o for o in spec.options if o.casefold() == text.casefold()), None)
    if found is None:
        raise _bad_value(spec, text, f"is not one of {', '.join(spec.options)}")
    return found


def _bad_value(spec: FieldSpec, text: str, why: str) -> Invalid:
    return Invalid(f"{text!r} {why}", field=spec.key)  # shown as "key: 'abc' is not a number"


# -- reading ---------------------------------------------------------------------

def load_types(text: str) -> list[RequestType]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"TOML syntax error: {exc}") from None
    return parse_types(data, text)


def parse_types(data: dict, source: str = "") -> list[RequestType]:
    unknown = sorted(set(data) - {"types"})
    if unknown:
        raise Invalid(f"unknown table {unknown[0]!r}: a types file holds [[types]]" + _at(source, unknown[0]))
    items = data.get("types", [])
    if not isinstance(items, list):
        raise Invalid("types must be [[types]] tables" + _at(source, "types"))
    out: list[RequestType] = []
    seen: set[str] = set()
    for index, item in enumerate(items, 1):
        kind = _type(item, index, source)
        if kind.name.casefold() in seen or kind.name.casefold() in BUILTIN:
            why = "is built in" if kind.name.casefold() in BUILTIN else "is used twice"
            raise Invalid(f"types[{index}]: the name {kind.name!r} {why}" + _at(source, "name", "types", index))
        seen.add(kind.name.casefold())
        out.append(kind)
    return out


def _type(item, index: int, source: str) -> RequestType:
    label = f"types[{index}]"
    if not isinstance(item, dict):
        raise Invalid(f"{label}: must be a table")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        raise Invalid(f"{label}: needs a name (1-60 characters)" + _at(source, "name", "types", index))
    label = f"{label} {name.strip()!r}"
    where = _Where(label, source, index)
    where.only(item, TYPE_KEYS)
    fields = tuple(_field(f, where, n) for n, f in enumerate(_tables(item, "fields", where), 1))
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise where.bad("key", f"field {twice!r} is listed twice")
    stages = tuple(_stage(s, where, n) for n, s in enumerate(_tables(item, "stages", where), 1))
    names = [s.name.casefold() for s in stages]
    if len(set(names)) != len(names):
        raise where.bad("stages", "a stage name is used twice")
    for stage in stages:
        for target in stage.moves or ():
            if target.casefold() not in names:
                raise where.bad("moves", f"stage {stage.name!r} moves to {target!r}, which is not one of its stages")
    portal = item.get("portal", False)
    if not isinstance(portal, bool):
        raise where.bad("portal", "portal must be true or false (offer this type on the portal's request form)")
    hidden = next((f for f in fields if f.required and not f.portal), None)
    if portal and hidden:
        raise where.bad("portal", f"field {hidden.key!r} is required on create, so a type offered on the portal "
                                  "must ask for it there (drop its portal = false, or its required)")
    return RequestType(name.strip(), str(item.get("description") or ""), fields, stages, portal)


def _tables(item: dict, key: str, where: _Where) -> list:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise where.bad(key, f"{key} must be [[types.{key}]] tables")
    return value


def _field(item: dict, where: _Where, n: int) -> FieldSpec:
    key = str(item.get("key") or "").strip().lower()
    where = _Near(where, str(item.get("key") or ""))
    where.only(item, FIELD_KEYS, f"fields[{n}]")
    if not KEY.match(key):
        raise where.bad("key", f"fields[{n}]: key {item.get('key')!r} must be letters, digits, - _ . (e.g. order_no)")
    kind = item.get("kind", "text")
    if kind not in KINDS:
        raise where.bad("kind", f"field {key!r}: unknown kind {kind!r} (kinds: {', '.join(KINDS)})")
    options = item.get("options", [])
    if kind in ("choice", "multi") and (not isinstance(options, list) or not options
                                        or not all(isinstance(o, str) and o.strip() for o in options)):
        raise where.bad("options", f"field {key!r}: a {kind} needs options = [\"...\", ...]")
    if kind not in ("choice", "multi") and options:
        raise where.bad("options", f"field {key!r}: options apply to choice and multi fields only")
    bounds = {b: item.get(b) for b in ("min", "max") if item.get(b) is not None}
    for b, v in bounds.items():
        if kind != "number" or isinstance(v, bool) or not isinstance(v, (int, float)):
            raise where.bad(b, f"field {key!r}: {b} applies to number fields and must be a number")
    needs = item.get("required_for", [])
    if not isinstance(needs, list) or any(s not in STATUSES_NEEDING for s in needs):
        raise where.bad("required_for", f"field {key!r}: required_for lists statuses ({', '.join(STATUSES_NEEDING)})")
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise where.bad("required", f"field {key!r}: required must be true or false")
    portal = item.get("portal", True)
    if not isinstance(portal, bool):
        raise where.bad("portal", f"field {key!r}: portal must be true or false (ask it on the portal's form)")
    return FieldSpec(key, kind, str(item.get("label") or ""), required, tuple(needs), bounds.get("min"),
                     bounds.get("max"), tuple(o.strip() for o in options), portal)


def _stage(item: dict, where: _Where, n: int) -> Stage:
    name = item.get("name")
    where = _Near(where, str(name or ""))
    where.only(item, STAGE_KEYS, f"stages[{n}]")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        raise where.bad("name", f"stages[{n}]: needs a name (1-60 characters)")
    team = item.get("team")
    if team is not None and (not isinstance(team, str) or not team.strip()):
        raise where.bad("team", f"stage {name!r}: team must be a team's name")
    approval = item.get("approval")
    if approval is not None:
        approval = _approval(approval, where, name)
    moves_to = item.get("moves")
    if moves_to is not None and (not isinstance(moves_to, list) or not all(isinstance(m, str) for m in moves_to)):
        raise where.bad("moves", f"stage {name!r}: moves lists stage names")
    return Stage(name.strip(), team.strip() if team else None, approval,
                 tuple(m.strip() for m in moves_to) if moves_to is not None else None)


def _approval(value, where: _Where, stage: str) -> Approval:
    if not isinstance(value, dict) or set(value) - {"approvers", "needed"}:
        raise where.bad("approval", f"stage {stage!r}: approval = {{ approvers = [...], needed = N }}")
    approvers = value.get("approvers")
    if not isinstance(approvers, list) or not approvers or not all(isinstance(a, str) and a.strip() for a in approvers):
        raise where.bad("approval", f"stage {stage!r}: approvers lists agents (email or name) or teams")
    needed = value.get("needed", 1)
    if isinstance(needed, bool) or not isinstance(needed, int) or not 1 <= needed <= len(approvers):
        raise where.bad("approval", f"stage {stage!r}: needed must be 1 to {len(approvers)} (the approvers listed)")
    return Approval(tuple(a.strip() for a in approvers), needed)


class _Where:
    def __init__(self, label: str, source: str, index: int):
        self.label, self.source, self.index = label, source, index

    def bad(self, key: str, why: str, near: str | None = None) -> Invalid:
        return Invalid(f"{self.label}: {why}" + _at(self.source, key, "types", self.index, deep=True, near=near))

    def only(self, item: dict, keys: tuple[str, ...], part: str = "") -> None:
        unknown = sorted(set(item) - set(keys))
        if unknown:
            where = f"{part}: " if part else ""
            raise self.bad(unknown[0], f"{where}unknown key {unknown[0]!r} (keys: {', '.join(keys)})")


class _Near(_Where):
    """Errors inside one field or stage: lines are looked for from its key or name on."""

    def __init__(self, outer: _Where, near: str):
        super().__init__(outer.label, outer.source, outer.index)
        self.near = near or None

    def bad(self, key: str, why: str, near: str | None = None) -> Invalid:
        return super().bad(key, why, near or self.near)


def _at(source: str, key: str, kind: str | None = None, index: int | None = None, *, deep: bool = False,
        near: str | None = None) -> str:
    line = _line(source, key, index, near) if deep else line_of(source, key, kind, index)
    return f" (at line {line})" if line else ""


def _line(source: str, key: str, index: int | None, near: str | None = None) -> int | None:
    """The line of `key` inside the index-th [[types]] and its sub-tables: the first
    one at or after the line that mentions `near` (a field's key, a stage's name)."""
    if not source or index is None:
        return None
    lines = source.splitlines()
    heads = [n for n, t in enumerate(lines) if re.match(r"\s*\[\[\s*types\s*\]\]", t)]
    if index > len(heads):
        return None
    start = heads[index - 1]
    end = heads[index] if index < len(heads) else len(lines)
    if near:
        start = next((n for n in range(start, end) if re.search(rf"=\s*[\"']{re.escape(near)}[\"']", lines[n])), start)
    for n in range(start, end):
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[n]) or re.search(rf"\b{re.escape(key)}\s*=", lines[n]):
            return n + 1
    return start + 1

"""read_records: sheet rows -> typed ticket records with per-row errors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from helpdesk.sheets.cells import cell_text, clean_text
from helpdesk.sheets.columns import CUSTOM, IGNORE, ColumnPlan
from helpdesk.sheets.dates import CellError, parse_when
from helpdesk.sheets.layout import SheetSource
from helpdesk.sheets.values import (
    Comment,
    is_placeholder,
    looks_like_email,
    split_tags,
    to_comment,
    to_email,
    to_priority,
    to_status,
    value_key,
)

SUBJECT_MAX = 120  # a subject taken from the description's first line is cut here
_DATES = ("created_at", "updated_at", "solved_at")
_TYPED = frozenset({"status", "priority", "requester_email", *_DATES})
_CUSTOM_JOIN = "; "
_SPECIAL_START = ("#", "'")  # what clean_text looks at after stripping  # a custom field repeated under the same header (Jira's Sprint, Sprint)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it
    column: str  # the header, or the field when no single column is to blame
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


@dataclass(slots=True)
class Record:
    """One sheet row. `values` holds only the fields whose cells had data (an absent
    key is a blank cell, which must not erase a stored value on re-import)."""

    row: int
    values: dict
    fields: dict[str, str]
    errors: list[RowError]
    raw: list  # the cells as read (merged values carried down), for the rejects file
    fingerprint: str  # stable across re-imports of the same row; column order does not matter

    @property
    def ok(self) -> bool:
        return not self.errors


class _Row:
    """What the converters fill while one row is read."""

    __slots__ = ("errors", "fields", "number", "parts", "values")

    def __init__(self, number: int):
        self.number, self.values, self.fields, self.errors, self.parts = number, {}, {}, [], []

    def fail(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.number, column, reason))


Converter = Callable[[_Row, object, str, str], None]  # (row, raw cell, its text, header)


def read_records(
    source: SheetSource,
    plan: ColumnPlan,
    *,
    tz: ZoneInfo,
    dayfirst: bool = False,
    datemode_1904: bool | None = None,
) -> Iterator[Record]:
    """Stream the sheet's records. datemode_1904=None takes the workbook's own setting."""
    if datemode_1904 is None:
        datemode_1904 = source.datemode_1904
    convert = _Converters(plan, tz, dayfirst, datemode_1904)
    steps = [(c.index, c.header, f"fields.{c.key}" if c.target == CUSTOM else c.target,
              convert.pick(c.target, c.key)) for c in plan.columns if c.target != IGNORE]
    for number, cells in source.rows():
        yield _record(number, cells, steps)


def _record(number: int, cells: list, steps: list) -> Record:
    row = _Row(number)
    for index, header, part, converter in steps:
        value = cells[index]
        if type(value) is str:  # most cells: skip cell_text's type dispatch
            # clean_text's common case inline: printable, no Excel error code, no ' escape
            text = value.strip() if value.isprintable() else clean_text(value)
            if text[:1] in _SPECIAL_START:
                text = clean_text(text)
        else:
            text = cell_text(value)
        if text:
            row.parts.append(f"{part}\x1f{text}")
            converter(row, value, text, header)
    _finish(row)
    return Record(number, row.values, row.fields, row.errors, cells, _fingerprint(row.parts))


def _finish(row: _Row) -> None:
    values = row.values
    name = values.get("requester_name")
    if "requester_email" not in values and name and looks_like_email(name):
        values["requester_email"] = values.pop("requester_name").lower()
    if "subject" not in values:
        description = values.get("description")
        if description:
            first = next(line.strip() for line in description.split("\n") if line.strip())
            values["subject"] = first[:SUBJECT_MAX].rstrip()
        else:
            row.fail("subject", "no subject and no description")


def _fingerprint(parts: list[str]) -> str:
    parts.sort()
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()


class _Converters:
    def __init__(self, plan: ColumnPlan, tz: ZoneInfo, dayfirst: bool, datemode_1904: bool):
        self.statuses = {value_key(k): v for k, v in plan.statuses.items()}
        self.priorities = {value_key(k): v for k, v in plan.priorities.items()}
        self.tz, self.dayfirst, self.datemode_1904 = tz, dayfirst, datemode_1904
        self.known: dict[tuple[str, str], object] = {}  # (field, text) -> value: cells repeat

    def pick(self, target: str, key: str | None) -> Converter:
        if target == CUSTOM:
            return _custom(key)
        if target in _DATES:
            return _typed_blank(self._date(target))
        special = {"status": self._status, "priority": self._priority, "tags": _tags,
                   "comments": self._comment, "requester_email": self._email}.get(target)
        return _typed_blank(special) if target in _TYPED else special or _text(target)

    def _remember(self, name: str, text: str, convert: Callable[[str], object]) -> object:
        found = self.known.get((name, text))
        if found is None:
            found = convert(text)  # raises CellError for a bad value: errors are not kept
            if len(self.known) < 100_000:
                self.known[name, text] = found
        return found

    def _status(self, row: _Row, value: object, text: str, header: str) -> None:
        status = self._remember("status", text, lambda t: to_status(t, self.statuses))
        row.values.setdefault("status", status)

    def _priority(self, row: _Row, value: object, text: str, header: str) -> None:
        priority = self._remember("priority", text, lambda t: to_priority(t, self.priorities))
        row.values.setdefault("priority", priority)

    def _email(self, row: _Row, value: object, text: str, header: str) -> None:
        address, name = self._remember("email", text, to_email)
        row.values.setdefault("requester_email", address)
        if name:
            row.values.setdefault("requester_name", name)

    def _date(self, name: str) -> Converter:
        def convert(row: _Row, value: object, text: str, header: str) -> None:
            when = parse_when(value if type(value) is not str else text, self.tz,
                              self.dayfirst, self.datemode_1904)
            row.values.setdefault(name, when)
        return convert

    def _comment(self, row: _Row, value: object, text: str, header: str) -> None:
        comment = to_comment(text, self.tz, self.dayfirst, self.datemode_1904)
        row.values.setdefault("comments", []).append(comment)


def _typed_blank(convert: Converter) -> Converter:
    """Typed cells: placeholders are blank, and a bad value is this row's error."""
    def guarded(row: _Row, value: object, text: str, header: str) -> None:
        if is_placeholder(text):
            return
        try:
            convert(row, value, text, header)
        except CellError as error:
            row.fail(header, str(error))
    return guarded


def _text(name: str) -> Converter:
    def convert(row: _Row, value: object, text: str, header: str) -> None:
        row.values.setdefault(name, text)  # two columns for one field: the first non-blank wins
    return convert


def _custom(key: str) -> Converter:
    def convert(row: _Row, value: object, text: str, header: str) -> None:
        fields = row.fields
        fields[key] = f"{fields[key]}{_CUSTOM_JOIN}{text}" if key in fields else text
    return convert


def _tags(row: _Row, value: object, text: str, header: str) -> None:
    tags = row.values.setdefault("tags", [])
    tags.extend(tag for tag in split_tags(text) if tag not in tags)


__all__ = ["Comment", "Record", "RowError", "read_records"]

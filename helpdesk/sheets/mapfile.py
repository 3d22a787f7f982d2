"""MAP.toml: the user's corrections to the automatic column and value mapping.

    timezone = "Asia/Shanghai"     # the desk's zone for wall-clock dates
    dayfirst = true                # 05/03/2025 is 5 March
    sheet = "2025"                 # optional, like --sheet
    header_row = 3                 # optional: skip header detection
    encoding = "gb18030"           # optional, text files only

    [columns]
    "单号" = "external_id"          # a field name,
    "客户等级" = "field.tier"       # a custom field, or
    "序号" = "ignore"

    [status]
    "待审核" = "open"
    [priority]
    "P0" = "urgent"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.errors import Invalid
from helpdesk.toml_lines import placed
from helpdesk.sheets.columns import FIELDS, IGNORE
from helpdesk.sheets.values import PRIORITIES, STATUSES, value_key

_TOP = {"columns", "status", "priority", "timezone", "dayfirst", "sheet", "header_row", "encoding"}


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, str] = field(default_factory=dict)  # header -> field | field.KEY | ignore
    statuses: dict[str, str] = field(default_factory=dict)  # value_key(value) -> status
    priorities: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    dayfirst: bool | None = None
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None


def load_map(text: str) -> ColumnMap:
    """Parse MAP.toml; a mistake is Invalid naming its line and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise Invalid(f"not valid TOML: {error}", field="map") from None
    try:
        return _column_map(data, text)
    except Invalid as error:
        raise placed(error, text) from None


def _column_map(data: dict, text: str) -> ColumnMap:
    where = _Locator(text)
    for key in data:
        if key not in _TOP:
            raise where.invalid(None, key, f"unknown setting (use {', '.join(sorted(_TOP))})")
    return ColumnMap(
        columns=_columns(data.get("columns", {}), where),
        statuses=_values(data.get("status", {}), "status", STATUSES, where),
        priorities=_values(data.get("priority", {}), "priority", PRIORITIES, where),
        timezone=_timezone(data.get("timezone"), where),
        dayfirst=_typed(data, "dayfirst", bool, where),
        sheet=_typed(data, "sheet", str, where),
        header_row=_header_row(data, where),
        encoding=_typed(data, "encoding", str, where),
    )


def _columns(table: object, where: _Locator) -> dict[str, str]:
    _require_table(table, "columns", where)
    columns = {}
    for header, target in table.items():
        ok = isinstance(target, str) and (
            target in FIELDS or target == IGNORE
            or (target.startswith("field.") and target[len("field."):].strip()))
        if not ok:
            raise where.invalid("columns", header, f'"{target}" is not a field; use one of '
                                f'{", ".join(FIELDS)}, "field.NAME" or "ignore"')
        columns[header] = target
    return columns


def _values(table: object, section: str, allowed: tuple[str, ...], where: _Locator) -> dict:
    _require_table(table, section, where)
    for value, target in table.items():
        if target not in allowed:
            raise where.invalid(section, value, f'"{target}" is not a {section}; '
                                f'use one of {", ".join(allowed)}')
    return {value_key(value): target for value, target in table.items()}


def _require_table(table: object, section: str, where: _Locator) -> None:
    if not isinstance(table, dict):
        raise where.invalid(None, section, f"must be a table: [{section}]")


def _timezone(name: object, where: _Locator) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory ("America"), a name too long
        raise where.invalid(None, "timezone", f'unknown time zone "{name}" '
                            '(use an IANA name such as "Asia/Shanghai")') from None
    return str(name)


def _typed(data: dict, key: str, kind: type, where: _Locator):
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise where.invalid(None, key, f"must be {'true or false' if kind is bool else 'text'}")
    return value


def _header_row(data: dict, where: _Locator) -> int | None:
    value = data.get("header_row")
    if value is not None and (type(value) is not int or value < 1):
        raise where.invalid(None, "header_row", "must be a row number (1 or more)")
    return value


class _Locator:
    """tomllib reports no positions for valid TOML, so find the key's line ourselves."""

    _SECTION = re.compile(r"\s*\[\s*([^\]]+?)\s*\]")

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line_of(self, section: str | None, key: str) -> int | None:
        current = None
        quoted = re.compile(r"\s*(?:" + re.escape(key) + r'|"' + re.escape(key) + r'"|\''
                            + re.escape(key) + r"')\s*=")
        for number, line in enumerate(self.lines, start=1):
            header = self._SECTION.match(line)
            if header:
                current = header.group(1).strip('"')
                if section is None and current == key:
                    return number
            elif current == section and quoted.match(line):
                return number
        return None

    def invalid(self, section: str | None, key: str, reason: str) -> Invalid:
        line = self.line_of(section, key)
        name = f'[{section}] "{key}"' if section else key
        return Invalid(f"{'line ' + str(line) + ': ' if line else ''}{name}: {reason}", field="map")

"""CLI output: rich tables for people, JSON and CSV for scripts.

Every value from outside goes through `literal()` and into `rich.text.Text`,
never through markup, so a subject like "[bold]" or an escape sequence is shown
as the harmless text it is."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from helpdesk.text import literal


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def emit_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])


def csv_cell(value: Any) -> str:
    """A cell spreadsheet programs will not run as a formula."""
    if value is None:
        return ""
    text = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str | None = None) -> None:
    """One line per row; the text columns (subject, name, ...) give way to fit the terminal."""
    from rich.table import Table
    from rich.text import Text

    out = console()
    cells = [[Text(literal(v)) for v in row] for row in rows]
    widths = [max([len(c)] + [x.cell_len for x in col]) for c, col in zip(columns, zip(*cells))] if cells else [len(c) for c in columns]
    wide = [i for i, c in enumerate(columns) if c in WIDE]
    fixed = sum(w + 2 for i, w in enumerate(widths) if i not in wide)
    room = max(8, (out.width - fixed - 2 * len(wide)) // max(1, len(wide)))
    t = Table(box=None, pad_edge=False, header_style="bold", caption=caption, caption_justify="left")
    for i, name in enumerate(columns):
        t.add_column(name, no_wrap=True, overflow="ellipsis", max_width=room if i in wide else None,
                     min_width=None if i in wide else widths[i])
    for row in cells:
        t.add_row(*row)
    out.print(t)


WIDE = ("subject", "query", "meaning", "name", "requester", "assignee", "value", "when", "actions", "text", "title")


def lines(items: Iterable[tuple[str, Any]]) -> None:
    """`label: value` lines, values shown literally."""
    from rich.text import Text

    out = console()
    for label, value in items:
        out.print(Text.assemble((f"{label}: ", "bold"), literal(value)))


def say(message: str, *, style: str | None = None) -> None:
    """A status line on stderr, so stdout stays clean for scripts. Never hard-wrapped:
    the terminal wraps it, and a log file (`worker 2>log`) keeps one line per message."""
    from rich.text import Text

    # Status lines quote outside text (a sheet's name, a rejected cell, a stage): shown literally.
    console(stderr=True).print(Text(literal(message, multiline=True), style=style or ""), soft_wrap=True)


def show(message: str) -> None:
    """A line of a command's answer on stdout, shown literally (never as markup)."""
    from rich.text import Text

    console().print(Text(literal(message, multiline=True)))


def when(value: str | datetime | None, now: datetime | None = None) -> str:
    """An ISO time as local time plus a relative age, e.g. '2026-11-25 10:03 (5m ago)'."""
    if not value:
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    now = now or datetime.now(timezone.utc)
    return f"{dt.astimezone().strftime('%Y-%m-%d %H:%M')} ({ago(now - dt)})"


def age(value: str | None, now: datetime | None = None) -> str:
    """Just the relative part: '5m ago'."""
    if not value:
        return ""
    return ago((now or datetime.now(timezone.utc)) - datetime.fromisoformat(value))


def ago(delta) -> str:
    secs = int(delta.total_seconds())
    suffix = "ago" if secs >= 0 else "from now"
    secs = abs(secs)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit} {suffix}"
    return "just now"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m = rem // 60
    if d:
        return f"{sign}{d}d {h}h"
    if h:
        return f"{sign}{h}h {m:02d}m"
    return f"{sign}{m}m"

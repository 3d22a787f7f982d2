"""How one ticket row reads: pure formatting of cells (no Textual, no database).

Colours come from a `Palette` built from the app's theme, so every built-in theme
shows SLA states in its own success/warning/error colours. Outside text is made
literal here, once, before it becomes a `Text` (never markup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.style import Style
from rich.text import Text

from helpdesk.text import literal


@dataclass(frozen=True)
class Palette:
    running: Style = Style(color="green")
    warning: Style = Style(color="yellow", bold=True)
    breached: Style = Style(color="red", bold=True)
    paused: Style = Style(dim=True)
    accent: Style = Style(color="cyan", bold=True)
    muted: Style = Style(dim=True)

    @classmethod
    def from_theme(cls, theme) -> Palette:
        """Styles from a textual Theme (success / warning / error / accent colours)."""
        def colour(name: str, fallback: str) -> str:
            return getattr(theme, name, None) or fallback

        return cls(
            running=Style(color=colour("success", "green")),
            warning=Style(color=colour("warning", "yellow"), bold=True),
            breached=Style(color=colour("error", "red"), bold=True),
            accent=Style(color=colour("accent", "cyan"), bold=True),
        )


def duration(seconds: float) -> str:
    """Compact countdown: 3d04h, 2h05m, 12m05s, 45s (negative gets a minus)."""
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m{secs:02d}s"
    return f"{sign}{secs}s"


def sla_cell(state: str | None, due_at: datetime | None, now: datetime, palette: Palette) -> Text:
    """The countdown of the next due clock, coloured by its state."""
    if state == "paused":
        return Text("paused", palette.paused)
    if state == "met":
        return Text("met", palette.muted)
    if due_at is None or state is None:
        return Text("")
    remaining = (due_at - now).total_seconds()
    if state == "breached" or remaining < 0:
        return Text(duration(remaining), palette.breached)
    return Text(duration(remaining), palette.warning if state == "warning" else palette.running)


def relative(when: datetime | None, now: datetime) -> str:
    """How long ago: now, 5m, 3h, 2d, 3w, 4mo, 2y."""
    if when is None:
        return ""
    s = max(0, int((now - when).total_seconds()))
    for limit, size, unit in ((60, 0, "now"), (3600, 60, "m"), (86400, 3600, "h"), (14 * 86400, 86400, "d"),
                              (60 * 86400, 7 * 86400, "w"), (730 * 86400, 30 * 86400, "mo")):
        if s < limit:
            return unit if not size else f"{s // size}{unit}"
    return f"{s // (365 * 86400)}y"


def priority_cell(priority: str, palette: Palette) -> Text:
    style = {"urgent": palette.breached, "high": palette.warning, "low": palette.muted}.get(priority, Style())
    return Text(priority, style)


def status_cell(status: str, palette: Palette) -> Text:
    style = {"new": palette.accent, "pending": palette.muted, "on_hold": palette.muted,
             "solved": palette.muted, "closed": palette.muted}.get(status, Style())
    return Text(status.replace("_", " "), style)


def plain(value: object) -> Text:
    """Outside text as one literal line (markup and escapes stay inert)."""
    return Text(literal(value))


def row_cells(row, now: datetime, palette: Palette, marked: bool = False) -> dict[str, Text]:
    """Every cell of one queue row (`row` is a services.queues.Row)."""
    return {
        "mark": Text("●", palette.accent) if marked else Text(""),
        "number": Text(f"#{row.id}"),
        "sla": sla_cell(row.sla_state, row.sla_due_at, now, palette),
        "priority": priority_cell(row.priority, palette),
        "status": status_cell(row.status, palette),
        "subject": plain(row.subject),
        "requester": plain(row.requester or ""),
        "assignee": plain(_short_agent(row.assignee)),
        "updated": Text(relative(row.updated_at, now), palette.muted),
    }


def _short_agent(who: str | None) -> str:
    return "—" if not who else who

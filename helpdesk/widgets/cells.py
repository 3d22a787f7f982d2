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


SLA_WIDTH = 16  # the queue's SLA column: "18h00m Fri 17:00"


def due_label(due_at: datetime, now: datetime) -> str:
    """The due moment in the viewer's local time: 'Fri 17:00' within six days, else 'Mar 12' (days
    away, the hour matters less than the room: the line fits the detail pane at 160 columns)."""
    local = due_at.astimezone()
    if abs((due_at - now).total_seconds()) < 6 * 86400:
        return f"{local:%a %H:%M}"
    return f"{local:%b %d}"


def long_duration(seconds: int) -> str:
    """As `sla status` prints it: 3d 4h, 2h 10m, 12m 05s, 45s (no sign)."""
    s = abs(int(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def shown_state(clock, now: datetime) -> str:
    """The clock's state as of now; one not consuming time shows as paused (red when it ran out)."""
    state = clock.state_at(now)
    if not clock.running and state != "met" and not clock.met:
        state = "breached" if clock.remaining(now) < 0 else "paused"
    return state


def _style(state: str, palette: Palette) -> Style:
    return {"running": palette.running, "warning": palette.warning, "breached": palette.breached,
            "paused": palette.paused}.get(state, palette.muted)


def sla_cell(clock, now: datetime, palette: Palette) -> Text:
    """The column: business time left on the next due clock and when it falls due, coloured by state.

    `clock` is a services.sla.clocks.Countdown (or None: no clock)."""
    if clock is None:
        return Text("")
    state = shown_state(clock, now)
    if clock.met or state == "met":
        return Text("met", palette.muted)
    remaining = clock.remaining(now)
    if not clock.running:
        return Text(f"paused {duration(remaining)}", _style(state, palette))
    if remaining < 0:
        state = "breached"
    return Text(_countdown_and_due(duration(remaining), clock.due_at, now), _style(state, palette))


def _countdown_and_due(countdown: str, due_at: datetime | None, now: datetime) -> str:
    """'2h10m Fri 17:00', '12m05s 17:00' (due today), '1d21h Mar 12'; when the pair is wider than the
    column the due moment loses its time ('-11h54m Tue'), never the countdown its precision."""
    if due_at is None:
        return countdown
    local = due_at.astimezone()
    due = f"{local:%H:%M}" if local.date() == now.astimezone().date() else due_label(due_at, now)
    text = f"{countdown} {due}"
    return text if len(text) <= SLA_WIDTH else f"{countdown} {due.split()[0]}"


def clock_line(clock, now: datetime, palette: Palette) -> Text:
    """The detail pane, coloured by state: '2h 10m left · Fri 17:00', '25m 00s overdue · Thu 17:00',
    'paused · 3h 00m left', 'met', 'breached (met late)'."""
    state = shown_state(clock, now)
    style = _style(state, palette)
    if clock.met or state == "met":
        return Text("breached (met late)" if state == "breached" else "met", style)
    remaining = clock.remaining(now)
    # the word after the figure keeps the line short enough for the pane at 160 columns
    left = f"{long_duration(remaining)} {'overdue' if remaining < 0 else 'left'}"
    if not clock.running:
        return Text(f"paused · {left}", style)
    out = Text(left, style)
    if clock.due_at is not None:
        out += Text(f" · {due_label(clock.due_at, now)}")
    return out


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


def row_cells(row, now: datetime, palette: Palette, marked: bool = False, clock=None) -> dict[str, Text]:
    """Every cell of one queue row (`row` is a services.queues.Row, `clock` its next due Countdown)."""
    return {
        "mark": Text("●", palette.accent) if marked else Text(""),
        "number": Text(f"#{row.id}"),
        "sla": sla_cell(clock, now, palette),
        "priority": priority_cell(row.priority, palette),
        "status": status_cell(row.status, palette),
        "subject": plain(row.subject),
        "requester": plain(row.requester or ""),
        "assignee": plain(_short_agent(row.assignee)),
        "updated": Text(relative(row.updated_at, now), palette.muted),
    }


def _short_agent(who: str | None) -> str:
    return "—" if not who else who

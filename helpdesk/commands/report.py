"""`helpdesk report summary|agents|heatmap|backlog`: figures a manager can trust (docs/reports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, read

app = typer.Typer(help="Reports: volume, first reply, resolution, FCR, reopens, SLA attainment, backlog.",
                  no_args_is_help=True)

QUERY = typer.Argument(None, help="Narrow the tickets (query language), e.g. 'team:billing type:退货退款'.")
PERIOD = typer.Option(None, "--period", "-p", help="2026-03, 2026, 2026-03-05, today, 7d, 30d or month "
                                                     "(midnights of desk.timezone).")
FROM = typer.Option(None, "--from", help="Start: a date (midnight, desk time zone) or an ISO time.")
TO = typer.Option(None, "--to", help="End: a date (that whole day is included) or an ISO time; default now.")
OUT = typer.Option(None, "--out", "-o", help="Also write FILE: .xlsx (Excel charts), .html (one page, SVG charts) "
                                              "or .csv (UTF-8 with BOM).")


def _run(kind: str, query: list[str] | None, period: str | None, start: str | None, end: str | None,
         json_out: bool, out: Path | None, **kw) -> None:
    from helpdesk.services.core.settings import desk_zone
    from helpdesk.services.insight import reports
    from helpdesk.services.insight.period import resolve
    from helpdesk.services.insight.tables import tables

    text = " ".join(query or [])

    def go(s, who):
        from helpdesk.models import utcnow

        now = utcnow()
        p = resolve(period=period, start=start, end=end, tz=desk_zone(s), now=now)
        sc = reports.scope(s, who, p, text, now=now)
        return getattr(reports, kind)(s, sc, **kw)

    data = read(go)
    title = _title(kind, data, text)
    if out is not None:
        from helpdesk.services.insight.files import write

        write(out, title, tables(kind, data))
    if json_out:
        return render.emit_json(data)
    render.show(title)
    for t in tables(kind, data):
        render.show("")
        render.show(f"{t.title}:")
        render.table(t.columns, t.rows)
    if out is not None:
        render.say(f"wrote {out}")


def _title(kind: str, data: dict, query: str) -> str:
    period = data.get("period", {}).get("label") or (f"at {data['at']}" if "at" in data else "")
    where = f" · {query}" if query else ""
    zone = data.get("timezone")
    return f"{kind.capitalize()} report · {period}{where}" + (f" · {zone}" if zone else "")


@app.command("summary")
def summary(query: Optional[list[str]] = QUERY, period: Optional[str] = PERIOD, start: Optional[str] = FROM,
            end: Optional[str] = TO, json_out: bool = JSON, out: Optional[Path] = OUT) -> None:
    """Headline figures: created, solved, first reply and resolution times (calendar and business),
    FCR and one-touch, reopens, SLA attainment, volume, backlog, CSAT/NPS.

    Examples:\n
      helpdesk report summary --period 2026-03\n
      helpdesk report summary 'team:billing type:退货退款' --from 2026-03-01 --to 2026-03-15\n
      helpdesk report summary --period 2026-03 --out march.xlsx\n
      helpdesk report summary --json
    """
    _run("summary", query, period, start, end, json_out, out)


@app.command("agents")
def agents(query: Optional[list[str]] = QUERY, period: Optional[str] = PERIOD, start: Optional[str] = FROM,
           end: Optional[str] = TO, json_out: bool = JSON, out: Optional[Path] = OUT) -> None:
    """Per agent: public replies, tickets solved (by who held each at its solve), first replies, CSAT.

    Examples:\n
      helpdesk report agents --period 7d\n
      helpdesk report agents 'team:support' --period 2026-03 --out agents.csv
    """
    _run("agents", query, period, start, end, json_out, out)


@app.command("heatmap")
def heatmap(query: Optional[list[str]] = QUERY, period: Optional[str] = PERIOD, start: Optional[str] = FROM,
            end: Optional[str] = TO, json_out: bool = JSON, out: Optional[Path] = OUT) -> None:
    """Tickets created by weekday and hour, in desk.timezone.

    Examples:\n
      helpdesk report heatmap --period 30d\n
      helpdesk report heatmap 'channel:email' --period 2026-03 --out heat.html
    """
    _run("heatmap", query, period, start, end, json_out, out)


@app.command("backlog")
def backlog(query: Optional[list[str]] = QUERY, at: Optional[str] = typer.Option(
                None, "--at", help="The moment (date = its midnight, or an ISO time); default: the period's end, "
                                   "or now."),
            period: Optional[str] = PERIOD, start: Optional[str] = FROM, end: Optional[str] = TO,
            json_out: bool = JSON, out: Optional[Path] = OUT) -> None:
    """Tickets not solved or closed at a moment, rebuilt from the status history, by age
    (<24h, 1-3 days, 3-7 days, >=7 days).

    Examples:\n
      helpdesk report backlog\n
      helpdesk report backlog --at 2026-03-01\n
      helpdesk report backlog 'team:billing' --at 2026-03-01T09:00 --json
    """
    moment = None
    if at:
        from helpdesk.services.core.settings import desk_zone
        from helpdesk.services.insight.period import moment as parse_moment

        moment = read(lambda s, _w: parse_moment(at, tz=desk_zone(s), field="at"))
    _run("backlog", query, period, start, end, json_out, out, at=moment)

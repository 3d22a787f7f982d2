"""`helpdesk sla ...` (policies, clocks, notifications) and `helpdesk worker` (background jobs)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, LIMIT, read, write

app = typer.Typer(help="SLA policies and clocks.", no_args_is_help=True)

KINDS = ("first_response", "next_response", "resolution")
STATUS_COLUMNS = ("id", "status", "priority", "subject", "assignee", "policy", "sla_state",
                  "first_response", "next_response", "resolution", "due_at")


@app.command("load")
def load(file: Path = typer.Argument(..., help="SLA TOML file (see data/sla.toml)."),
         keep_clocks: bool = typer.Option(False, "--keep-clocks",
                                          help="Do not recompute open tickets now; they change on their next update."),
         json_out: bool = JSON) -> None:
    """Validate and store SLA calendars and policies (admins only); a bad file is refused whole.

    Example: helpdesk sla load data/sla.toml
    """
    from helpdesk.errors import Invalid, NotFound
    from helpdesk.services.sla.loading import load_policies

    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"no file {file}") from None
    except UnicodeDecodeError as exc:
        raise Invalid(f"{file} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    summary = write(lambda s, who: load_policies(s, who, text, source=file.name, recompute=not keep_clocks))
    if json_out:
        return render.emit_json({"loaded": str(file), **summary})
    render.say(f"loaded {summary['policies']} policies and {summary['calendars']} calendars from {file}"
               + (f"; recomputed {summary['recomputed']} tickets" if not keep_clocks else ""))


@app.command("policies")
def policies(json_out: bool = JSON) -> None:
    """Show the SLA policies in match order (the first that matches a ticket wins) and the calendars."""
    from helpdesk.services.sla.policies import (
        calendar_rows,
        policy_rows,
        require_config,
        short_duration,
    )

    config = read(lambda s, _w: require_config(s))
    rows, calendars = policy_rows(config), calendar_rows(config)
    if json_out:
        return render.emit_json({"policies": rows, "calendars": calendars})
    render.table(("#", "name", "match", "calendar", "first reply", "next reply", "resolution", "warn at"),
                 ([r["order"], r["name"], r["match"] or "(every ticket)", r["calendar"],
                   *(short_duration(r["targets_seconds"][k]) for k in KINDS), f"{r['warn_at']:.0%}"]
                  for r in rows), caption="first match wins; times are business time on the policy's calendar")
    render.table(("calendar", "timezone", "hours"),
                 ([c["name"], c["timezone"], _hours(c["hours"])] for c in calendars))


def _hours(hours) -> str:
    return hours if isinstance(hours, str) else " ".join(f"{d}={r}" for d, r in hours.items())


@app.command("status")
def status(
    query: list[str] = typer.Argument(None, help="Which tickets (query language); default: status:active."),
    limit: int = LIMIT,
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """List SLA clocks of matching tickets, the soonest due first.

    Examples:\n
      helpdesk sla status\n
      helpdesk sla status 'sla:due<2h assignee:me'\n
      helpdesk sla status sla:breached --csv > breached.csv
    """
    from helpdesk.services.tickets.listing import find_tickets, ticket_dicts

    text = " ".join(query or []) or "status:active"

    def fetch(s, who):
        page = find_tickets(s, who, text, limit=limit, sort="due", descending=False)
        return ticket_dicts(s, page.tickets), page.total

    rows, total = read(fetch)
    if json_out:
        return render.emit_json({"query": text, "total": total, "count": len(rows),
                                 "tickets": [_status_json(r) for r in rows]})
    if csv_out:
        return render.emit_csv(STATUS_COLUMNS, (_status_cells(r, csv=True) for r in rows))
    caption = f"{len(rows)} of {total} tickets" + (" (use --limit for more)" if total > len(rows) else "")
    render.table(("#", "status", "priority", "subject", "assignee", "policy", "sla", "first reply", "next reply",
                  "resolution"),
                 ([f"#{r['id']}", *_status_cells(r, csv=False)[1:-1]] for r in rows), caption=caption)


def _status_json(row: dict) -> dict:
    keep = ("id", "subject", "status", "priority", "assignee", "team", "sla")
    return {k: row[k] for k in keep}


def _status_cells(row: dict, *, csv: bool) -> list:
    sla = row["sla"] or {}
    due = [c["due_at"] for c in (sla.get(k) for k in KINDS)
           if c and c["state"] in ("running", "breached") and not c["met_at"]]
    return [row["id"], row["status"], row["priority"], row["subject"], row["assignee"] or "",
            sla.get("policy") or "", _worst(sla), *(_clock_cell(sla.get(k), csv) for k in KINDS),
            min(due, default="")]


def _worst(sla: dict) -> str:
    rank = {"met": 0, "paused": 1, "running": 2, "breached": 3}
    states = [c["state"] for c in (sla.get(k) for k in KINDS) if c]
    return max(states, key=rank.__getitem__) if states else ""


def _clock_cell(clock: dict | None, csv: bool) -> str:
    """'running 1h 20m', 'breached -25m', 'paused 3h 00m', 'met'; CSV: state:remaining_seconds."""
    if clock is None:
        return ""
    if csv:
        return f"{clock['state']}:{clock['remaining_seconds']}"
    if clock["state"] == "met":
        return "met"
    return f"{clock['state']} {render.duration(clock['remaining_seconds'])}"


@app.command("notifications")
def notifications(all_: bool = typer.Option(False, "--all", help="Read ones too (the latest 50)."),
                  mark_read: bool = typer.Option(False, "--mark-read", help="Mark the listed ones read."),
                  json_out: bool = JSON) -> None:
    """Show my SLA notifications (warnings and breaches of my tickets and team)."""
    from helpdesk.errors import Invalid
    from helpdesk.services.core import notifications as notes

    def fetch(s, who):
        if who.agent_id is None:
            raise Invalid("notifications belong to an agent (use --as EMAIL or HELPDESK_AGENT)", field="as")
        found = notes.recent(s, who.agent_id) if all_ else notes.unread(s, who.agent_id)
        if mark_read:
            notes.mark_read(s, who.agent_id, [n.id for n in found])
        return [notes.as_dict(n) for n in found]

    rows = write(fetch) if mark_read else read(fetch)
    if json_out:
        return render.emit_json({"notifications": rows, "count": len(rows)})
    render.table(("id", "ticket", "kind", "when", "text"),
                 ([n["id"], f"#{n['ticket']}" if n["ticket"] else "", n["kind"], render.age(n["created_at"]),
                   n["text"]] for n in rows), caption=f"{len(rows)} notifications")


def worker(once: bool = typer.Option(False, "--once", help="Run every job that is due once, then exit (for cron)."),
           interval: Optional[float] = typer.Option(None, "--interval", min=1,
                                                    help="Seconds between runs of every job (default: each job's own)."),
           json_out: bool = JSON) -> None:
    """Run the background jobs (SLA sweeps and escalations, ...) until stopped (SIGTERM or ctrl-c).

    Examples:\n
      helpdesk worker\n
      helpdesk worker --once        (from cron: * * * * * helpdesk worker --once)
    """
    from helpdesk import scheduler
    from helpdesk.commands.common import desk

    if once:
        results = scheduler.run_once(desk())
        if json_out:
            return render.emit_json(results)
        for name, result in results.items():
            render.say(f"{name}: {_summary(result)}")
        failed = [n for n, r in results.items() if isinstance(r, dict) and "error" in r]
        if failed:
            raise typer.Exit(1)
        return
    jobs = ", ".join(f"{j.name} every {interval or j.interval:g}s" for j in scheduler.JOBS)
    scheduler.run_forever(desk(), interval=interval,
                          on_start=lambda: render.say(f"worker running: {jobs}; stop with ctrl-c"))
    render.say("worker stopped")


def _summary(result) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items())
    return str(result)

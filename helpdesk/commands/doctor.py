"""`helpdesk doctor`: is this desk healthy, and if not, what to do."""

from __future__ import annotations

import sys

import typer

from helpdesk import render
from helpdesk.commands.common import JSON

MARKS = {"ok": "ok", "problem": "PROBLEM", "skipped": "skipped"}


def doctor(json_out: bool = JSON,
           repair: bool = typer.Option(False, "--repair", help="Rebuild the search rows the search check finds wrong (admin), then check again.")) -> None:
    """Check a desk: schema revision, file integrity, search index, SLA clocks, mail outbox, worker.

    Prints each check as ok / PROBLEM with what to do. Exit 0 when the desk is healthy,
    1 when any check found a problem, 3 when there is no database at --db.
    The desk is only read (it is not upgraded), except with --repair.

    Examples:\n
      helpdesk doctor\n
      helpdesk --db /srv/desk.db doctor --json\n
      helpdesk --as ada@example.com doctor --repair
    """
    from helpdesk.services.upkeep.doctor import examine

    desk = _open()
    try:
        if repair:
            _repair(desk)
        report = examine(desk)
    finally:
        desk.close()
    if json_out:
        render.emit_json(report.to_dict())
    else:
        from helpdesk.text import literal

        out = [f"{literal(report.url)} ({report.backend})"]
        width = max(len(c.name) for c in report.checks)
        for check in report.checks:  # one line each, never hard-wrapped: the terminal wraps them
            out.append(f"{MARKS[check.state]:>7}  {check.name:<{width}}  {literal(check.summary)}")
            if check.advice:
                out.append(f"{'':>7}  {'':<{width}}  -> {literal(check.advice)}")
        sys.stdout.write("\n".join(out) + "\n")
        problems = len(report.problems)
        render.say("healthy" if report.healthy else f"{problems} problem{'' if problems == 1 else 's'} found")
    if not report.healthy:
        raise typer.Exit(1)


def _open():
    """The desk as it is: never created, never migrated."""
    from sqlalchemy.exc import OperationalError

    from helpdesk.commands.common import options
    from helpdesk.db import open_desk, resolve_url, sqlite_path
    from helpdesk.errors import HelpdeskError, NotFound

    url = resolve_url(options.db)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise NotFound(f"no database at {path} (`helpdesk init` creates one)")
    desk = open_desk(url, migrate=False)
    try:
        with desk.engine.connect():
            pass
    except OperationalError as exc:
        desk.close()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise HelpdeskError(f"cannot open the database: {reason}") from None
    return desk


def _repair(desk) -> None:
    from helpdesk.commands.common import options
    from helpdesk.services.core.acting import acting
    from helpdesk.services.upkeep.doctor import repair_search

    def run(session):
        return repair_search(session, acting(session, options.who, desk.url).actor)

    done = desk.write(run)
    render.say(f"search index: {done['reindexed']} tickets reindexed, {done['removed']} orphan rows removed")

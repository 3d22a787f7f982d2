"""Reports on a big desk with its history, against a floor measured in the same run.

    python -m bench.bench_reports                   # 1M tickets (builds the desk once)
    python -m bench.bench_reports --tickets 100000  # quicker

The generated desk (bench/dataset.py) gets a status history and SLA clocks in SQL
(first reply -> open, solves, one ticket in twenty reopened and solved again, some
pending), then `services/insight/columns.refresh_all` fills the insight columns as
migration 0010 would (its time is printed: the backfill of an existing desk).
Measured: `report summary` over the whole history and over the last 30 days, the
backlog rebuilt at a past moment, `report agents`; the floor is one
`SELECT channel, count(*) FROM ticket GROUP BY channel` with plain sqlite3.
Prints a Markdown table (stdout); progress goes to stderr."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench import dataset
from bench.common import OUT, Result, Target, markdown_table, median, say, schema_hash, timings

END = dataset.END.replace(tzinfo=timezone.utc)

HISTORY = [
    # created -> open at the first reply
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, first_response_at, 'bench', 'status', 'new', 'open' FROM ticket
       WHERE first_response_at IS NOT NULL""",
    # one solved ticket in twenty: solved half way, reopened, solved again at solved_at
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, datetime((julianday(created_at) + julianday(solved_at)) / 2), 'bench', 'status',
              'open', 'solved' FROM ticket WHERE solved_at IS NOT NULL AND id % 20 = 0""",
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, datetime(julianday(created_at) * 0.4 + julianday(solved_at) * 0.6), 'bench',
              'status', 'solved', 'open' FROM ticket WHERE solved_at IS NOT NULL AND id % 20 = 0""",
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, solved_at, 'bench', 'status', CASE WHEN first_response_at IS NULL THEN 'new'
              ELSE 'open' END, 'solved' FROM ticket WHERE solved_at IS NOT NULL""",
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, closed_at, 'bench', 'status', 'solved', 'closed' FROM ticket
       WHERE closed_at IS NOT NULL""",
    """INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new)
       SELECT id, 'ticket', id, updated_at, 'bench', 'status', 'open', 'pending' FROM ticket
       WHERE status = 'pending'""",
    # SLA clocks: first reply within 8 hours, resolution within 3 days (calendar time here)
    """INSERT INTO sla_clock (ticket_id, kind, policy, target_seconds, state, started_at, due_at, met_at,
                              elapsed_seconds)
       SELECT id, 'first_response', 'Bench', 28800, CASE WHEN first_response_at IS NULL THEN 'running' ELSE 'met' END,
              created_at, datetime(julianday(created_at) + 8 / 24.0), first_response_at, 0 FROM ticket""",
    """INSERT INTO sla_clock (ticket_id, kind, policy, target_seconds, state, started_at, due_at, met_at,
                              elapsed_seconds)
       SELECT id, 'resolution', 'Bench', 259200, CASE WHEN solved_at IS NULL THEN 'running' ELSE 'met' END,
              created_at, datetime(julianday(created_at) + 3), solved_at, 0 FROM ticket""",
]


def with_history(tickets: int) -> Path:
    """The generated desk plus history and insight columns, cached next to it."""
    path = OUT / f"reports-{tickets}-{schema_hash()}.db"
    if path.exists():
        return path
    base = dataset.build(tickets)
    partial = path.with_name(path.name + ".partial")
    shutil.copy(base, partial)
    conn = sqlite3.connect(partial, isolation_level=None)
    began = time.perf_counter()
    conn.execute("BEGIN")
    for sql in HISTORY:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    say(f"history added in {time.perf_counter() - began:.0f} s")

    from helpdesk.db import open_desk
    from helpdesk.services.insight.columns import refresh_all

    desk = open_desk(str(partial), migrate=False)
    began = time.perf_counter()
    done = desk.write(refresh_all)
    say(f"insight columns of {done:,} tickets worked out in {time.perf_counter() - began:.0f} s "
        f"(what migration 0010 does on an existing desk)")
    desk.close()
    conn = sqlite3.connect(partial)
    conn.execute("ANALYZE")
    conn.close()
    partial.rename(path)
    return path


def run(tickets: int, runs: int) -> list[Result]:
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import SYSTEM
    from helpdesk.services.insight import reports
    from helpdesk.services.insight.period import Period

    path = with_history(tickets)
    desk = open_desk(str(path), migrate=False)
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    floor = median(timings(lambda: raw.execute("SELECT channel, count(*) FROM ticket GROUP BY channel").fetchall(),
                           runs))

    def summary(start):
        def go():
            with desk.read() as s:
                # no period given: the whole history, as `helpdesk report summary` with no options
                period = Period(start, END + timedelta(microseconds=1), "bench", whole=start is None)
                sc = reports.scope(s, SYSTEM, period, now=END)
                return reports.summary(s, sc)
        return go

    def other(kind, **kw):
        def go():
            with desk.read() as s:
                sc = reports.scope(s, SYSTEM, Period(END - timedelta(days=30), END, "bench"), now=END)
                return getattr(reports, kind)(s, sc, **kw)
        return go

    say(f"reports on {tickets:,} tickets: {runs} runs each")
    full = median(timings(summary(None), runs))
    month = median(timings(summary(END - timedelta(days=30)), runs))
    backlog = median(timings(other("backlog", at=END - timedelta(days=180)), runs))
    agents = median(timings(other("agents"), runs))
    heatmap = median(timings(other("heatmap"), runs))

    def board():
        with desk.read() as s:
            return reports.dashboard(s, SYSTEM, "30d", now=END)

    dashboard = median(timings(board, runs))
    out = summary(None)()
    say(f"full history: created {out['created']:,}, solved {out['solved']:,}, FCR {out['fcr']['rate']:.3f}, "
        f"first reply median {out['first_reply']['median']} s")
    desk.close()
    raw.close()
    ms = 1000
    note = "floor: SELECT channel, count(*) GROUP BY channel, plain sqlite3"
    return [
        Result(f"report summary, full history ({tickets:,} tickets)", full * ms, floor * ms, "ms", Target(1000), note),
        Result("report summary, last 30 days", month * ms, floor * ms, "ms", Target(200), note),
        Result("backlog rebuilt at a moment 180 days back", backlog * ms, floor * ms, "ms", None, note),
        Result("report agents, last 30 days", agents * ms, floor * ms, "ms", None, note),
        Result("report heatmap, last 30 days", heatmap * ms, floor * ms, "ms", None, note),
        Result("app dashboard refresh, 30 days (summary, trend, agents, heatmap; off the UI thread)",
               dashboard * ms, floor * ms, "ms", Target(300), note),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(markdown_table(run(args.tickets, args.runs), f"Reports ({datetime.now():%Y-%m-%d})"))


if __name__ == "__main__":
    main()

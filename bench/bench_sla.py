"""SLA benchmarks, reported as ratios against floors measured in the same run.

1. Due-time computation: `add_business_time` on an office calendar with a
   lunch break, holidays and a make-up day (Asia/Shanghai), and
   `compute_clocks` on a small ticket history, against the floor of plain
   `datetime + timedelta` arithmetic.
2. One SLA sweep over a desk of N open tickets (default 100k) of which D
   (default 1,000) have a warning or breach due: the real job
   (`scheduler.sla_sweep`: indexed read of `sla_check_at`, recompute, claim,
   events, actions), against the floor of a bare sqlite3
   `SELECT ... WHERE sla_check_at <= ?` plus an UPDATE of those D rows.
   The target is a sweep within 1 s.

    .venv/bin/python bench/bench_sla.py [--tickets 100000] [--due 1000]

The dataset is generated on the spot in a temporary directory (bulk inserts,
not the services: building 100k tickets one by one would measure the wrong
thing), then the sweep runs through the real services.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

UTC = timezone.utc
OFFICE = """
[calendars.office]
timezone = "Asia/Shanghai"
holidays = ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
workdays = ["2026-10-10"]

[calendars.office.hours]
mon = "09:00-12:00,13:00-18:00"
tue = "09:00-12:00,13:00-18:00"
wed = "09:00-12:00,13:00-18:00"
thu = "09:00-12:00,13:00-18:00"
fri = "09:00-12:00,13:00-18:00"

[[policies]]
name = "Office"
match = ""
calendar = "office"
first_response = "2h"
next_response = "4h"
resolution = "16h"
"""


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


# --- 1. due-time computation ----------------------------------------------------------------


def bench_due_times(count: int) -> list[tuple[str, float, float]]:
    from helpdesk.calendar import add_business_time
    from helpdesk.sla import Timeline, TimelineEvent, compute_clocks, load_sla_config

    config = load_sla_config(OFFICE)
    calendar, policy = config.calendars["office"], config.policies[0]
    rng = random.Random(7)
    base = datetime(2026, 1, 5, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(300 * 86400)) for _ in range(count)]
    targets = [rng.choice((1800, 7200, 16 * 3600, 45 * 3600)) for _ in range(count)]

    floor, _ = timed(lambda: [s + timedelta(seconds=t) for s, t in zip(starts, targets)])
    business, _ = timed(lambda: [add_business_time(calendar, s, t) for s, t in zip(starts, targets)])

    def timeline(start: datetime) -> Timeline:
        return Timeline(created_at=start, events=[
            TimelineEvent(start + timedelta(hours=1), "agent_reply"),
            TimelineEvent(start + timedelta(hours=2), "status", "pending"),
            TimelineEvent(start + timedelta(hours=20), "customer_message"),
            TimelineEvent(start + timedelta(hours=20), "status", "open"),
        ])

    timelines = [timeline(s) for s in starts[: count // 10]]
    clocks, _ = timed(lambda: [compute_clocks(t, policy, calendar, t.created_at + timedelta(days=3))
                               for t in timelines])
    return [
        ("datetime + timedelta (floor)", count / floor, 1.0),
        ("add_business_time", count / business, business / floor),
        ("compute_clocks, 3 clocks (per ticket)", len(timelines) / clocks,
         (clocks / len(timelines)) / (floor / count)),
    ]


# --- 2. the sweep ----------------------------------------------------------------------------


# Round the clock, so the dataset means the same whatever day the bench runs.
SWEEP_POLICIES = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "Urgent"
match = "priority:urgent"
calendar = "always"
first_response = "1h"
resolution = "24h"
on_breach = { notify = ["assignee", "team"], add_tags = ["sla-breached"] }

[[policies]]
name = "High"
match = "priority:high"
calendar = "always"
first_response = "4h"
resolution = "27h"
on_breach = { notify = ["assignee"] }

[[policies]]
name = "Default"
match = ""
calendar = "always"
first_response = "8h"
resolution = "45h"
"""
FIRST_RESPONSE = {"urgent": ("Urgent", 3600), "high": ("High", 4 * 3600), "normal": ("Default", 8 * 3600),
                  "low": ("Default", 8 * 3600)}
RESOLUTION = {"Urgent": 24 * 3600, "High": 27 * 3600, "Default": 45 * 3600}


def build_desk(folder: Path, tickets: int, due: int, now: datetime):
    """A desk with `tickets` open tickets; for `due` of them the first-response
    breach has come (its warning already went out): exactly `due` events to fire."""
    from sqlalchemy import insert

    from helpdesk.db import open_desk
    from helpdesk.models import Message, SlaClock, Ticket
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.people import agents as agent_book
    from helpdesk.services.sla.loading import load_policies

    desk = open_desk(str(folder / "bench.db"))

    def setup(s):
        admin = actor_of(agent_book.add_agent(s, ANONYMOUS, "admin@bench.example", "Admin"))
        agent_book.add_team(s, admin, "support")
        agents = [agent_book.add_agent(s, admin, f"a{i}@bench.example", f"Agent {i}", team="support").id for i in range(5)]
        load_policies(s, admin, SWEEP_POLICIES, recompute=False)
        return agents

    agents = desk.write(setup)
    rng = random.Random(2026)
    due_ids = set(rng.sample(range(1, tickets + 1), due))
    tickets_rows, clock_rows, message_rows = [], [], []
    for tid in range(1, tickets + 1):
        is_due = tid in due_ids
        priority = rng.choice(("low", "normal", "normal", "normal", "high", "urgent")) if is_due else "normal"
        policy, first = FIRST_RESPONSE[priority]
        age = timedelta(seconds=first + rng.randrange(60, 1800)) if is_due else timedelta(minutes=rng.randrange(1, 60))
        created = now - age
        first_due = created + timedelta(seconds=first)
        check = now - timedelta(seconds=30) if is_due else created + timedelta(seconds=first * 3 // 4)
        tickets_rows.append(dict(
            id=tid, subject=f"Bench ticket {tid}", status="open", priority=priority, channel="email",
            fields={}, created_at=created, updated_at=created, version=1, team_id=1,
            assignee_id=rng.choice(agents), sla_policy=policy, sla_state="warning" if is_due else "running",
            sla_due_at=first_due, sla_check_at=check))
        for kind, target in (("first_response", first), ("resolution", RESOLUTION[policy])):
            warn = created + timedelta(seconds=target * 3 // 4)
            clock_rows.append(dict(
                ticket_id=tid, kind=kind, policy=policy, target_seconds=target, state="running",
                started_at=created, due_at=created + timedelta(seconds=target), warn_at=warn, elapsed_seconds=0,
                warned_at=warn if is_due and kind == "first_response" else None))
        message_rows.append(dict(ticket_id=tid, kind="reply", body="It is broken.", headers={}, created_at=created))

    def load(s):
        for table, rows in ((Ticket, tickets_rows), (SlaClock, clock_rows), (Message, message_rows)):
            for start in range(0, len(rows), 10_000):
                s.execute(insert(table.__table__), rows[start:start + 10_000])

    desk.write(load)
    return desk


def settle(path: Path) -> None:
    """Fold the dataset's write-ahead log into the database, so no one pays for it later."""
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def floor_sweep(path: Path, now: datetime, due: int) -> float:
    """Bare sqlite3: select the due rows by the index and update them; rolled back."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM ticket WHERE sla_check_at <= ? ORDER BY sla_check_at LIMIT ?", (stamp, due))]
        conn.executemany("UPDATE ticket SET sla_check_at = NULL, sla_state = 'breached' WHERE id = ?",
                         [(i,) for i in ids])
        elapsed = time.perf_counter() - start
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    assert len(ids) == due, f"floor found {len(ids)} due tickets, expected {due}"
    return elapsed


def bench_sweep(tickets: int, due: int) -> list[tuple[str, float, float]]:
    from helpdesk import scheduler
    from helpdesk.models import utcnow

    now = utcnow()
    with tempfile.TemporaryDirectory() as folder:
        built, desk = timed(build_desk, Path(folder), tickets, due, now)
        print(f"dataset: {tickets:,} open tickets, {due:,} due, built in {built:.1f}s")
        settle(Path(folder) / "bench.db")
        floor_sweep(Path(folder) / "bench.db", utcnow(), due)  # warm-up: both start from a warm cache
        floor = min(floor_sweep(Path(folder) / "bench.db", utcnow(), due) for _ in range(3))
        sweep, result = timed(scheduler.sla_sweep, desk)
        desk.close()
    assert result == {"tickets": due, "warnings": 0, "breaches": due}, result
    print(f"sweep: {result}")
    return [("bare SELECT + UPDATE of the due rows (floor, best of 3)", floor, 1.0),
            ("scheduler.sla_sweep", sweep, sweep / floor)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--computations", type=int, default=20_000)
    args = parser.parse_args()

    print("due-time computation")
    for name, rate, ratio in bench_due_times(args.computations):
        print(f"  {name:42} {rate:12,.0f} /s   x{ratio:,.1f} the floor's time")
    print("sweep")
    for name, seconds, ratio in bench_sweep(args.tickets, args.due):
        print(f"  {name:56} {seconds:8.3f} s   x{ratio:,.1f} the floor")
    print("target: the sweep within 1 s for 1,000 due of 100k open tickets")


if __name__ == "__main__":
    main()

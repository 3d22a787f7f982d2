"""Rules and routing (issue 12), each against a floor measured in the same run.

    python -m bench.bench_rules                       # all three
    python -m bench.bench_rules --only bulk,create,automations

1. `ticket create --from FILE`, 20,000 JSON lines into a 20,000-ticket desk with 50
   triggers and a round-robin team of 10 agents (capacity 100 each), against the same
   run with no rules and that team routing manually: ≥ 0.5× its tickets/s, and ≥ 1,500/s.
2. One `helpdesk ticket create` process (what a user waits for) on that desk with the
   50 triggers, against the same create with no rules: ≤ 1.1×.
3. `run_job` (the worker's minute of automations: `run_automations` chunk after chunk)
   over 100,000 open/pending tickets with 20 automations: ≤ 1 s when nothing matches
   (floor: the same SQL statements replayed with plain sqlite3), ≥ 5,000 actions/s when
   20,000 tickets match the add-tag reminder (floor: the same rows written with plain
   sqlite3: tag, version bump, two events).

Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import dataset, rules_desk
from bench.bench_cli import ADMIN, clean_env, copy_desk, helpdesk_argv, start_env
from bench.common import Result, Target, markdown_table, median, process_seconds, say

BULK_BASE = 20_000
BULK_LINES = 20_000
AUTOMATION_DESK = 100_000
MANY = 20_000


# -- 1. JSON Lines bulk create ---------------------------------------------------------

def bench_bulk(work: Path, runs: int, count: int = BULK_LINES) -> list[Result]:
    base = dataset.build(BULK_BASE)
    source = work / "bulk.jsonl"
    lines = rules_desk.bulk_lines(base, count)
    source.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    say(f"bulk: {runs} × ticket create --from ({count:,} lines into {BULK_BASE:,} tickets), with and without rules")
    argv = [*helpdesk_argv(), "--as", ADMIN, "ticket", "create", "--from", str(source), "--quiet"]
    with_rules, without = [], []
    for i in range(runs):
        ruled = copy_desk(base, work / f"ruled{i}.db")
        rules_desk.prepare(ruled, rules=rules_desk.rules_toml(50), routing="round_robin")
        plain = copy_desk(base, work / f"plain{i}.db")
        rules_desk.prepare(plain, rules=None, routing="manual")
        without.append(process_seconds([argv[0], "--db", str(plain), *argv[1:]], env=clean_env()))
        with_rules.append(process_seconds([argv[0], "--db", str(ruled), *argv[1:]], env=clean_env()))
    rate, floor = count / median(with_rules), count / median(without)
    note = bulk_note(work / f"ruled{runs - 1}.db", BULK_BASE)
    return [
        Result(f"bulk create, {count:,} lines, 50 triggers + round robin (median of {runs})", rate, floor, "tickets/s",
               Target(0.5, at_most=False, on_ratio=True), "floor: same run, no rules, manual routing"),
        Result("the same, absolute", rate, floor, "tickets/s", Target(1500, at_most=False), note),
    ]


def bulk_note(desk: Path, base: int) -> str:
    conn = sqlite3.connect(desk)
    fired = conn.execute("SELECT count(*) FROM event WHERE field = 'rule' AND ticket_id > ?", (base,)).fetchone()[0]
    routed = conn.execute("SELECT count(*) FROM event WHERE field = 'assignee' AND actor = 'routing' AND ticket_id > ?",
                          (base,)).fetchone()[0]
    conn.close()
    return f"{fired:,} firings, {routed:,} routed; includes process start"


# -- 2. one ticket create --------------------------------------------------------------

def bench_create(work: Path, runs: int) -> list[Result]:
    base = dataset.build(BULK_BASE)
    ruled = copy_desk(base, work / "create-ruled.db")
    rules_desk.prepare(ruled, rules=rules_desk.rules_toml(50), routing="round_robin")
    plain = copy_desk(base, work / "create-plain.db")
    rules_desk.prepare(plain, rules=None, routing="round_robin")
    env = start_env(work)
    tail = ["--as", ADMIN, "ticket", "create", "--subject", "VPN tunnel keeps dropping", "--body", "outage since monday",
            "--requester", "c7@org1.example", "--priority", "urgent", "--tag", "vpn", "--quiet"]
    say(f"create: {runs} × ticket create with 50 triggers, {runs} × without (interleaved)")
    times: dict[str, list[float]] = {"ruled": [], "plain": []}
    for i in range(runs + 2):  # two warm-up rounds fill the bytecode cache
        for name, desk in (("plain", plain), ("ruled", ruled)):
            seconds = process_seconds([helpdesk_argv()[0], "--db", str(desk), *tail], env=env)
            if i >= 2:
                times[name].append(seconds)
    value, floor = median(times["ruled"]), median(times["plain"])
    return [Result("one `ticket create` process, 50 triggers (median)", value * 1000, floor * 1000, "ms",
                   Target(1.1, on_ratio=True), "floor: the same create with no rules; urgent, so several fire")]


# -- 3. automations --------------------------------------------------------------------

class Recorder:
    """The SQL statements an engine sends, to replay them with plain sqlite3."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements: list[tuple[str, tuple]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            self.statements.append((statement, tuple(parameters or ())))


def automation_desk(work: Path, name: str, many: int) -> Path:
    from helpdesk.models import utcnow

    path = copy_desk(dataset.build(AUTOMATION_DESK), work / name)
    rules_desk.prepare(path, rules=rules_desk.rules_toml(0, 20), routing="round_robin")
    rules_desk.open_everything(path, utcnow().replace(tzinfo=None), many=many)
    return path


def bench_automations(work: Path, runs: int) -> list[Result]:
    from helpdesk.db import open_desk
    from helpdesk.services.workflow.automations import run_job

    say(f"automations: 20 over {AUTOMATION_DESK:,} open/pending tickets, nothing matching ({runs} runs)")
    quiet = open_desk(str(automation_desk(work, "auto-none.db", 0)), migrate=False)
    run_job(quiet)  # warm: imports, page cache
    recorder = Recorder(quiet.engine)
    seconds, acted = [], 0
    for _ in range(runs):
        recorder.statements.clear()
        start = time.perf_counter()
        acted += run_job(quiet)["actions"]
        seconds.append(time.perf_counter() - start)
    raw = sqlite3.connect(quiet.url.removeprefix("sqlite:///"), isolation_level=None)
    floors = []
    for _ in range(runs):
        start = time.perf_counter()
        for statement, params in recorder.statements:
            if statement.startswith("BEGIN") and raw.in_transaction:
                raw.execute("COMMIT")  # the DB-API commit the recorder does not see
            raw.execute(statement, params).fetchall()
        if raw.in_transaction:
            raw.execute("COMMIT")
        floors.append(time.perf_counter() - start)
    raw.close()
    quiet.close()
    out = [Result(f"automation run, 20 rules, nothing matches (median of {runs})", median(seconds) * 1000,
                  median(floors) * 1000, "ms", Target(1000), "floor: its SQL statements replayed with plain sqlite3"
                  + (f"; NOTE {acted} actions" if acted else ""))]

    say(f"automations: {MANY:,} tickets matching the add-tag reminder")
    busy_path = automation_desk(work, "auto-many.db", MANY)
    floor_path = copy_desk(busy_path, work / "auto-many-floor.db")
    busy = open_desk(str(busy_path), migrate=False)
    start = time.perf_counter()
    done = run_job(busy)
    elapsed = time.perf_counter() - start
    busy.close()
    floor = floor_reminders(floor_path)
    actions = done["actions"]
    out.append(Result(f"automation run, {actions:,} tickets tagged", actions / elapsed, MANY / floor, "actions/s",
                      Target(5000, at_most=False), f"{elapsed:.1f} s; floor: the same rows with plain sqlite3, 500 a transaction"))
    return out


def floor_reminders(path: Path) -> float:
    """Tag the matching tickets the cheapest way: per 500, tag + version bump + the two events."""
    from helpdesk.models import utcnow

    now = utcnow().replace(tzinfo=None)
    stamp, cutoff = dataset.stamp(now), dataset.stamp(now - timedelta(hours=72))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")  # as helpdesk's own connections
    start = time.perf_counter()
    ids = [i for (i,) in conn.execute(
        "SELECT id FROM ticket WHERE status = 'pending' AND coalesce(status_changed_at, updated_at) < ? "
        "AND id NOT IN (SELECT ticket_id FROM ticket_tag WHERE tag = 'reminded') ORDER BY "
        "coalesce(status_changed_at, updated_at), id", (cutoff,))]
    for first in range(0, len(ids), 500):
        chunk = ids[first:first + 500]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO ticket_tag (ticket_id, tag) VALUES (?, 'reminded')", [(i,) for i in chunk])
        conn.executemany("UPDATE ticket SET version = version + 1, updated_at = ? WHERE id = ?", [(stamp, i) for i in chunk])
        conn.executemany("INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new, reason) "
                         "VALUES (?, 'ticket', ?, ?, 'rule:pending reminder', ?, ?, ?, ?)",
                         [row for i in chunk for row in ((i, i, stamp, "tags", "", "reminded", "rule pending reminder"),
                                                         (i, i, stamp, "rule", None, "automation pending reminder", "tags"))])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


# -- the report ------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="single creates and quiet automation runs")
    parser.add_argument("--bulk-runs", type=int, default=3)
    parser.add_argument("--bulk-lines", type=int, default=BULK_LINES, help="JSON lines per bulk create")
    parser.add_argument("--only", default="bulk,create,automations")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-rules-") as tmp:
        work = Path(tmp)
        if "bulk" in parts:
            results += bench_bulk(work, args.bulk_runs, args.bulk_lines)
        if "create" in parts:
            results += bench_create(work, args.runs)
        if "automations" in parts:
            results += bench_automations(work, max(3, args.runs // 2))
    title = (f"rules and routing · Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
             f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(markdown_table(results, title))


if __name__ == "__main__":
    sys.exit(main())

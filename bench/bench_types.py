"""Request types (issue 13), each against a floor measured in the same run.

    python -m bench.bench_types                       # both
    python -m bench.bench_types --only bulk --bulk-lines 2000
    python -m bench.bench_types --only approvals

1. `ticket create --from FILE`, 20,000 JSON lines of a type with 6 typed fields (text,
   number, date, choice, multi, bool) into a 20,000-ticket desk with 3 triggers that read
   those fields, against the same lines without type and fields into the same desk in the
   same run: ≥ 0.8× its tickets/s.
2. `approval:pending approver:me` on a 100,000-ticket desk where 5,000 tickets wait at an
   approval stage (1,000 of them for "me", through a team): the first page with its count
   via `listing.find_tickets` ≤ 50 ms. Floor: the first page of `status:open` the same way,
   in the same run.

Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench import dataset
from bench.bench_cli import ADMIN, PAGE, clean_env, copy_desk, helpdesk_argv, jsonl_lines
from bench.common import Result, Target, markdown_table, median, process_seconds, say, timings

BULK_BASE = 20_000
BULK_LINES = 20_000
APPROVAL_DESK = 100_000
WAITING = 5_000
MINE = 1_000
TYPE = "退货退款"

TYPES = f'''
[[types]]
name = "{TYPE}"
description = "bench: six typed fields"

[[types.fields]]
key = "order_no"
required = true

[[types.fields]]
key = "refund_amount"
kind = "number"
min = 0
max = 100000

[[types.fields]]
key = "pickup_date"
kind = "date"

[[types.fields]]
key = "reason"
kind = "choice"
options = ["质量问题", "发错货", "不想要了", "damaged", "late"]

[[types.fields]]
key = "items"
kind = "multi"
options = ["shoes", "shirt", "bag", "watch", "phone", "耳机"]

[[types.fields]]
key = "opened"
kind = "bool"

[[types]]
name = "采购审批"
description = "bench: an approval stage"

[[types.stages]]
name = "提交"

[[types.stages]]
name = "审批"
approval = {{ approvers = ["finance"], needed = 1 }}

[[types.stages]]
name = "完成"
'''

TRIGGERS = f'''
[[triggers]]
name = "big refund"
on = ["created"]
when = "type:{TYPE} field.refund_amount:>1000"
actions = {{ priority = "high", add_tags = ["big-refund"] }}

[[triggers]]
name = "quality"
on = ["created"]
when = "field.reason:质量问题"
actions = {{ add_tags = ["quality"] }}

[[triggers]]
name = "late pickup"
on = ["created"]
when = "field.pickup_date:>2026-12-25"
actions = {{ add_tags = ["late-pickup"] }}
'''

QUIET_TRIGGERS = TRIGGERS.replace(">1000", ">200000").replace("质量问题", "no-such-reason").replace(
    "2026-12-25", "2099-01-01")  # the same three, matching no ticket: the cost of the typed fields alone


def _admin(s):
    from sqlalchemy import select

    from helpdesk.models import Agent
    from helpdesk.services.core.actors import actor_of

    return actor_of(s.execute(select(Agent).order_by(Agent.id)).scalars().first())


def prepare(path: Path, triggers: str = TRIGGERS) -> None:
    """A team `finance` (the approver), the types and the 3 triggers."""
    from helpdesk.db import open_desk
    from helpdesk.services.people import agents
    from helpdesk.services.types.catalog import load_types_file
    from helpdesk.services.workflow.stored import load_rules_file

    desk = open_desk(str(path), migrate=False)

    def setup(s):
        admin = _admin(s)
        agents.add_team(s, admin, "finance")
        load_types_file(s, admin, TYPES, source="bench")
        load_rules_file(s, admin, triggers, source="bench")

    desk.write(setup)
    desk.close()


def typed(lines: list[dict], seed: int = 11) -> list[dict]:
    """The same lines, of the type, with its six fields filled as people type them."""
    rng = random.Random(seed)
    out = []
    for n, line in enumerate(lines):
        items = rng.sample(["shoes", "shirt", "bag", "watch", "phone", "耳机"], rng.randint(1, 3))
        fields = {"order_no": f"SO{20260000 + n}", "refund_amount": f"{min(rng.expovariate(1 / 300), 99999):.2f}",
                  "pickup_date": f"2026-{rng.randint(11, 12)}-{rng.randint(10, 28)}",
                  "reason": rng.choices(["质量问题", "发错货", "不想要了", "Damaged", "late"], [1, 3, 3, 2, 1])[0],
                  "items": "，".join(items) if rng.random() < 0.3 else ", ".join(items),
                  "opened": rng.choice(["yes", "no", "是", "否", "true"])}
        out.append({**line, "type": TYPE, "fields": fields})
    return out


def bench_bulk(work: Path, runs: int, count: int) -> list[Result]:
    base = dataset.build(BULK_BASE)
    plain_lines = jsonl_lines(base, count)
    sources = {"plain": work / "plain.jsonl", "typed": work / "typed.jsonl"}  # the desks are plain.db ...
    for name, lines in (("plain", plain_lines), ("typed", typed(plain_lines))):
        sources[name].write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    say(f"bulk: {runs} × ticket create --from ({count:,} lines into {BULK_BASE:,} tickets): untyped, typed, "
        "typed with triggers that match nothing")
    desks = {"plain": copy_desk(base, work / "plain.db"), "typed": copy_desk(base, work / "typed.db"),
             "quiet": copy_desk(base, work / "quiet.db")}
    prepare(desks["plain"])
    prepare(desks["typed"])
    prepare(desks["quiet"], QUIET_TRIGGERS)
    times: dict[str, list[float]] = {name: [] for name in desks}
    cpu: dict[str, list[float]] = {name: [] for name in desks}
    for i in range(runs):
        for name, prepared in desks.items():  # interleaved, so all see the same machine
            desk = copy_desk(prepared, work / f"{name}{i}.db")
            argv = [*helpdesk_argv(), "--db", str(desk), "--as", ADMIN, "ticket", "create",
                    "--from", str(sources["plain" if name == "plain" else "typed"]), "--quiet"]
            wall, used = run_timed(argv)
            times[name].append(wall)
            cpu[name].append(used)
    floor = count / median(times["plain"])
    rate, quiet = count / median(times["typed"]), count / median(times["quiet"])
    cpu_floor = count / median(cpu["plain"])
    return [
        Result(f"bulk create, {count:,} lines of a type with 6 typed fields, 3 triggers (median of {runs})",
               rate, floor, "tickets/s", Target(0.8, at_most=False, on_ratio=True),
               "floor: the same lines untyped, same desk and triggers (none fires on them); "
               + bulk_note(work / f"typed{runs - 1}.db", BULK_BASE)),
        Result("the same, the 3 triggers matching nothing (the typed fields' own cost)", quiet, floor, "tickets/s",
               Target(0.8, at_most=False, on_ratio=True), "same floor"),
        Result("typed with 3 triggers, per CPU second of the process", count / median(cpu["typed"]), cpu_floor,
               "tickets/CPU-s", Target(0.8, at_most=False, on_ratio=True), "floor: the untyped run's CPU seconds"),
        Result("typed, triggers matching nothing, per CPU second", count / median(cpu["quiet"]), cpu_floor,
               "tickets/CPU-s", Target(0.8, at_most=False, on_ratio=True), "same floor"),
    ]


def run_timed(argv: list[str]) -> tuple[float, float]:
    """Wall-clock seconds of one process, and the CPU seconds (user + system) it used: on a
    machine other work keeps busy the wall clock mostly measures waiting for a CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = process_seconds(argv, env=clean_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bulk_note(desk: Path, base: int) -> str:
    conn = sqlite3.connect(desk)
    fired = conn.execute("SELECT count(*) FROM event WHERE field = 'rule' AND ticket_id > ?", (base,)).fetchone()[0]
    conn.close()
    return f"{fired:,} firings; includes process start"


def approval_desk(work: Path) -> tuple[Path, str]:
    """The 100k desk with WAITING tickets at the approval stage; MINE of them wait for
    the finance team, whose one member is "me". Returns the desk and my email."""
    path = copy_desk(dataset.build(APPROVAL_DESK), work / "approvals.db")
    prepare(path)
    rng = random.Random(13)
    conn = sqlite3.connect(path, isolation_level=None)
    agents = [(i, e) for i, e in conn.execute("SELECT id, email FROM agent ORDER BY id")]
    me_id, me = agents[1]
    finance = conn.execute("SELECT id FROM team WHERE name = 'finance'").fetchone()[0]
    ids = sorted(rng.sample([i for (i,) in conn.execute("SELECT id FROM ticket")], WAITING))
    mine = set(rng.sample(ids, MINE))
    others = [a for a, _ in agents if a != me_id]
    conn.execute("BEGIN")
    conn.execute("UPDATE agent SET team_id = ? WHERE id = ?", (finance, me_id))
    conn.executemany("UPDATE ticket SET type = '采购审批', stage = '审批', approval = 'pending', "
                     "stage_changed_at = updated_at WHERE id = ?", [(i,) for i in ids])
    conn.executemany("INSERT INTO ticket_approver (ticket_id, agent_id, voter) VALUES (?, ?, ?)",
                     [(i, me_id if i in mine else rng.choice(others), "finance" if i in mine else "someone")
                      for i in ids])
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return path, me


def bench_approvals(work: Path, runs: int) -> list[Result]:
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import resolve_actor
    from helpdesk.services.tickets.listing import find_tickets

    path, me = approval_desk(work)
    desk = open_desk(str(path), migrate=False)
    with desk.read() as s:
        actor = resolve_actor(s, me)

    def first_page(text: str) -> int:
        with desk.read() as s:
            page = find_tickets(s, actor, text, limit=PAGE, count=True)
            return page.total

    query = "approval:pending approver:me"
    say(f"approvals: {query!r} on {APPROVAL_DESK:,} tickets ({WAITING:,} waiting, {MINE:,} for me), {runs} runs")
    found = first_page(query)
    value = median(timings(lambda: first_page(query), runs, warmup=2))
    floor = median(timings(lambda: first_page("status:open"), runs, warmup=2))
    desk.close()
    return [Result(f"first page (with count) `{query}`, {APPROVAL_DESK:,} tickets (median of {runs})",
                   value * 1000, floor * 1000, "ms", Target(50),
                   f"{found:,} found; floor: the first page of `status:open` the same way")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="query runs")
    parser.add_argument("--bulk-runs", type=int, default=3)
    parser.add_argument("--bulk-lines", type=int, default=BULK_LINES, help="JSON lines per bulk create")
    parser.add_argument("--only", default="bulk,approvals")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-types-") as tmp:
        work = Path(tmp)
        if "bulk" in parts:
            results += bench_bulk(work, args.bulk_runs, args.bulk_lines)
        if "approvals" in parts:
            results += bench_approvals(work, args.runs)
    title = (f"request types · Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
             f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(markdown_table(results, title))


if __name__ == "__main__":
    sys.exit(main())

"""The foundation's speed targets, each against a floor measured in the same run.

    python -m bench.bench_cli                      # 1M tickets for the list/search targets
    python -m bench.bench_cli --tickets 100000     # quicker
    python -m bench.bench_cli --only start,bulk    # some of: start, bulk, list, search

Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench import dataset
from bench.common import (
    Result,
    Target,
    markdown_table,
    median,
    p95,
    process_seconds,
    say,
    timings,
)

ADMIN = "alice.smith@desk.example"  # agent 1 of every generated dataset
SMALL_DESK = 1_000
BULK_BASE = 20_000
PAGE = 100
LIST_QUERY = "status:open priority:high"


def helpdesk_argv() -> list[str]:
    """How a user starts the CLI: the installed script next to this interpreter."""
    script = Path(sys.executable).with_name("helpdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "helpdesk"]


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}


def start_env(work: Path) -> dict:
    """clean_env(), with bytecode caching on for both floor and subject.

    A user's helpdesk runs from cached bytecode, as the floor's site-packages do.
    A PYTHONDONTWRITEBYTECODE inherited from a sandbox or CI would make every
    measured process compile helpdesk from source (~20 ms) while the floor still
    reads site-packages' bytecode. Then both cache under `work` instead (never
    next to the sources, which others may be editing); the warm-up runs fill it."""
    env = clean_env()
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


def copy_desk(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


# -- one `ticket create` process ------------------------------------------------

def bench_start(work: Path, runs: int) -> list[Result]:
    desk = copy_desk(dataset.build(SMALL_DESK), work / "small.db")
    env = start_env(work)
    create = [*helpdesk_argv(), "--db", str(desk), "--as", ADMIN, "ticket", "create", "--subject", "Printer jams",
              "--requester", "bench@example.com", "--priority", "high", "--tag", "printer", "--quiet"]
    floor_argv = [sys.executable, "-c", "import sqlmodel"]
    say(f"start: {runs} × ticket create vs {runs} × import sqlmodel")
    floor = median(timings(lambda: process_seconds(floor_argv, env=env), runs, warmup=2))
    value = median(timings(lambda: process_seconds(create, env=env), runs, warmup=2))
    help_ = median(timings(lambda: process_seconds([*helpdesk_argv(), "--help"], env=env), runs, warmup=1))
    return [
        Result("`ticket create` process (median)", value * 1000, floor * 1000, "ms", Target(1.5, on_ratio=True),
               "floor: `python -c 'import sqlmodel'`"),
        Result("`helpdesk --help` process (median)", help_ * 1000, floor * 1000, "ms", None, "same floor"),
    ]


# -- JSON Lines bulk create ---------------------------------------------------------

def jsonl_lines(desk: Path, count: int, seed: int = 3) -> list[dict]:
    """Tickets as a migration script would send them: half from known requesters."""
    rng = random.Random(seed)
    writer = dataset.Writer(rng, pool=50)
    conn = sqlite3.connect(desk)
    agents = [e for (e,) in conn.execute("SELECT email FROM agent ORDER BY id")]
    contacts = [e for (e,) in conn.execute("SELECT email FROM contact ORDER BY id")]
    conn.close()
    out = []
    for n in range(count):
        topic, lang = rng.randrange(len(dataset.TOPICS)), rng.choice(("en", "en", "cn"))
        known = rng.random() < 0.5
        line = {"subject": writer.subject(lang, topic), "body": writer.body(lang, topic),
                "requester": rng.choice(contacts) if known else f"new{n}@bulk.example",
                "priority": rng.choice(dataset.PRIORITIES), "tags": [dataset.TOPICS[topic][0]],
                "channel": rng.choice(("email", "web", "api"))}
        if rng.random() < 0.7:
            line["assignee"] = rng.choice(agents)
            line["team"] = dataset.TEAMS[topic % len(dataset.TEAMS)]
        out.append(line)
    return out


def floor_insert(desk: Path, lines: list[dict]) -> None:
    """The same rows written the cheapest way: plain sqlite3, one transaction, no ORM."""
    from helpdesk.search import index_text

    stamp = dataset.stamp(dataset.END)
    conn = sqlite3.connect(desk, isolation_level=None)
    agents = dict(conn.execute("SELECT email, id FROM agent"))
    teams = dict(conn.execute("SELECT name, id FROM team"))
    conn.execute("BEGIN IMMEDIATE")
    for line in lines:
        row = conn.execute("SELECT id, name, organization_id FROM contact WHERE email = ?", (line["requester"],)).fetchone()
        if row is None:
            cid = conn.execute("INSERT INTO contact (email, name, created_at) VALUES (?, ?, ?)",
                               (line["requester"], line["requester"].split("@")[0], stamp)).lastrowid
            row = (cid, line["requester"].split("@")[0], None)
        tid = conn.execute("INSERT INTO ticket (subject, status, priority, channel, requester_id, organization_id, assignee_id, "
                           "team_id, fields, created_at, updated_at, version) VALUES (?, 'new', ?, ?, ?, ?, ?, ?, '{}', ?, ?, 1)",
                           (line["subject"], line["priority"], line["channel"], row[0], row[2], agents.get(line.get("assignee")),
                            teams.get(line.get("team")), stamp, stamp)).lastrowid
        conn.executemany("INSERT INTO ticket_tag (ticket_id, tag) VALUES (?, ?)", [(tid, t) for t in line["tags"]])
        conn.execute("INSERT INTO message (ticket_id, kind, author_contact_id, author_name, body, channel, headers, created_at) "
                     "VALUES (?, 'reply', ?, ?, ?, ?, '{}', ?)", (tid, row[0], row[1], line["body"], line["channel"], stamp))
        conn.execute("INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, new) VALUES (?, 'ticket', ?, ?, ?, 'created', ?)",
                     (tid, tid, stamp, ADMIN, line["subject"]))
        doc = "\n".join([line["subject"], row[1], line["requester"], line["body"]])
        conn.execute("INSERT INTO ticket_search (rowid, doc) VALUES (?, ?)", (tid, index_text(doc)))
    conn.execute("COMMIT")
    conn.close()


def bench_bulk(work: Path, runs: int, count: int = 10_000) -> list[Result]:
    base = dataset.build(BULK_BASE)
    lines = jsonl_lines(base, count)
    source = work / "bulk.jsonl"
    source.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    say(f"bulk: {runs} × ticket create --from ({count:,} lines into {BULK_BASE:,} tickets)")
    seconds, floors = [], []
    for i in range(runs):
        desk = copy_desk(base, work / f"bulk{i}.db")
        seconds.append(process_seconds([*helpdesk_argv(), "--db", str(desk), "--as", ADMIN, "ticket", "create",
                                        "--from", str(source), "--quiet"], env=clean_env()))
        floor_desk = copy_desk(base, work / f"floor{i}.db")
        start = time.perf_counter()
        floor_insert(floor_desk, lines)
        floors.append(time.perf_counter() - start)
    rate, floor_rate = count / median(seconds), count / median(floors)
    return [Result(f"bulk create, {count:,} JSON lines (median of {runs})", rate, floor_rate, "tickets/s",
                   Target(2000, at_most=False), "floor: plain sqlite3, in-process; value includes process start")]


# -- list and search on the big desk -------------------------------------------------

class BigDesk:
    """The generated desk opened both through helpdesk (measured) and plain sqlite3 (floor)."""

    def __init__(self, path: Path):
        from sqlalchemy import select

        from helpdesk.db import open_desk
        from helpdesk.models import Agent
        from helpdesk.services.core.actors import SYSTEM, actor_of

        self.path = path
        self.desk = open_desk(str(path), migrate=False)  # read-only use: never upgrade a cached file
        with self.desk.read() as s:  # the first agent (an admin on generated desks)
            agent = s.execute(select(Agent).order_by(Agent.id)).scalars().first()
            self.actor = actor_of(agent) if agent else SYSTEM
        self.raw = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def find(self, text: str, *, count: bool) -> None:
        from helpdesk.services.tickets.listing import find_tickets

        with self.desk.read() as s:
            find_tickets(s, self.actor, text, limit=PAGE, count=count)

    def raw_page(self, where: str, params: tuple, *, count: bool) -> None:
        self.raw.execute(f"SELECT * FROM ticket WHERE {where} ORDER BY updated_at DESC, id DESC LIMIT {PAGE + 1}", params).fetchall()
        if count:
            self.raw.execute(f"SELECT count(*) FROM ticket WHERE {where}", params).fetchone()

    def close(self) -> None:
        self.raw.close()
        self.desk.close()


def bench_list(big: BigDesk, runs: int) -> list[Result]:
    say(f"list: {LIST_QUERY!r}, {runs} runs each")
    where, params = "status = ? AND priority = ?", ("open", "high")
    out = []
    for count in (True, False):
        value = median(timings(lambda: big.find(LIST_QUERY, count=count), runs, warmup=2))
        floor = median(timings(lambda: big.raw_page(where, params, count=count), runs, warmup=2))
        label = "with count" if count else "without count"
        out.append(Result(f"first page `{LIST_QUERY}` {label} (median)", value * 1000, floor * 1000, "ms",
                          Target(50) if count else None, "floor: hand-written SQL, plain sqlite3"))
    return out


def search_words(language: str, n: int = 50) -> list[str]:
    words = dataset.english_words() if language == "English" else dataset.chinese_words()
    return random.Random(7).sample(sorted(set(words)), n)


def bench_search(big: BigDesk) -> list[Result]:
    from helpdesk.search import fts_query

    out = []
    for language in ("English", "Chinese"):
        words = search_words(language)
        say(f"search: {len(words)} {language} words")
        for count in (True, False):
            for w in words:  # warm the page cache: we measure queries, not the disk
                big.find(w, count=count)
            values = {w: timings(lambda: big.find(w, count=count), 1, warmup=0)[0] for w in words}
            where = "id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)"
            floors = [timings(lambda: big.raw_page(where, (fts_query(w),), count=count), 1, warmup=0)[0] for w in words]
            slow = max(values, key=values.get)
            hits = big.raw.execute("SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?", (fts_query(slow),)).fetchone()[0]
            label = "page + count" if count else "page only"
            out.append(Result(f"search {language} word, {label} (p95 of {len(words)})", p95(list(values.values())) * 1000,
                              p95(floors) * 1000, "ms", Target(100) if count else None,
                              f"slowest {slow!r}: {values[slow] * 1000:.0f} ms, {hits:,} hits"))
    return out


# -- the report ---------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="size of the desk for list and search")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--bulk-runs", type=int, default=3)
    parser.add_argument("--only", default="start,bulk,list,search")
    parser.add_argument("--desk", type=Path, help="run list/search on this database instead of a generated one")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        work = Path(tmp)
        if "start" in parts:
            results += bench_start(work, args.runs)
        if "bulk" in parts:
            results += bench_bulk(work, args.bulk_runs)
        if parts & {"list", "search"}:
            say(f"desk of {args.tickets:,} tickets (built once, then cached)" if not args.desk else f"desk {args.desk}")
            big = BigDesk(args.desk or dataset.build(args.tickets))
            try:
                results += bench_list(big, max(args.runs, 20)) if "list" in parts else []
                results += bench_search(big) if "search" in parts else []
            finally:
                big.close()
    size = args.desk.name if args.desk else f"{args.tickets:,} tickets"
    title = (f"{size} · Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
             f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(markdown_table(results, title))


if __name__ == "__main__":
    main()

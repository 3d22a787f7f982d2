"""`helpdesk import` speed and memory, against a floor measured in the same run.

    python -m bench.bench_import                    # 100k-row xlsx, then 1M-row CSV memory
    python -m bench.bench_import --rows 20000 --csv-rows 100000   # quicker

Targets (the import issue): a 100k-row xlsx imports in ≤ 4× the floor (python-calamine
reading the file + sqlite3 inserting the rows with an FTS5 index in one transaction) and
at ≥ 10,000 rows/s; a 1M-row CSV imports with a peak memory ≤ 500 MB (streamed).
Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import OUT, ROOT, Result, Target, markdown_table, say

HEADERS = ["Ticket ID", "Subject", "Description", "Status", "Priority", "Type",
           "Customer Name", "Customer Email", "Assignee", "Created at", "Tags", "Product"]
STATUSES = ["new", "open", "pending", "on hold", "solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent"]
TOPICS = ["printer jams", "vpn drops", "password reset", "invoice wrong", "laptop battery",
          "打印机卡纸", "无法登录", "发票抬头错误", "网络断开", "退款申请"]
ADMIN = "ada@bench.example"


def sheet_rows(count: int, seed: int = 5):
    """Deterministic ticket rows: 2,000 requesters, 5 agents (one unknown), mixed languages."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 8, 0)
    for n in range(1, count + 1):
        topic = rng.choice(TOPICS)
        who = rng.randrange(2000)
        yield [f"T-{n:07d}", f"{topic} #{n}", f"{topic}: details of case {n}\nsecond line {rng.random():.6f}",
               rng.choice(STATUSES), rng.choice(PRIORITIES), rng.choice(["question", "incident", ""]),
               f"Customer {who}", f"customer{who}@example.com",
               rng.choice(["Bob Agent", "bob@bench.example", "carol@bench.example", "", "Ghost"]),
               start + timedelta(minutes=7 * n), rng.choice(["printer", "vpn network", "billing、发票", ""]),
               rng.choice(["Widget", "Gadget", "小工具"])]


def make_xlsx(path: Path, count: int) -> Path:
    if path.exists():
        return path
    from openpyxl import Workbook

    say(f"writing {path.name} ({count:,} rows)")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tickets")
    sheet.append(HEADERS)
    for row in sheet_rows(count):
        sheet.append(row)
    partial = path.with_suffix(".partial.xlsx")
    book.save(partial)
    partial.rename(path)
    return path


def make_csv(path: Path, count: int) -> Path:
    if path.exists():
        return path
    say(f"writing {path.name} ({count:,} rows)")
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS)
        for row in sheet_rows(count):
            row[9] = row[9].isoformat(sep=" ")
            writer.writerow(row)
    partial.rename(path)
    return path


def floor_seconds(path: Path) -> float:
    """The cheapest import we know: calamine rows -> sqlite3 executemany + FTS5, one transaction."""
    import python_calamine as calamine

    with tempfile.TemporaryDirectory() as work:
        start = time.perf_counter()
        rows = calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        db = sqlite3.connect(Path(work) / "floor.db")
        db.execute("CREATE TABLE ticket (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, subject TEXT,"
                   " body TEXT, status TEXT, priority TEXT, requester TEXT, created_at TEXT)")
        db.execute("CREATE VIRTUAL TABLE search USING fts5(doc)")
        with db:
            db.executemany("INSERT INTO ticket (external_id, subject, body, status, priority, requester, created_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)",
                           ((r[0], r[1], r[2], r[3], r[4], r[7], str(r[9])) for r in rows[1:]))
            db.execute("INSERT INTO search (rowid, doc) SELECT id, subject || ' ' || body FROM ticket")
        db.close()
        return time.perf_counter() - start


def helpdesk_argv() -> list[str]:
    script = Path(sys.executable).with_name("helpdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "helpdesk"]


def bench_env(work: Path) -> dict:
    """No HELPDESK_* from the caller, and a config file of our own (never the user's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    return env | {"HELPDESK_CONFIG": str(work / "config.toml")}


def staffed_desk(path: Path) -> Path:
    """A fresh desk as `helpdesk init` makes it (the shipped SLA policies included: the
    import computes clocks for open tickets) with an admin and two agents, through the CLI."""
    base = [*helpdesk_argv(), "--db", str(path)]
    for argv in (["init"], ["agent", "add", ADMIN, "--name", "Ada"],
                 ["--as", ADMIN, "agent", "add", "bob@bench.example", "--name", "Bob Agent"],
                 ["--as", ADMIN, "agent", "add", "carol@bench.example", "--name", "Carol"]):
        subprocess.run([*base, *argv], check=True, capture_output=True, env=bench_env(path.parent))
    return path


_MEASURED = ("import resource, sys; from helpdesk.cli import run; code = run(sys.argv[1:]); "
             "sys.stderr.write(f'\\nMAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'); "
             "sys.exit(code)")


def timed_import(desk: Path, sheet: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one `helpdesk import` process (it reports its own peak)."""
    argv = [sys.executable, "-c", _MEASURED, "--db", str(desk), "--as", ADMIN, "import", str(sheet), "--json"]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=bench_env(desk.parent))
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"import exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    peak_kib = int(done.stderr.rsplit("MAXRSS", 1)[1])  # KiB on Linux
    return elapsed, peak_kib / 1024


def bench_xlsx(rows: int) -> list[Result]:
    sheet = make_xlsx(OUT / f"import-{rows}.xlsx", rows)
    with tempfile.TemporaryDirectory() as work:
        desk = staffed_desk(Path(work) / "desk.db")
        say("floor: calamine + sqlite3 executemany + FTS5")
        floor = min(floor_seconds(sheet) for _ in range(2))
        say("helpdesk import (xlsx)")
        seconds, _ = timed_import(desk, sheet)
        say("helpdesk import again (everything unchanged)")
        again, _ = timed_import(desk, sheet)
    return [
        Result(f"import {rows:,}-row xlsx", seconds, floor, "s", Target(4, on_ratio=True)),
        Result(f"import {rows:,}-row xlsx: speed", rows / seconds, rows / floor, "rows/s",
               Target(10_000, at_most=False)),
        Result(f"re-import {rows:,}-row xlsx (unchanged)", again, floor, "s", note="idempotent re-run"),
    ]


def bench_csv_memory(rows: int) -> list[Result]:
    sheet = make_csv(OUT / f"import-{rows}.csv", rows)
    with tempfile.TemporaryDirectory() as work:
        desk = staffed_desk(Path(work) / "desk.db")
        say(f"helpdesk import ({rows:,}-row CSV), peak memory")
        seconds, peak = timed_import(desk, sheet)
        floor_mb = _python_baseline_mb()
    return [Result(f"import {rows:,}-row CSV: peak memory", peak, floor_mb, "MB", Target(500),
                   note=f"{seconds:.0f} s, {rows / seconds:,.0f} rows/s; floor = python -c 'import helpdesk.cli'")]


def _python_baseline_mb() -> float:
    done = subprocess.run([sys.executable, "-c", "import resource, helpdesk.cli; "
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return int(done.stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the xlsx speed test")
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV memory test (0 skips)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = bench_xlsx(args.rows)
    if args.csv_rows:
        results += bench_csv_memory(args.csv_rows)
    print(markdown_table(results, "helpdesk import"))


if __name__ == "__main__":
    main()

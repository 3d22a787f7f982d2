"""The app's speed targets, each against a floor measured in the same run.

    python -m bench.bench_tui                    # 100k tickets
    python -m bench.bench_tui --tickets 1000000  # also reports memory at that size

- keys: p95 per key (cursor, page, jump to the end and back) in a headless app,
  floor = the same key in an app with one empty focused widget (the harness's own cost);
- search: submit a query until its rows are in the table;
- first rows: a fresh process until the first rows are on screen, floor = a process
  that only imports textual.app and sqlmodel (target ≤ 2.5× floor);
- memory: peak RSS of that process after jumping to the end and back (≤ 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

from bench import dataset
from bench.common import Result, Target, markdown_table, p95, process_seconds, say

ADMIN = "alice.smith@desk.example"  # agent 1 of every generated dataset
SEARCH = "status:open priority:high printer"

FIRST_ROWS = r"""
import sys, time, resource
start = time.perf_counter()
from helpdesk.app import HelpdeskApp
from helpdesk.screens.queue import QueueScreen
db, mode = sys.argv[1], sys.argv[2]
original = QueueScreen.on_rows_loaded
steps = ["end", "home", "end"] if mode == "memory" else []  # each of these reads a new window

def report(app):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - start:.4f} {rss:.1f}")
    app.exit()

def on_rows_loaded(self, message):
    first = not getattr(self.app, "_seen_rows", False)
    original(self, message)
    if not self.window.rows or not first:
        return
    self.app._seen_rows = True
    if not steps:
        return report(self.app)
    for n, key in enumerate(steps):  # keys a second apart, then the peak memory once all have run
        self.app.set_timer(1 + n, lambda key=key: self.app.simulate_key(key))
    self.app.set_timer(2 + len(steps), lambda: report(self.app))

QueueScreen.on_rows_loaded = on_rows_loaded
HelpdeskApp(db=db, who=sys.argv[3], background=False, poll_seconds=3600).run(headless=True)
"""


def first_rows(db: str, mode: str = "time") -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", FIRST_ROWS, db, mode, ADMIN], capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    seconds, rss = out.stdout.split()[-2:]
    return float(seconds), float(rss)


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def key_times(db: str, keys: list[str], prepare: list[str]) -> list[float]:
    from helpdesk.app import HelpdeskApp

    app = HelpdeskApp(db=db, who=ADMIN, background=False, poll_seconds=3600)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press(*prepare)
        await settle(pilot)
        for key in keys:
            start = time.perf_counter()
            await pilot.press(key)
            await settle(pilot)
            out.append(time.perf_counter() - start)
    return out


async def floor_key_times(keys: list[str]) -> list[float]:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App):
        def compose(self):
            yield Static("", id="x")

    out = []
    async with Empty().run_test(size=(120, 40)) as pilot:
        for key in keys:
            start = time.perf_counter()
            await pilot.press(key)
            await settle(pilot)
            out.append(time.perf_counter() - start)
    return out


async def search_times(db: str, runs: int = 5) -> list[float]:
    from helpdesk.app import HelpdeskApp

    app = HelpdeskApp(db=db, who=ADMIN, background=False, poll_seconds=3600)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(runs):
            await pilot.press("slash", *SEARCH)
            start = time.perf_counter()
            await pilot.press("enter")
            await settle(pilot)
            out.append(time.perf_counter() - start)
            assert app.screen.window.rows, "the search found nothing"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args(argv)
    db = str(dataset.build(args.tickets))
    results = []
    keys = ["j"] * 40 + ["pagedown"] * 30 + ["end", "home"] * 5 + ["k"] * 20
    say("keys…")
    value = p95(asyncio.run(key_times(db, keys, ["g", "a"])))
    floor = p95(asyncio.run(floor_key_times(keys)))
    results.append(Result("key p95 (j, pagedown, end/home, k) in All open", value * 1000, floor * 1000, "ms",
                          Target(50), note=f"{args.tickets:,} tickets; floor = empty app"))
    say("search…")
    results.append(Result(f"search {SEARCH!r}", p95(asyncio.run(search_times(db))) * 1000, floor * 1000, "ms",
                          Target(300), note="p95 of 5, submit to rows shown"))
    say("first rows…")
    floor_start = min(process_seconds([sys.executable, "-c", "import textual.app, sqlmodel"]) for _ in range(3))
    start = min(first_rows(db)[0] for _ in range(3))
    results.append(Result("first rows on screen (process)", start * 1000, floor_start * 1000, "ms",
                          Target(2.5, on_ratio=True), note="floor = import textual.app, sqlmodel"))
    say("memory…")
    _, rss = first_rows(db, "memory")
    results.append(Result("peak RSS after end, home, end", rss, 0, "MB", Target(300),
                          note=f"{args.tickets:,} tickets"))
    print(markdown_table(results, title=f"TUI, {args.tickets:,} tickets"))
    print(json.dumps({r.name: round(r.value, 1) for r in results}), file=sys.stderr)


if __name__ == "__main__":
    main()

"""The app's speed targets, each against a floor measured in the same run.

    python -m bench.bench_tui                    # 100k tickets
    python -m bench.bench_tui --tickets 1000000 --only memory   # memory at 1M
    python -m bench.bench_tui --only keys,search

- keys: p95 per key (cursor, page, jump to the end and back) in a headless app, timed
  from the key press to the last frame the app composed because of it (a headless
  app composes frames exactly as for a terminal and skips only the write). Pilot's
  own waits (≥ 20 ms idle polls per press) are not in it; they are reported apart as
  "raw". Floor = the same keys in an app whose key rewrites one line: Textual's own
  key-to-frame cost. The one-second countdown tick is paused so it is never counted
  as a key's frame.
- search: enter until the first frame showing its rows (target), and until the last
  frame (search line closed, footer rebuilt);
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
from dataclasses import dataclass

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

def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss survives exec, so it would report the parent's peak
    # (a parent that just built a 1M-ticket dataset has ~600 MB)
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def report(app):
    rss = peak_mb()
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


class PaintClock:
    """When the app put each frame together.

    A headless app composes every frame as a terminal would get it and skips only
    the write, so the end of `App._display` is the moment the screen reflects a key."""

    def __init__(self, app) -> None:
        self.frames: list[float] = []
        display = app._display

        def timed(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None:
                self.frames.append(time.perf_counter())

        app._display = timed

    @property
    def last(self) -> float:
        return self.frames[-1] if self.frames else 0.0

    def first_after(self, moment: float) -> float | None:
        return next((f for f in self.frames if f >= moment), None)


@dataclass
class Press:
    start: float
    raw: float  # press until the harness found the app idle (includes Pilot's fixed waits)
    paint: float  # press until the last frame drawn because of it (0: the key changed nothing)
    rows: float = 0.0  # press until the first frame after the rows it asked for reached the table


async def timed_press(pilot, clock: PaintClock, *keys: str) -> Press:
    start = time.perf_counter()
    await pilot.press(*keys)
    await settle(pilot)
    end = time.perf_counter()
    return Press(start, end - start, max(0.0, clock.last - start))


async def key_times(db: str, keys: list[str], prepare: list[str]) -> list[Press]:
    from helpdesk.app import HelpdeskApp

    app = HelpdeskApp(db=db, who=ADMIN, background=False, poll_seconds=3600)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.clock_timer.pause()  # a countdown tick landing inside a key's settle would count as that key's frame
        clock = PaintClock(app)
        await pilot.press(*prepare)
        await settle(pilot)
        for key in keys:
            out.append(await timed_press(pilot, clock, key))
    return out


async def floor_key_times(keys: list[str]) -> list[Press]:
    """The same keys in an app whose every key rewrites one line: Textual's own key-to-frame cost."""
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static

    class Line(Static, can_focus=True):
        BINDINGS = [Binding(k, "step", show=False) for k in sorted(set(keys))]
        count = 0

        def action_step(self) -> None:
            self.count += 1
            self.update(f"row {self.count}")

    class Floor(App):
        def compose(self):
            yield Line("row 0", id="x")

    out = []
    app = Floor()
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(Line).focus()
        await settle(pilot)
        clock = PaintClock(app)
        for key in keys:
            out.append(await timed_press(pilot, clock, key))
    return out


async def search_times(db: str, runs: int = 5) -> list[Press]:
    from helpdesk.app import HelpdeskApp
    from helpdesk.screens.queue import QueueScreen

    loaded: list[float] = []
    original = QueueScreen.on_rows_loaded

    def on_rows_loaded(self, message) -> None:
        original(self, message)
        loaded.append(time.perf_counter())

    QueueScreen.on_rows_loaded = on_rows_loaded
    app = HelpdeskApp(db=db, who=ADMIN, background=False, poll_seconds=3600)
    out = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.clock_timer.pause()
            clock = PaintClock(app)
            for _ in range(runs):
                await pilot.press("slash", *SEARCH)
                await settle(pilot)
                loaded.clear()
                press = await timed_press(pilot, clock, "enter")
                assert loaded and app.screen.window.rows, "the search found nothing"
                press.rows = (clock.first_after(loaded[0]) or clock.last) - press.start
                out.append(press)
    finally:
        QueueScreen.on_rows_loaded = original
    return out


def ms(presses: list[Press], what: str) -> float:
    return p95([getattr(p, what) for p in presses]) * 1000


def key_results(db: str, tickets: int) -> list[Result]:
    keys = ["j"] * 40 + ["pagedown"] * 30 + ["end", "home"] * 5 + ["k"] * 20
    ours = asyncio.run(key_times(db, keys, ["g", "a"]))
    floor = asyncio.run(floor_key_times(keys))
    name = "key p95 (j, pagedown, end/home, k) in All open"
    return [
        Result(f"{name}: key to frame", ms(ours, "paint"), ms(floor, "paint"), "ms", Target(50),
               note=f"{tickets:,} tickets; floor = an app whose key rewrites one line"),
        Result(f"{name}: our share (key to frame − floor)", ms(ours, "paint") - ms(floor, "paint"), 0, "ms",
               note="handlers, queries, table render"),
        Result(f"{name}: raw (press + Pilot settle)", ms(ours, "raw"), ms(floor, "raw"), "ms",
               note="Pilot idles ≥ 20 ms per wait; floor = same keys in that app"),
    ]


def search_results(db: str) -> list[Result]:
    ours = asyncio.run(search_times(db))
    floor = asyncio.run(floor_key_times(["enter"] * 5))
    name = f"search {SEARCH!r}"
    return [
        Result(f"{name}: enter to rows drawn", ms(ours, "rows"), ms(floor, "paint"), "ms", Target(300),
               note="p95 of 5; floor = one-line key"),
        Result(f"{name}: enter to last frame", ms(ours, "paint"), ms(floor, "paint"), "ms",
               note="search line closed, footer rebuilt for the table's keys"),
        Result(f"{name}: raw (press + Pilot settle)", ms(ours, "raw"), ms(floor, "raw"), "ms", note="p95 of 5"),
    ]


def start_result(db: str) -> Result:
    floor = min(process_seconds([sys.executable, "-c", "import textual.app, sqlmodel"]) for _ in range(3))
    start = min(first_rows(db)[0] for _ in range(3))
    return Result("first rows on screen (process)", start * 1000, floor * 1000, "ms", Target(2.5, on_ratio=True),
                  note="floor = import textual.app, sqlmodel")


def memory_result(db: str, tickets: int) -> Result:
    _, rss = first_rows(db, "memory")
    return Result("peak RSS after end, home, end", rss, 0, "MB", Target(300), note=f"{tickets:,} tickets")


MEASURES = ("keys", "search", "start", "memory")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--only", default=",".join(MEASURES), help=f"some of: {', '.join(MEASURES)}")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    db = str(dataset.build(args.tickets))
    results: list[Result] = []
    if "keys" in only:
        say("keys…")
        results += key_results(db, args.tickets)
    if "search" in only:
        say("search…")
        results += search_results(db)
    if "start" in only:
        say("first rows…")
        results.append(start_result(db))
    if "memory" in only:
        say("memory…")
        results.append(memory_result(db, args.tickets))
    print(markdown_table(results, title=f"TUI, {args.tickets:,} tickets"))
    print(json.dumps({r.name: round(r.value, 1) for r in results}), file=sys.stderr)


if __name__ == "__main__":
    main()

"""What every benchmark shares: timing, floors, ratios, the dataset cache.

A benchmark never asserts a time. It measures a value and a *floor* (the same
work done the cheapest way we know, in the same run on the same machine) and
reports both with their ratio, so figures from different machines compare.
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # git-ignored

# Files whose change makes a cached dataset stale.
SCHEMA_FILES = ("helpdesk/models.py", "helpdesk/search.py", "helpdesk/migrations/versions", "data/sla.toml",
                "bench/dataset.py")


def schema_hash() -> str:
    """A short hash of the schema, the index normalisation and the generator."""
    digest = hashlib.sha256()
    for name in SCHEMA_FILES:
        path = ROOT / name
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path] if path.exists() else []:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def dataset_path(tickets: int) -> Path:
    return OUT / f"desk-{tickets}-{schema_hash()}.db"


# -- timing -------------------------------------------------------------------

def timings(fn: Callable[[], object], runs: int, *, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `runs` calls of `fn`, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """95th percentile, nearest-rank (no interpolation: a real observed run)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def process_seconds(argv: Sequence[str], *, env: dict | None = None, cwd: Path | None = None) -> float:
    """Wall-clock seconds of one process run to completion; a failure raises with its stderr."""
    start = time.perf_counter()
    done = subprocess.run(list(argv), env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return elapsed


# -- reporting ----------------------------------------------------------------

@dataclass
class Target:
    """`value <= limit` (at_most) or `value >= limit`, on the measured value or on the ratio."""

    limit: float
    at_most: bool = True
    on_ratio: bool = False

    def met(self, value: float, ratio: float) -> bool:
        x = ratio if self.on_ratio else value
        return x <= self.limit if self.at_most else x >= self.limit

    def describe(self, unit: str) -> str:
        sign = "≤" if self.at_most else "≥"
        return f"{sign} {self.limit:g}× floor" if self.on_ratio else f"{sign} {_fmt(self.limit)} {unit}"


@dataclass
class Result:
    name: str
    value: float
    floor: float
    unit: str  # "ms", "tickets/s", ...
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.floor if self.floor else float("inf")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        return "PASS" if self.target.met(self.value, self.ratio) else "FAIL"


def _fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def markdown_table(results: Sequence[Result], title: str = "") -> str:
    lines = [f"**{title}**", ""] if title else []
    lines += ["| measure | value | floor | ratio | target | result | note |", "|---|---:|---:|---:|---|---|---|"]
    for r in results:
        target = r.target.describe(r.unit) if r.target else "—"
        lines.append(f"| {r.name} | {_fmt(r.value)} {r.unit} | {_fmt(r.floor)} {r.unit} | {r.ratio:.2f}× "
                     f"| {target} | {r.verdict} | {r.note} |")
    return "\n".join(lines)


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the pasteable table."""
    print(message, file=sys.stderr, flush=True)

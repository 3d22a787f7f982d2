"""The deep fuzz run: tests/fuzz under the `deep` hypothesis profile, with figures.

    python -m bench.fuzz                 # every target, 40x the suite's inputs, random seeds
    python -m bench.fuzz --scale 10      # a shorter run
    python -m bench.fuzz -k mail         # some targets (a pytest -k expression)

The suite runs the same tests under the small, derandomised `ci` profile (about two
minutes). Here each target tries `scale` times as many inputs, freshly drawn, under the
same deadlines and hang guard (tests/fuzz/fuzz_support.py).
Prints a Markdown table (inputs tried per target, failing tests) to stdout; pytest's
own output, with any failing input shrunk to its minimum, goes to stderr. Exit status
is pytest's: 0 when no input crashed or escaped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=40, help="times the suite's inputs per target (default 40)")
    parser.add_argument("-k", dest="keyword", default=None, help="only targets matching this pytest -k expression")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report, junit = Path(tmp) / "tried.json", Path(tmp) / "junit.xml"
        env = os.environ | {"HYPOTHESIS_PROFILE": "deep", "HELPDESK_FUZZ_SCALE": str(args.scale),
                            "HELPDESK_FUZZ_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider",
                   f"--junitxml={junit}", "--durations=0"] + (["-k", args.keyword] if args.keyword else [])
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)
        seconds = time.monotonic() - started
        tried = json.loads(report.read_text())["tried"] if report.exists() else {}
        failed = _failures(junit)
    print(f"Deep fuzz run: scale {args.scale}, {seconds / 60:.1f} min, exit {done.returncode}\n")
    print("| target | inputs tried |\n|---|---:|")
    for target, count in tried.items():
        print(f"| {target} | {count:,} |")
    print(f"| **total** | **{sum(tried.values()):,}** |\n")
    print(f"Failing tests (crashes or escapes found): {len(failed)}")
    for name in failed:
        print(f"- {name}")
    return done.returncode


def _failures(junit: Path) -> list[str]:
    if not junit.exists():
        return ["(pytest wrote no report)"]
    cases = ET.parse(junit).getroot().iter("testcase")
    return [f"{c.get('classname')}::{c.get('name')}" for c in cases
            if c.find("failure") is not None or c.find("error") is not None]


if __name__ == "__main__":
    sys.exit(main())

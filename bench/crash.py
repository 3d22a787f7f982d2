"""Crash run (issue 16): many seeded SIGKILLs during six jobs, and the violations found.

    python -m bench.crash                          # 300 kills, 100 items per job, seed 7
    python -m bench.crash --kills 60 --size 40 --seed 3 --only import,mail

The jobs and the judging are those of tests/crash (crash_support.py): an .xlsx import, a
bulk update, a JSON Lines create, mail ingest from an mbox, a rules run whose automation
matches every ticket, and the migration of a revision-0005 desk. Each kill: a copy of the
job's desk, the command in a child process SIGKILLed at a seeded database step
(tests/crash/killhook.py: the Nth SQL statement or commit, or just after the last
commit), then the desk judged (integrity_check, the doctor's search-index check, every
ticket whole or absent), the command run again, and the desk judged again (the job
complete, nothing twice). Then a full disk and a read-only file once per job.

Prints a Markdown table (stdout); progress and each violation go to stderr. Exit 1
when any violation was found. Not a speed figure: no floor, no ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.crash import crash_support as crash  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=300)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(crash.JOBS))
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    work = Path(tempfile.mkdtemp(prefix="helpdesk-crash-"))
    os.environ.setdefault("HELPDESK_CONFIG", str(work / "user-config.toml"))
    os.environ.setdefault("XDG_DATA_HOME", str(work / "xdg"))
    share = crash.shares(args.kills, names)
    rows, violations, started = [], 0, time.monotonic()
    for name in names:
        job = crash.JOBS[name]
        template, steps = crash.template(job, work / name / "template", args.size)
        points = crash.points(args.seed, name, steps, share[name])
        killed = found = 0
        for n, point in enumerate(points):
            outcome = crash.kill_once(job, template, args.size, point, work / name / "kill")
            killed += outcome.killed
            found += len(outcome.violations)
            for v in outcome.violations:
                print(f"VIOLATION {name} at step {point}: {v}", file=sys.stderr)
            if (n + 1) % 10 == 0:
                print(f"{name}: {n + 1}/{len(points)} kills", file=sys.stderr)
        faults = storage_faults(job, template, args.size, work / name / "fault")
        for v in faults:
            print(f"VIOLATION {name} (storage fault): {v}", file=sys.stderr)
        violations += found + len(faults)
        rows.append((name, steps, len(points), killed, found, 2, len(faults)))
        print(f"{name}: done ({steps} steps a run, {killed} killed, {found} violations)", file=sys.stderr)
    print(f"seed {args.seed}, {args.size} items per job, {time.monotonic() - started:.0f} s\n")
    print("| job | steps a run | kill points | killed | violations | storage faults | violations |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")
    total = [sum(r[i] for r in rows) for i in range(2, 7)]
    print(f"| **all** | | {total[0]} | {total[1]} | {total[2]} | {total[3]} | {total[4]} |")
    return 1 if violations else 0


def storage_faults(job, template: Path, size: int, work: Path) -> list[str]:
    """A full disk, then a read-only file: one clear line, nothing lost, then the job finishes."""
    found = []
    for fault, words in (({"HELPDESK_TEST_MAX_PAGES": "?"}, "the disk is full"),
                         ({"HELPDESK_TEST_READONLY": "?"}, "is read-only")):
        folder = crash.copy_desk(template, work)
        db = folder / "desk.db"
        before = crash.whole_or_absent(db), crash.scalar(db, "SELECT count(*) FROM ticket"), crash.scalar(db, "SELECT count(*) FROM event")
        env = dict(fault)
        if "HELPDESK_TEST_READONLY" in env:
            env["HELPDESK_TEST_READONLY"] = str(db)
        if "HELPDESK_TEST_MAX_PAGES" in env:
            env["HELPDESK_TEST_MAX_PAGES"] = str(crash.scalar(db, "PRAGMA page_count"))
        run = crash.child(job.argv(folder), extra_env=env)
        lines = run.stderr.strip().splitlines()
        if run.returncode == 0 and "MAX_PAGES" in str(env):
            print(f"{job.name}: the job fitted in the file's free space; no disk-full fault (use a larger --size)",
                  file=sys.stderr)
            continue
        if run.returncode != 1 or len(lines) != 1 or words not in lines[0]:
            found.append(f"{words!r}: exit {run.returncode}, said {run.stderr.strip()[-300:]!r}")
        after = crash.whole_or_absent(db), crash.scalar(db, "SELECT count(*) FROM ticket"), crash.scalar(db, "SELECT count(*) FROM event")
        if after != before:
            found.append(f"{words!r}: the desk changed: {before} -> {after}")
        code, _out, err = crash.cli(*job.argv(folder))
        if code != 0:
            found.append(f"{words!r}: the rerun failed ({code}): {err.strip()[-300:]}")
        found += [f"{words!r} then a rerun: {v}" for v in crash.job_done(job, db, size)]
    return found


if __name__ == "__main__":
    sys.exit(main())

"""Stress: N processes on one desk at once, then a check of the database alone.

    python -m bench.stress --procs 8 --ops 500 --backend sqlite
    python -m bench.stress --procs 8 --ops 500 --backend postgresql   # needs HELPDESK_TEST_PG

Drivers alternate between service callers (in-process service functions) and CLI
callers (`helpdesk` commands, every 10th as a real subprocess); each does `--ops`
operations of a seeded mix (bench/stress_ops.py): create, reply, update with
--if-version, bulk, route, solve, mail ingest (generated messages, some delivered
twice), a small sheet import, and the portal (request form, reply through a
signed link, survey). Beside them run the worker: one process running every
background job in a loop (SLA sweeps, automations, surveys, mail) and one real
`helpdesk worker --interval 1`, so two sweepers race for every SLA action.
The desk (bench/stress_desk.py) routes round robin and least loaded with
capacities, has triggers and automations, and SLA targets of seconds.

Afterwards bench/stress_check.py reads the database and the logs and lists every
violation; the run prints operations/s, p50/p99 latency per kind, retries and
violations (Markdown to stdout, progress to stderr). Exit 1 on any violation.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import stress_desk

ROOT = Path(__file__).resolve().parent.parent


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(procs: int, ops: int, backend: str, *, seed: int = 1, out: Path | None = None,
        subprocess_every: int = 10, keep: bool = False, real_worker: bool = True,
        max_seconds: float | None = None) -> dict:
    """One whole stress run; returns the report (see stress_check.report)."""
    from bench import stress_check

    out = Path(out or tempfile.mkdtemp(prefix="helpdesk-stress-"))
    out.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        server = os.environ.get("HELPDESK_TEST_PG")
        if not server:
            raise SystemExit("--backend postgresql needs HELPDESK_TEST_PG (a server URL)")
        url = stress_desk.fresh_postgres(server)
    else:
        url = f"sqlite:///{out / 'stress.db'}"
    say(f"stress: {procs} processes x {ops} operations on {backend} ({out})")
    stress_desk.build(url)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("HELPDESK_AGENT", None)
    stop_file = out / "drivers-done"
    children: list[tuple[str, subprocess.Popen, Path]] = []

    def spawn(name: str, args: list[str]) -> subprocess.Popen:
        err = out / f"{name}.stderr"
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(out / f"{name}.stdout", "w"),
                                stderr=open(err, "w"))
        children.append((name, proc, err))
        return proc

    child = [sys.executable, "-m", "bench.stress", "--child", "--url", url, "--seed", str(seed),
             "--subprocess-every", str(subprocess_every)]
    if max_seconds:
        child += ["--deadline", str(time.time() + max_seconds)]
    started = time.perf_counter()
    worker = spawn("p0", child + ["--proc", "0", "--kind", "worker", "--log", str(out / "p0.jsonl"),
                                  "--stop-file", str(stop_file)])
    real = spawn("worker", [sys.executable, "-m", "helpdesk", "--db", url, "worker", "--interval", "1"]) \
        if real_worker else None
    drivers = [spawn(f"p{k}", child + ["--proc", str(k), "--kind", "service" if k % 2 else "cli",
                                       "--ops", str(ops), "--log", str(out / f"p{k}.jsonl")])
               for k in range(1, procs + 1)]
    codes = [d.wait() for d in drivers]
    elapsed = time.perf_counter() - started
    say(f"drivers done in {elapsed:.1f}s (exit codes {codes}); last sweeps")
    time.sleep(1.5)  # a second for the real worker's last round of sweeps
    if real is not None:
        real.send_signal(signal.SIGTERM)
        real.wait(timeout=120)
    stop_file.write_text("done")
    worker.wait(timeout=600)
    try:
        found = stress_check.check(url, out, [name for name, _, _ in children])
    finally:
        if backend == "postgresql" and not keep:
            stress_desk.drop_postgres(url)
    exits = {name: p.returncode for name, p, _ in children}
    bad_exits = {n: c for n, c in exits.items() if c not in (0, None) and not (n == "worker" and c in (0, -15))}
    for name, code in bad_exits.items():
        found.violations.append(f"process {name} exited {code}")
    report = stress_check.report(found, procs=procs, ops=ops, backend=backend, seconds=elapsed)
    report["out"], report["url"] = str(out), url
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        from bench.stress_ops import main_child

        return main_child(argv[1:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--procs", type=int, default=8, help="driver processes (the worker runs beside them)")
    p.add_argument("--ops", type=int, default=500, help="operations per driver")
    p.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="directory for the desk, the logs and the report (default: a temp dir)")
    p.add_argument("--subprocess-every", type=int, default=10,
                   help="CLI drivers run every Nth command as a real subprocess (the rest in-process)")
    p.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    p.add_argument("--max-seconds", type=float,
                   help="drivers start no operation after this many seconds (the report counts what was done)")
    a = p.parse_args(argv)
    report = run(a.procs, a.ops, a.backend, seed=a.seed, out=Path(a.out) if a.out else None,
                 subprocess_every=a.subprocess_every, keep=a.keep, max_seconds=a.max_seconds)
    from bench.stress_check import markdown

    print(markdown(report))
    return 1 if report["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())

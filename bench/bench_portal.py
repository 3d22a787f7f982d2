"""The portal's status page under load (issue 14): ≥ 300 requests/s, p99 ≤ 100 ms, with
1M tickets in the database.

    python -m bench.bench_portal                     # 1M tickets (builds the dataset once)
    python -m bench.bench_portal --tickets 100000 --requests 2000

The portal runs as a user runs it (`helpdesk --db COPY portal --port P`, one process,
loopback only) on a copy of the generated desk; this process is the load: a bounded
number of keep-alive GETs of `/t/{token}` over C connections, tokens of 200 tickets
spread over the whole range (each page: the link checked, the ticket, its public
conversation, the stages line, rendered). The floor is the same load on `/healthz`
(the same server answering `SELECT 1`): what the web stack and the load itself cost.

Prints a Markdown table (stdout); progress goes to stderr. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import dataset
from bench.bench_cli import copy_desk, helpdesk_argv, start_env
from bench.common import Result, Target, markdown_table, say

RATE = 300.0  # requests/s
P99_MS = 100.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _one_connection(port: int, paths: list[str], latencies: list[float], statuses: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for path in paths:
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Language: zh-CN,zh;q=0.9\r\n"
                       "Connection: keep-alive\r\n\r\n").encode()
            began = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def load(port: int, paths: list[str], connections: int) -> tuple[float, list[float], dict]:
    """(requests/s, latencies, {status: count}) of `paths` spread over `connections`."""
    latencies: list[float] = []
    statuses: dict = {}
    shares = [paths[i::connections] for i in range(connections)]

    async def run():
        await asyncio.gather(*(_one_connection(port, share, latencies, statuses) for share in shares))

    began = time.perf_counter()
    asyncio.run(run())
    return len(paths) / (time.perf_counter() - began), latencies, statuses


def percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-q * len(ordered) // 100) - 1)]


def tokens_for(db: Path, tickets: int, count: int = 200) -> list[str]:
    from helpdesk.db import open_desk
    from helpdesk.services.customers.portal_links import make_token

    rng = random.Random(14)
    numbers = sorted(rng.sample(range(1, tickets + 1), min(count, tickets)))
    desk = open_desk(str(db))
    try:
        return desk.write(lambda s: [make_token(s, n) for n in numbers])
    finally:
        desk.close()


def wait_ready(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal exited: {server.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)  # a bench may wait for its server; tests never do
    raise RuntimeError("the portal did not answer /healthz in time")


def bench_status(work: Path, tickets: int, requests: int, connections: int) -> list[Result]:
    source = dataset.build(tickets)
    say(f"copying the {tickets:,}-ticket desk")
    db = copy_desk(source, work / "portal.db")
    tokens = tokens_for(db, tickets)
    port = free_port()
    server = subprocess.Popen([*helpdesk_argv(), "--db", str(db), "portal", "--host", "127.0.0.1", "--port", str(port)],
                              env=start_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, server)
        rng = random.Random(1)
        warm = [f"/t/{rng.choice(tokens)}" for _ in range(200)]
        load(port, warm + ["/healthz"] * 200, connections)
        say(f"status page: {requests:,} GETs over {connections} connections")
        pages = [f"/t/{rng.choice(tokens)}" for _ in range(requests)]
        rate, latencies, statuses = load(port, pages, connections)
        say(f"  {rate:,.0f}/s, statuses {statuses}")
        say(f"floor: {requests:,} GETs of /healthz")
        floor_rate, floor_latencies, floor_statuses = load(port, ["/healthz"] * requests, connections)
        say(f"  {floor_rate:,.0f}/s, statuses {floor_statuses}")
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    bad = {k: v for k, v in statuses.items() if k != 200}
    note = f"{tickets:,} tickets, {connections} connections" + (f"; non-200: {bad}" if bad else "")
    p99 = percentile(latencies, 99) * 1000
    floor_p99 = percentile(floor_latencies, 99) * 1000
    return [
        Result("status page, requests/s", rate, floor_rate, "req/s", Target(RATE, at_most=False), note),
        Result("status page, p99 latency", p99, floor_p99, "ms", Target(P99_MS), note),
        Result("status page, p50 latency", percentile(latencies, 50) * 1000,
               percentile(floor_latencies, 50) * 1000, "ms", None, note),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=5000, help="GETs per measure (bounded)")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        results = bench_status(Path(tmp), args.tickets, args.requests, args.connections)
    print(markdown_table(results, f"Portal status page ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})"))


if __name__ == "__main__":
    main()

"""Moving a desk onto PostgreSQL (`helpdesk migrate-db`), against a floor measured in the same run.

    HELPDESK_TEST_PG=postgresql+psycopg://postgres@127.0.0.1:55432/postgres python -m bench.bench_move
    ... python -m bench.bench_move --tickets 20000         # a smaller bench desk

Two desks: the demo (`helpdesk init --demo`, 200 tickets) and a bench desk of
`bench/dataset.py` (100,000 tickets by default, cached in bench/out/). Each is moved
into a new database on the server with `moving.move_desk` (schema by the migrations,
COPY of every table, sequences, both search indexes rebuilt, counts and a sample
checked, one transaction). Value: rows copied per second, the whole move.
Floor: the same rows read with plain sqlite3 and written with plain psycopg COPY into
index-free temporary tables of the same columns (no conversion, no index upkeep, no
search, no checks): how fast the wire and the server take these bytes at all.

Prints a Markdown table (stdout); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench.common import Result, dataset_path, markdown_table, say


@contextmanager
def database(server: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"helpdesk_bench_move_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def floor_rows_per_second(path: Path, url: str) -> float:
    """Plain sqlite3 -> plain psycopg COPY into temporary tables without indexes."""
    import psycopg
    from sqlalchemy.engine import make_url

    from helpdesk.services.upkeep.copying import tables

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    rows = 0
    started = time.perf_counter()
    with psycopg.connect(dsn) as pg, pg.cursor() as cur:
        for table in tables():
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            cur.execute(f'CREATE TEMP TABLE "floor_{table.name}" (LIKE "{table.name}")')
            with cur.copy(f'COPY "floor_{table.name}" ({names}) FROM STDIN') as copy:
                for row in src.execute(f'SELECT {names} FROM "{table.name}"'):
                    copy.write_row(row)
                    rows += 1
        pg.commit()
    src.close()
    return rows / (time.perf_counter() - started)


def measure(label: str, path: Path, server: str) -> Result:
    from helpdesk.services.upkeep.moving import move_desk

    with database(server) as url:
        say(f"{label}: moving {path.name}")
        last = [0.0]

        def progress(message: str) -> None:
            if time.perf_counter() - last[0] > 5:
                last[0] = time.perf_counter()
                say(f"  {message}")

        moved = move_desk(str(path), url, progress=progress)
        say(f"{label}: {moved.rows:,} rows in {moved.seconds:.1f} s "
            f"({', '.join(f'{k} {v:.1f}s' for k, v in moved.phases.items())}; "
            f"slowest tables: {', '.join(f'{t.name} {t.seconds:.1f}s' for t in sorted(moved.tables, key=lambda t: -t.seconds)[:3])})")
        floor = floor_rows_per_second(path, url)
    return Result(f"migrate-db, {label}: {moved.rows:,} rows, {moved.seconds:.1f} s", moved.rows / moved.seconds,
                  floor, "rows/s", note="floor: sqlite3 rows -> psycopg COPY into index-free temp tables")


def demo_desk(folder: Path) -> Path:
    from helpdesk.db import open_desk
    from helpdesk.services.desk.setup import initialise

    path = folder / "demo.db"
    desk = open_desk(str(path))
    initialise(desk, demo=True)
    desk.close()
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args(argv)
    server = os.environ.get("HELPDESK_TEST_PG")
    if not server:
        raise SystemExit("set HELPDESK_TEST_PG to a PostgreSQL server URL (postgresql+psycopg://...)")
    from bench.dataset import build

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("HELPDESK_CONFIG", str(Path(tmp) / "config.toml"))
        results.append(measure("demo desk", demo_desk(Path(tmp)), server))
    path = dataset_path(args.tickets)
    if not path.exists():
        say(f"building the {args.tickets:,}-ticket bench desk")
        build(args.tickets)
    results.append(measure(f"bench desk, {args.tickets:,} tickets", path, server))
    print(markdown_table(results, "Moving a desk onto PostgreSQL"))


if __name__ == "__main__":
    main()

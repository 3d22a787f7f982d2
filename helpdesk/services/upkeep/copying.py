"""Copying a desk's rows table by table into PostgreSQL, and checking the copy.

Tables come from the SQLModel metadata in dependency order, so a table added to
`models.py` is copied without anyone listing it. Rows go in by `COPY` in batches,
with their ids, while the secondary indexes and foreign keys are set aside (built and
checked once at the end); sequences are moved past the highest id afterwards."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from helpdesk.errors import HelpdeskError

BATCH = 5000
SAMPLE = 25  # rows compared field by field per table
SEED = 20261207

# Tables a helpdesk SQLite desk holds besides the metadata's: the search indexes
# (rebuilt for the target, not copied; FTS5 keeps shadow tables named after them)
# and Alembic's revision stamp (the target gets its own from the migrations).
DERIVED = ("ticket_search", "kb_search", "kb_search_vocab", "alembic_version")
SEARCH_TABLES = ("ticket_search", "kb_search")

Progress = Callable[[str], None]
Fault = Callable[[str, int], None]


class CopyMismatch(HelpdeskError):
    kind = "mismatch"


@dataclass
class TableCopy:
    name: str
    rows: int = 0
    target_rows: int = 0
    sampled: int = 0
    seconds: float = 0.0


def tables() -> list[Table]:
    """Every table of the desk, parents before children."""
    import helpdesk.models  # noqa: F401  (registers the tables)

    return list(SQLModel.metadata.sorted_tables)


def is_derived(name: str) -> bool:
    return any(name == d or name.startswith(d + "_") for d in DERIVED)


def _order(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in (list(table.primary_key.columns) or list(table.columns)))


def copy_table(source: Connection, target: Connection, table: Table, *, batch: int = BATCH,
               progress: Progress, fault: Fault | None = None) -> int:
    """Every row of `table` from `source` into the same, empty table on `target`.

    Values go as SQLite stores them and PostgreSQL reads them as text, column by column
    (`COPY` text format, the session in UTC): times are naive UTC strings, booleans 0/1,
    JSON its text, dates ISO, blobs bytes. `check_sample` then compares rows as the
    models read them on both sides, so a value that did not travel well is caught."""
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    raw = target.connection.driver_connection
    reading = source.connection.driver_connection.execute(f'SELECT {names} FROM "{table.name}" ORDER BY {_order(table)}')
    copied = 0
    while part := reading.fetchmany(batch):
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in part:
                copy.write_row(row if not any(isinstance(v, str) and "\x00" in v for v in row) else [_storable(v) for v in row])
        copied += len(part)
        progress(f"{table.name}: {copied:,} rows")
        if fault is not None:
            fault(table.name, copied)
    reading.close()
    return copied


def _storable(value):
    """PostgreSQL text cannot hold NUL; nothing the services write has one (they strip it)."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


@dataclass
class Aside:
    """What the fresh schema had that is cheaper to build once after the copy."""
    indexes: list[str]  # CREATE INDEX statements
    foreign_keys: list[tuple[str, str, str]]  # (table, constraint, definition)


def set_aside(target: Connection) -> Aside:
    """Drop the secondary indexes and the foreign keys of the desk's tables (the fresh
    schema's), keeping their definitions: building an index and checking a foreign key
    once over all rows beats doing it row by row (pg_restore works the same way).
    Primary keys and unique constraints stay, so a duplicate still fails at once."""
    names = [t.name for t in tables()] + list(SEARCH_TABLES)
    schema = "to_regnamespace(current_schema())"
    indexes = target.execute(sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(:names) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        f"WHERE c.conname = i.indexname AND c.connamespace = {schema}) ORDER BY i.indexname"), {"names": names}).all()
    keys = target.execute(sql(
        "SELECT r.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        f"JOIN pg_class r ON r.oid = c.conrelid WHERE c.contype = 'f' AND c.connamespace = {schema} "
        "AND r.relname = ANY(:names) ORDER BY r.relname, c.conname"), {"names": names}).all()
    for table, name, _ in keys:
        target.execute(sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        target.execute(sql(f'DROP INDEX "{name}"'))
    return Aside([d for _, d in indexes], [tuple(k) for k in keys])


def put_back(target: Connection, aside: Aside) -> None:
    """Build the indexes, then add and check the foreign keys, as the migrations made them."""
    target.execute(sql("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in aside.indexes:
        target.execute(sql(definition))
    for table, name, definition in aside.foreign_keys:
        target.execute(sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))


def reset_sequences(target: Connection) -> None:
    """After rows went in with their ids: the next id is one past the highest."""
    for table in tables():
        col = table.autoincrement_column
        if col is None:
            continue
        target.execute(sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{col.name}'), "
            f'COALESCE((SELECT max("{col.name}") FROM "{table.name}"), 0) + 1, false)'))


def count(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _comparable(value):
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    return value


def check_sample(source: Connection, target: Connection, table: Table, *, seed: int = SEED,
                 size: int = SAMPLE) -> int:
    """Compare `size` rows chosen by a seeded draw, field by field; raises on any difference."""
    keys = list(table.primary_key.columns)
    every = [tuple(r) for r in source.execute(select(*keys).order_by(*keys))]
    chosen = sorted(random.Random(f"{seed}:{table.name}").sample(every, min(size, len(every))))
    if not chosen:
        return 0
    condition = tuple_(*keys).in_(chosen) if len(keys) > 1 else keys[0].in_([k[0] for k in chosen])
    def fetch(conn):
        return {tuple(getattr(r, k.name) for k in keys): r._mapping for r in conn.execute(select(table).where(condition))}
    mine, theirs = fetch(source), fetch(target)
    for key in chosen:
        there = theirs.get(key)
        if there is None:
            raise CopyMismatch(f"{table.name}: the row {key} is missing on the target")
        for column in table.columns:
            a, b = _comparable(mine[key][column.name]), there[column.name]
            if a != b:
                raise CopyMismatch(f"{table.name}: row {key} differs on the target in {column.name} ({a!r} != {b!r})")
    return len(chosen)

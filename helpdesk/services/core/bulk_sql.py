"""Bulk writes of plain rows, for imports and other batch work.

SQLAlchemy's per-value type processing costs as much as SQLite's own work on
100k-row batches, so on SQLite rows go to the driver as they are stored: times as
SQLAlchemy's naive-UTC text, JSON as its text. Two forms:

- `insert_rows(..., queue=None)`: one executemany, now;
- with a `queue` list: one statement over a JSON array, appended for `run_queued`.
  SQLite works through a whole statement without the GIL, whereas executemany needs
  it back for every row: the form for a write-behind thread (`write_behind.py`).

Other databases take SQLAlchemy's own executemany."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
from sqlalchemy import JSON, Table, bindparam, func, insert, select, update
from sqlmodel import Session

from helpdesk.models import UTCDateTime

Queue = list[tuple[str, tuple]]  # (statement, its parameters: the JSON rows last)


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def insert_rows(session: Session, table: Table | str, names: tuple[str, ...], rows: list,
                queue: Queue | None = None, *, same: dict[str, object] | None = None) -> None:
    """INSERT rows given as tuples in `names` order; `same` holds columns whose value
    is one for every row (sent once: JSON parsing is much of SQLite's work here).
    A str table is SQLite-only (e.g. the full-text index, which has no SQLAlchemy Table)."""
    if not rows:
        return
    same = same or {}
    if not is_sqlite(session):
        session.execute(insert(table), [dict(zip(names, row)) | same for row in rows])
        return
    name = table if isinstance(table, str) else table.name
    if queue is None:
        fixed = _fixed(name, same)
        values = [(*row, *fixed) for row in _stored(name, names, rows, dump_json=True)]
        marks = ", ".join("?" * (len(names) + len(same)))
        columns = ", ".join((*names, *same))
        session.connection().exec_driver_sql(f"INSERT INTO {name} ({columns}) VALUES ({marks})", values)
        return
    # a column that turns out to hold one value is sent once too (json_extract per
    # value is most of SQLite's work here): the rows keep it, the statement skips it
    varying = [i for i in range(len(names)) if not _constant(rows, i)]
    same = {names[i]: rows[0][i] for i in range(len(names)) if i not in varying} | same
    columns = ", ".join([*(names[i] for i in varying), *same])
    picks = ", ".join([*(f"json_extract(value, '$[{i}]')" for i in varying), *("?" * len(same))])
    queue.append((f"INSERT INTO {name} ({columns}) SELECT {picks} FROM json_each(?)",
                  (*_fixed(name, same), _json(_stored(name, names, rows, dump_json=False)))))


def _fixed(table: str, same: dict) -> tuple:
    return tuple(_stored(table, tuple(same), [tuple(same.values())], dump_json=True)[0]) if same else ()


def _constant(rows: list, i: int) -> bool:
    """Whether every row has the same value at i (first, middle and last looked at first).
    Of one type too (True == 1), and a JSON value only when empty ({"n": True} == {"n": 1})."""
    first = rows[0][i]
    kind = type(first)
    if isinstance(first, (dict, list)) and first:
        return False
    if rows[-1][i] != first or rows[len(rows) // 2][i] != first:
        return False
    return all(row[i] == first and type(row[i]) is kind for row in rows)


def update_rows(session: Session, table: Table, key: str | tuple[str, ...], names: tuple[str, ...], rows: list,
                queue: Queue | None = None) -> None:
    """UPDATE table SET names... WHERE key = row[0], for rows (key value, *values).
    A tuple key (a composite primary key): rows are (*key values, *values), no queue."""
    if not rows:
        return
    if isinstance(key, tuple):
        _update_by_keys(session, table, key, names, rows)
        return
    if not is_sqlite(session):
        session.execute(update(table).where(table.c[key] == bindparam("_key")).values(
            {n: bindparam(f"_{n}") for n in names}),
            [{"_key": row[0], **{f"_{n}": v for n, v in zip(names, row[1:])}} for row in rows])
        return
    stored = _stored(table.name, (key, *names), rows, dump_json=queue is None)
    if queue is None:
        sets = ", ".join(f"{n} = ?" for n in names)
        session.connection().exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = ?",
                                             [(*row[1:], row[0]) for row in stored])
        return
    sets = ", ".join(f"{n} = json_extract(j.value, '$[{i}]')" for i, n in enumerate(names, start=1))
    statement = (f"UPDATE {table.name} SET {sets} FROM json_each(?) AS j "
                 f"WHERE {table.name}.{key} = json_extract(j.value, '$[0]')")
    queue.append((statement, (_json(stored),)))


def _update_by_keys(session: Session, table: Table, keys: tuple[str, ...], names: tuple[str, ...],
                    rows: list) -> None:
    if not is_sqlite(session):
        session.execute(update(table).where(*(table.c[k] == bindparam(f"_k_{k}") for k in keys)).values(
            {n: bindparam(f"_{n}") for n in names}),
            [{**{f"_k_{k}": v for k, v in zip(keys, row)}, **{f"_{n}": v for n, v in zip(names, row[len(keys):])}}
             for row in rows])
        return
    stored = _stored(table.name, (*keys, *names), rows, dump_json=True)
    sets = ", ".join(f"{n} = ?" for n in names)
    where = " AND ".join(f"{k} = ?" for k in keys)
    session.connection().exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {where}",
                                         [(*row[len(keys):], *row[:len(keys)]) for row in stored])


def delete_rows(session: Session, table: Table, keys: tuple[str, ...], rows: list) -> None:
    """DELETE FROM table WHERE keys = row, for rows of key values (one executemany)."""
    if not rows:
        return
    session.execute(table.delete().where(*(table.c[k] == bindparam(f"_k_{k}") for k in keys)),
                    [{f"_k_{k}": v for k, v in zip(keys, row)} for row in rows])


def listed(session: Session, values: list):
    """What `column.in_(...)` takes for a long list: on SQLite one JSON parameter
    instead of thousands (expanding them costs SQLAlchemy more than the lookup costs
    SQLite, and SQLite takes at most 32766 parameters)."""
    if len(values) <= _SHORT_LIST or not is_sqlite(session):
        return values
    return select(func.json_each(_json(list(values))).table_valued("value").c.value)


_SHORT_LIST = 100  # a plain IN (...) up to this many (one ticket's change: one id)


def run_queued(session: Session, queue: Queue) -> None:
    """Run the queued statements in order (emptying the queue)."""
    connection = session.connection()
    while queue:
        statement, params = queue.pop(0)
        connection.exec_driver_sql(statement, params)


def time_text(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite: naive UTC text (isoformat is far
    cheaper than the strftime SQLAlchemy uses)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:26]  # without "+00:00"


# -- the stored form -------------------------------------------------------------------

def _json(rows: list) -> str:
    """orjson: some seven times faster than json on these arrays, and its time is the GIL's."""
    return orjson.dumps(rows).decode()


def _stored(table: str, names: tuple[str, ...], rows: list, *, dump_json: bool) -> list:
    """Rows with their times as text, and (dump_json) JSON values as text. Without
    dump_json a nested value stays as it is: json_extract gives it back as JSON text."""
    kinds = _kinds()
    times = [i for i, name in enumerate(names) if kinds.get((table, name)) == "time"]
    jsons = [i for i, name in enumerate(names) if kinds.get((table, name)) == "json"] if dump_json else []
    if not (times or jsons):
        return rows
    texts: dict[datetime, str] = {}  # a ticket's creation time recurs in its row and its messages
    out = []
    for row in rows:
        row = list(row)
        for i in times:
            moment = row[i]
            if moment is not None:
                text = texts.get(moment)
                if text is None:
                    text = texts[moment] = time_text(moment)
                row[i] = text
        for i in jsons:
            if row[i] is not None:
                row[i] = "{}" if row[i] == {} else json.dumps(row[i])
        out.append(row)
    return out


_KINDS: dict[tuple[str, str], str] = {}


def _kinds() -> dict[tuple[str, str], str]:
    """(table, column) -> "time" | "json" for every table of the model."""
    if not _KINDS:
        from sqlmodel import SQLModel

        for table in SQLModel.metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, UTCDateTime):
                    _KINDS[table.name, column.name] = "time"
                elif isinstance(column.type, JSON):
                    _KINDS[table.name, column.name] = "json"
    return _KINDS

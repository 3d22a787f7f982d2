"""Moving a desk from SQLite onto PostgreSQL (services/upkeep/moving.py).

The demo desk is built once for the module at a frozen moment; each test moves a copy
of its file into a throwaway PostgreSQL database (HELPDESK_TEST_PG)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import JSON, Integer, create_engine, func, inspect, insert, select

from helpdesk.db import open_desk
from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.services.desk.setup import initialise
from helpdesk.services.upkeep import copying
from helpdesk.services.upkeep.moving import Unreachable, move_desk
from pg_support import needs_pg, throwaway_database

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """The demo desk, with one row more in every table the demo leaves empty."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with time_machine.travel(NOW, tick=False):
        desk = open_desk(str(path))
        initialise(desk, demo=True)
        with desk.engine.begin() as conn:
            fill_every_empty_table(conn)
        desk.close()
    return path


@pytest.fixture
def source(demo_file, tmp_path):
    path = tmp_path / "desk.db"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture
def target():
    with throwaway_database("helpdesk_move") as url:
        yield url


def fill_every_empty_table(conn) -> None:
    """A made-up row in each empty table, pointing at the first row of each parent: so a
    table added to models.py later is checked too, without this test knowing its name."""
    for table in copying.tables():
        if conn.execute(select(func.count()).select_from(table)).scalar_one():
            continue
        row = {}
        for column in table.columns:
            fk = next(iter(column.foreign_keys), None)
            if fk is not None:
                row[column.name] = conn.execute(select(fk.column).order_by(fk.column).limit(1)).scalar_one()
            elif column.primary_key and isinstance(column.type, Integer):
                row[column.name] = 7
            else:
                row[column.name] = _value(column)
        conn.execute(insert(table).values(**row))


def _value(column):
    try:
        kind = getattr(column.type, "impl", column.type).python_type  # a TypeDecorator: what it stores
    except NotImplementedError:
        kind = None
    if isinstance(column.type, JSON):
        kind = dict
    made_up = {
        bool: True, int: 3, date: date(2026, 10, 1), dict: {"note": "移动 ✓", "n": [1, 2]}, list: ["a", "移动"],
        bytes: b"\x00raw\xff", datetime: datetime(2026, 11, 1, 8, 15, 30, 123456, tzinfo=timezone.utc),
        str: f"{column.table.name}.{column.name} 中文 'quoted' \\ back",
    }
    if kind not in made_up:
        raise AssertionError(f"no made-up value for {column.table.name}.{column.name} ({column.type!r}): teach _value this type")
    return made_up[kind]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the whole desk ------------------------------------------------------------------

@needs_pg
def test_every_table_of_the_desk_is_copied_row_for_row(source, target):
    moved = move_desk(str(source), target)

    names = [t.name for t in copying.tables()]
    assert [t.name for t in moved.tables] == names
    empty = [t.name for t in moved.tables if t.rows == 0]
    assert not empty, f"tables with no row to prove the copy: {empty}"
    for t in moved.tables:
        assert t.target_rows == t.rows and t.sampled == min(t.rows, copying.SAMPLE), t
    # and the SQLite desk holds no table the move does not know about
    with create_engine(f"sqlite:///{source}").connect() as conn:
        unknown = [n for n in inspect(conn).get_table_names() if n not in names and not copying.is_derived(n)]
    assert unknown == [], f"tables neither copied nor rebuilt: {unknown}"
    assert moved.search_rows == next(t.rows for t in moved.tables if t.name == "ticket")
    assert moved.kb_search_rows == next(t.rows for t in moved.tables if t.name == "kb_article")


@needs_pg
def test_the_moved_schema_is_the_one_the_migrations_make(source, target):
    """Indexes and foreign keys are set aside during the copy and made again: all come back as they were."""
    from sqlalchemy import text

    def schema(url):
        with create_engine(url).connect() as conn:
            indexes = set(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")).all())
            constraints = set(conn.execute(text("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                                                "WHERE connamespace = 'public'::regnamespace")).all())
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        return indexes, constraints, revision

    move_desk(str(source), target)
    with throwaway_database("helpdesk_fresh") as fresh:
        open_desk(fresh).close()
        assert schema(target) == schema(fresh)


@needs_pg
def test_the_source_file_is_left_byte_for_byte(source, target):
    before = sha256(source)
    move_desk(str(source), target)
    assert sha256(source) == before


@needs_pg
def test_new_rows_on_the_target_take_ids_after_the_copied_ones(source, target):
    move_desk(str(source), target)
    desk = open_desk(target)
    try:
        from sqlalchemy import text

        with desk.engine.begin() as conn:
            top = conn.execute(text("SELECT max(id) FROM ticket")).scalar_one()
            nxt = conn.execute(text("SELECT nextval(pg_get_serial_sequence('ticket', 'id'))")).scalar_one()
        assert nxt == top + 1
    finally:
        desk.close()


# -- refusing and forcing ------------------------------------------------------------

@needs_pg
def test_a_target_holding_a_desk_is_refused_naming_its_tables(source, target):
    move_desk(str(source), target)
    with pytest.raises(Conflict) as refused:
        move_desk(str(source), target)
    assert "ticket (" in refused.value.message and "--force" in refused.value.message


@needs_pg
def test_force_replaces_what_the_target_held(source, target, tmp_path):
    move_desk(str(source), target)
    other = tmp_path / "other.db"
    with time_machine.travel(NOW, tick=False):
        d = open_desk(str(other))
        initialise(d)
        d.close()
    moved = move_desk(str(other), target, force=True)
    assert "ticket" in moved.emptied
    assert moved.rows < 100
    with create_engine(target).connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM ticket")).scalar_one() == 0


# -- stopped midway --------------------------------------------------------------------

class Killed(Exception):
    pass


def kill_at(table_name: str):
    def fault(table: str, copied: int) -> None:
        if table == table_name:
            raise Killed(f"stopped while copying {table} ({copied} rows in)")
    return fault


@needs_pg
def test_a_copy_stopped_midway_leaves_the_target_as_it_was_and_runs_again(source, target):
    with pytest.raises(Killed):
        move_desk(str(source), target, batch=100, fault=kill_at("event"))
    with create_engine(target).connect() as conn:
        assert inspect(conn).get_table_names() == []  # not even the schema: one transaction
    moved = move_desk(str(source), target, batch=100)  # the same command again, no --force needed
    assert all(t.rows == t.target_rows for t in moved.tables)


@needs_pg
def test_a_forced_copy_stopped_midway_keeps_the_previous_copy(source, target):
    first = move_desk(str(source), target)
    with pytest.raises(Killed):
        move_desk(str(source), target, force=True, batch=100, fault=kill_at("message"))
    with create_engine(target).connect() as conn:
        from sqlalchemy import text

        tickets = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
    assert tickets == next(t.rows for t in first.tables if t.name == "ticket")


# -- clear refusals (no server needed for most) -----------------------------------------

@pytest.mark.parametrize("url, says", [
    ("/tmp/elsewhere.db", "not a database URL"),
    ("sqlite:////tmp/elsewhere.db", "must be a PostgreSQL server"),
    ("mysql://root@localhost/desk", "must be a PostgreSQL server"),
    ("postgres://me@db.example.com/desk", "postgresql+psycopg://me@db.example.com/desk"),
    ("postgresql+psycopg2://me@db.example.com/desk", "use the psycopg driver"),
    ("postgresql+psycopg://me@db.example.com", "names no database"),
])
def test_a_wrong_target_url_is_refused_saying_what_to_write(source, url, says):
    with pytest.raises(Invalid) as refused:
        move_desk(str(source), url)
    assert says in refused.value.message and refused.value.field == "to"


def test_an_unreachable_server_is_one_clear_error(source):
    with pytest.raises(Unreachable) as refused:
        move_desk(str(source), "postgresql+psycopg://nobody@127.0.0.1:1/desk")
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in refused.value.message


def test_the_source_must_be_a_helpdesk_desk_at_the_current_schema(tmp_path, source):
    import sqlite3

    to = "postgresql+psycopg://nobody@127.0.0.1:1/desk"
    with pytest.raises(NotFound):
        move_desk(str(tmp_path / "missing.db"), to)
    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(Invalid, match="not a SQLite database"):
        move_desk(str(tmp_path / "junk.db"), to)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE notes (a)").connection.commit()
    with pytest.raises(Invalid, match="not a helpdesk desk"):
        move_desk(str(tmp_path / "other.db"), to)
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0010'")
    with pytest.raises(Invalid) as older:
        move_desk(str(source), to)
    assert f"helpdesk --db {source} init" in older.value.message
    with pytest.raises(Invalid, match="the target is the desk itself"):
        move_desk(to, to)


@needs_pg
def test_forcing_a_target_someone_has_open_says_it_is_in_use(source, target, monkeypatch):
    from sqlalchemy import text

    from helpdesk.services.upkeep import moving

    move_desk(str(source), target)
    monkeypatch.setattr(moving, "LOCK_TIMEOUT", "200ms")
    engine = create_engine(target)
    try:
        with engine.connect() as reader:
            reader.execute(text("SELECT count(*) FROM ticket"))  # an open transaction holds the table
            with pytest.raises(Conflict, match="is in use"):
                move_desk(str(source), target, force=True)
    finally:
        engine.dispose()


@needs_pg
def test_an_empty_target_from_a_newer_helpdesk_is_refused(source, target):
    from sqlalchemy import text

    engine = create_engine(target)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
    engine.dispose()
    with pytest.raises(Conflict, match="unknown to this helpdesk"):
        move_desk(str(source), target)
    assert move_desk(str(source), target, force=True).rows > 0


@needs_pg
def test_a_copy_that_does_not_match_the_source_is_not_kept(source, target, monkeypatch):
    from sqlalchemy import text

    real = copying.copy_table

    def losing_a_row(source_conn, target_conn, table, **kw):
        done = real(source_conn, target_conn, table, **kw)
        if table.name == "ticket_tag":
            target_conn.execute(text("DELETE FROM ticket_tag WHERE ctid IN (SELECT ctid FROM ticket_tag LIMIT 1)"))
        return done

    monkeypatch.setattr(copying, "copy_table", losing_a_row)
    with pytest.raises(copying.CopyMismatch, match="ticket_tag"):
        move_desk(str(source), target)
    with create_engine(target).connect() as conn:
        assert inspect(conn).get_table_names() == []


@needs_pg
def test_a_nul_character_postgresql_cannot_hold_arrives_as_a_replacement_mark(source, target):
    import sqlite3

    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE message SET body = ? WHERE id = 1", ("before\x00after",))
    move_desk(str(source), target)
    with create_engine(target).connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT body FROM message WHERE id = 1")).scalar_one() == "before\ufffdafter"

"""`helpdesk migrate-db`: a whole desk from its SQLite file onto a PostgreSQL server.

The source is opened read-only (SQLite `mode=ro`) and never migrated or changed.
On the target everything happens in ONE transaction (PostgreSQL's DDL is
transactional): empty it when forced, create the schema with the real Alembic
revisions, copy every table (`copying.py`), move the sequences past the copied
ids, rebuild both search indexes the PostgreSQL way (tsvector), compare counts
and a seeded sample of rows, commit. A copy that fails or is killed midway rolls
back and leaves the target as it was: run the same command again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, select
from sqlalchemy import text as sql
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from helpdesk.db import alembic_config, resolve_url, sqlite_path
from helpdesk.errors import Conflict, HelpdeskError, Invalid, NotFound
from helpdesk.services.upkeep import copying
from helpdesk.services.upkeep.copying import Fault, Progress, TableCopy

LOCK_TIMEOUT = "10s"  # a forced move waits this long for a desk someone has open
SEARCH_BATCH = 2000


class Unreachable(HelpdeskError):
    kind = "unreachable"


@dataclass
class Moved:
    source: str
    target: str
    tables: list[TableCopy] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)  # tables that held rows, emptied by --force
    search_rows: int = 0
    kb_search_rows: int = 0
    skipped: list[str] = field(default_factory=list)  # source tables that are not the desk's
    attachment_files: int = 0  # attachments whose content is a file on this machine
    attachment_roots: list[str] = field(default_factory=list)  # the folders holding them
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: schema, rows, search, indexes, check, commit

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict:
        return {
            "source": self.source, "target": self.target, "rows": self.rows,
            "seconds": round(self.seconds, 3), "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "rows_per_second": round(self.rows / self.seconds) if self.seconds else None,
            "tables": [{"table": t.name, "rows": t.rows, "target_rows": t.target_rows, "sampled": t.sampled,
                        "seconds": round(t.seconds, 3)} for t in self.tables],
            "search_index": {"ticket_search": self.search_rows, "kb_search": self.kb_search_rows},
            "emptied": self.emptied, "not_copied": self.skipped,
            "attachment_files": {"count": self.attachment_files, "folders": self.attachment_roots},
        }


# -- the two ends ---------------------------------------------------------------

def target_url(url: str) -> str:
    """Check the target is a PostgreSQL URL this helpdesk can use."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise Invalid(f"{url!r} is not a database URL (expected postgresql+psycopg://USER@HOST:PORT/DB)", field="to") from None
    if u.get_backend_name() == "postgres":
        fixed = u.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        raise Invalid(f"write the scheme as postgresql+psycopg://, e.g. {fixed}", field="to")
    if u.get_backend_name() != "postgresql":
        raise Invalid(f"the target must be a PostgreSQL server (postgresql+psycopg://USER@HOST:PORT/DB), not {u.get_backend_name()!r}; "
                      "to copy a SQLite desk to another file use `helpdesk backup FILE`", field="to")
    if u.get_driver_name() != "psycopg":
        fixed = u.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
        raise Invalid(f"use the psycopg driver: {fixed}", field="to")
    if not u.database:
        raise Invalid("the URL names no database (…/DBNAME at the end)", field="to")
    return url


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def source_path(db: str | None) -> tuple[str, Path]:
    """The SQLite desk to move: (URL, file)."""
    url = resolve_url(db)
    path = sqlite_path(url)
    if path is None:
        raise Invalid(f"the source must be a SQLite desk file, not {_shown(url)} (use --from FILE)", field="from")
    if not path.is_file():
        raise NotFound(f"no desk at {path} (use --from FILE or --db FILE)")
    return url, path


def open_source(path: Path) -> Engine:
    """A read-only engine on the file: nothing it runs can change the source."""
    uri = path.resolve().as_uri() + "?mode=ro"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False,
                                                                      isolation_level=None))


def check_source(conn: Connection, path: Path) -> list[str]:
    """A helpdesk desk at the current schema; returns its tables that are not the desk's."""
    from helpdesk.migrations import HEAD

    try:
        names = set(inspect(conn).get_table_names())
    except DBAPIError as exc:
        raise Invalid(f"{path} is not a SQLite database ({exc.orig})", field="from") from None
    if "alembic_version" not in names:
        raise Invalid(f"{path} is not a helpdesk desk (no schema revision in it)", field="from")
    revision = conn.execute(sql("SELECT version_num FROM alembic_version")).scalar()
    if revision != HEAD:
        if revision in _known_revisions():
            raise Invalid(f"{path} is at schema revision {revision}, this helpdesk writes {HEAD}: upgrade it first with "
                          f"`helpdesk --db {path} init` (a copy of the file is kept next to it), then run migrate-db again",
                          field="from")
        raise Invalid(f"{path} is at schema revision {revision!r}, unknown to this helpdesk (made by a newer one?): "
                      "move it with that helpdesk", field="from")
    missing = [t.name for t in copying.tables() if t.name not in names]
    if missing:
        raise Invalid(f"{path} lacks the tables {', '.join(missing)}: not a whole helpdesk desk", field="from")
    known = {t.name for t in copying.tables()}
    return sorted(n for n in names if n not in known and not copying.is_derived(n))


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def connect_target(url: str) -> Engine:
    engine = create_engine(url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        u = make_url(url)
        reason = " ".join(line.strip() for line in str(exc.orig).splitlines() if line.strip()) or type(exc.orig).__name__
        where = f"{u.host or 'localhost'}:{u.port or 5432}"
        if "does not exist" in reason and "database" in reason:
            raise Unreachable(f"the database {u.database!r} does not exist on {where}: create it first, e.g. "
                              f"`createdb -h {u.host or 'localhost'} -p {u.port or 5432} -U {u.username or 'postgres'} {u.database}`") from None
        raise Unreachable(f"cannot connect to PostgreSQL at {where} (database {u.database!r}): {reason}") from None
    return engine


# -- the target's state ---------------------------------------------------------

def _ours(names: set[str]) -> list[str]:
    mine = [t.name for t in copying.tables()] + list(copying.SEARCH_TABLES)
    return [n for n in mine if n in names]


def holding_rows(conn: Connection) -> dict[str, int]:
    """The desk's tables on the target that hold rows: name -> rows."""
    names = set(inspect(conn).get_table_names())
    found = {}
    for name in _ours(names):
        n = conn.execute(sql(f'SELECT count(*) FROM "{name}"')).scalar_one()
        if n:
            found[name] = n
    return found


def _empty(conn: Connection) -> list[str]:
    """Drop every table of ours (and the revision stamp) so the migrations start afresh."""
    names = set(inspect(conn).get_table_names())
    dropped = _ours(names) + (["alembic_version"] if "alembic_version" in names else [])
    for name in dropped:
        conn.execute(sql(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    return dropped


def _prepare(conn: Connection, *, force: bool, shown: str) -> list[str]:
    conn.execute(sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(sql("SET LOCAL TIME ZONE 'UTC'"))  # SQLite keeps times as naive UTC text
    rows = holding_rows(conn)
    names = set(inspect(conn).get_table_names())
    if not force:
        if rows:
            listed = ", ".join(f"{n} ({c:,})" for n, c in sorted(rows.items()))
            raise Conflict(f"the target {shown} is not empty: {listed}. Nothing was copied. "
                           "Choose an empty database, or add --force to empty this one first")
        if _ours(names) and "alembic_version" not in names:
            raise Conflict(f"the target {shown} has helpdesk tables but no schema revision; add --force to start it afresh")
        if "alembic_version" in names:
            revision = conn.execute(sql("SELECT version_num FROM alembic_version")).scalar()
            if revision is not None and revision not in _known_revisions():
                raise Conflict(f"the target {shown} is at schema revision {revision!r}, unknown to this helpdesk "
                               "(made by a newer one?); add --force to replace it")
        return []
    _empty(conn)
    return sorted(rows)


def _migrate(conn: Connection) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _rebuild_search(source: Connection, target: Connection, progress: Progress) -> tuple[int, int]:
    """Both full-text indexes, from the copied rows, as the PostgreSQL backend writes them."""
    from helpdesk import search
    from helpdesk.models import Article, Ticket
    from helpdesk.services.customers import kb_search
    from helpdesk.services.tickets.indexing import documents

    with Session(bind=source) as reading, Session(bind=target) as writing:
        ids = list(reading.exec(select(Ticket.id).order_by(Ticket.id)).scalars())
        for start in range(0, len(ids), SEARCH_BATCH):
            search.fill(writing, documents(reading, ids[start:start + SEARCH_BATCH]))
            progress(f"search index: {min(start + SEARCH_BATCH, len(ids)):,} of {len(ids):,} tickets")
        articles = [tuple(r) for r in reading.exec(select(Article.id, Article.title, Article.body)).all()]
        kb_search.store(writing, articles)
        writing.flush()
    tickets = target.execute(sql("SELECT count(*) FROM ticket_search")).scalar_one()
    kb = target.execute(sql("SELECT count(*) FROM kb_search")).scalar_one()
    return tickets, kb


# -- the move ---------------------------------------------------------------------

def move_desk(source_db: str | None, to: str, *, force: bool = False, batch: int = copying.BATCH,
              progress: Progress = lambda _m: None, fault: Fault | None = None,
              clock: Callable[[], float] = time.perf_counter) -> Moved:
    """Copy the SQLite desk `source_db` (URL or path) onto the PostgreSQL database `to`."""
    to = target_url(to)
    if resolve_url(source_db) == to:
        raise Invalid("the target is the desk itself: name the SQLite file to move with --from FILE", field="to")
    url, path = source_path(source_db)
    started = clock()
    moved = Moved(source=str(path), target=_shown(to))
    reader = open_source(path)
    try:
        with reader.connect() as source:
            source.exec_driver_sql("BEGIN")  # one snapshot of the desk for the whole copy
            moved.skipped = check_source(source, path)
            writer = connect_target(to)
            try:
                with writer.connect() as target, target.begin():
                    phase = _Phases(moved, clock)
                    with phase("schema"):
                        moved.emptied = _prepare(target, force=force, shown=moved.target)
                        progress("creating the schema (migrations)")
                        _migrate(target)
                        aside = copying.set_aside(target)  # indexes and foreign keys: built once at the end
                    with phase("rows"):
                        for table in copying.tables():
                            began = clock()
                            done = copying.copy_table(source, target, table, batch=batch, progress=progress, fault=fault)
                            moved.tables.append(TableCopy(table.name, done, seconds=clock() - began))
                        copying.reset_sequences(target)
                    with phase("search"):
                        moved.search_rows, moved.kb_search_rows = _rebuild_search(source, target, progress)
                    with phase("indexes"):
                        progress(f"building {len(aside.indexes)} indexes, checking {len(aside.foreign_keys)} foreign keys")
                        copying.put_back(target, aside)
                    with phase("check"):
                        progress("checking counts and a sample of rows")
                        _check(source, target, moved)
                        moved.attachment_files, moved.attachment_roots = _attachment_files(source)
                    progress("committing")
                    began = clock()
                moved.phases["commit"] = clock() - began
            except IntegrityError as exc:
                raise copying.CopyMismatch(f"the source breaks a rule of the schema: {str(exc.orig).strip().splitlines()[0]} "
                                           "(nothing was copied)") from None
            except OperationalError as exc:
                if "lock timeout" in str(exc.orig):
                    raise Conflict(f"the target {moved.target} is in use (the app, the worker or the portal has it open): "
                                   "stop them, then run the same command again (nothing was copied)") from None
                raise Unreachable(f"the target stopped answering or refused: {str(exc.orig).strip().splitlines()[0]} "
                                  "(nothing was copied; run the same command again)") from None
            finally:
                writer.dispose()
    finally:
        reader.dispose()
    moved.seconds = clock() - started
    return moved


class _Phases:
    """`with phase("rows"): ...` adds the seconds it took to `moved.phases`."""

    def __init__(self, moved: Moved, clock: Callable[[], float]):
        self.moved, self.clock = moved, clock

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = self.clock()
        yield
        self.moved.phases[name] = self.clock() - began


def _attachment_files(source: Connection) -> tuple[int, list[str]]:
    """Attachments are files (<root>/<sha[:2]>/<sha>) named by path in the rows: the rows
    move, the files stay where they are and must be reachable at that path."""
    from helpdesk.models import Attachment

    paths = [p for p in source.execute(select(Attachment.path).where(Attachment.path.is_not(None))).scalars()]
    return len(paths), sorted({str(Path(p).parent.parent) for p in paths})


def carry_you(source_db: str | None, to: str) -> str | None:
    """The agent remembered as "you" on the SQLite desk, remembered on the moved desk too
    (only when the target has no one remembered yet). Returns that agent, if any."""
    from helpdesk import userconfig

    agent, scope = userconfig.remembered_agent(resolve_url(source_db))
    if scope != "desk" or not agent:
        return None
    return agent if userconfig.remember_agent(to, agent) else None


def _check(source: Connection, target: Connection, moved: Moved) -> None:
    by_name = {t.name: t for t in moved.tables}
    for table in copying.tables():
        entry = by_name[table.name]
        entry.target_rows = copying.count(target, table)
        expected = copying.count(source, table)
        if entry.target_rows != expected or entry.rows != expected:
            raise copying.CopyMismatch(f"{table.name}: {expected:,} rows in the source, {entry.target_rows:,} on the "
                                       "target (nothing was kept; run the command again)")
        entry.sampled = copying.check_sample(source, target, table)
    tickets = by_name["ticket"].rows
    if moved.search_rows != tickets:
        raise copying.CopyMismatch(f"the search index holds {moved.search_rows:,} tickets of {tickets:,}")

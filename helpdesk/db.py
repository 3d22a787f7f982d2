"""Engine, sessions and migrations; every backend difference of the storage layer.

Writes go through `Desk.write(fn)`: on SQLite the transaction starts with
`BEGIN IMMEDIATE` (a deferred BEGIN that later writes fails with "database is
locked" under contention) and is retried while the database stays busy.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from helpdesk.errors import HelpdeskError
from helpdesk.text import storable_data

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
WRITE_RETRIES = 6
WRITE_PATIENCE_S = 300  # a busy or raced write is tried again for up to this long
WRITE_RETRIES_MAX = 200
busy_retries = 0  # write transactions retried (SQLite busy, a PostgreSQL race) in this process; bench/stress.py reads it


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("helpdesk", appauthor=False)) / "helpdesk.db"


def resolve_url(db: str | None) -> str:
    """`--db` / `HELPDESK_DB` value (URL or plain path) -> SQLAlchemy URL."""
    db = db or os.environ.get("HELPDESK_DB") or str(default_db_path())
    if "://" in db:
        return db
    path = Path(db).expanduser().resolve()
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("helpdesk_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@event.listens_for(Session, "before_flush")
def _storable_text(session, _context, _instances) -> None:
    """Whatever door text came in by, the database gets text it can hold: no NUL (PostgreSQL
    refuses it) and no lone surrogate (SQLite's UTF-8 cannot encode it), in plain columns
    and inside JSON ones. Only values set since the last flush are looked at."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        keys = state.dict.keys() if state.key is None else state.committed_state.keys()
        for key in list(keys):
            value = state.dict.get(key)
            if isinstance(value, (str, dict, list)):
                clean = storable_data(value)
                if clean is not value and clean != value:
                    setattr(obj, key, clean)


def is_busy(exc: BaseException) -> bool:
    msg = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in msg or "database is busy" in msg


class StorageError(HelpdeskError):
    """The storage refused a write (disk full, read-only file): nothing was written."""

    exit_code = 1
    kind = "storage"


_STORAGE = (
    ("database or disk is full", "the disk is full (or the database reached its size limit): the change was not "
     "written and nothing stored was lost; free some space, then run the same command again"),
    ("readonly database", "the database {where}is read-only: nothing was written; check the permissions of the "
     "file and of its folder (SQLite writes -wal and -shm files next to it)"),
    ("unable to open database file", "cannot open the database file {where}: check that its folder exists and that "
     "you may read and write there"),
    ("disk i/o error", "the disk reported an I/O error on the database {where}: the change was not written; "
     "check the disk, then run `helpdesk doctor`"),
)


def storage_error(exc: BaseException, url: str | None = None) -> StorageError | None:
    """A readable error for a storage failure (by SQLite's message), or None for anything else.

    The errors it led to are searched too: after SQLITE_FULL, SQLite may roll the whole
    transaction back itself, and what reaches the caller is then the failed rollback of a
    savepoint ("no such savepoint"), raised while handling the real cause."""
    path = sqlite_path(url) if url else None
    seen = 0
    while exc is not None and seen < 8:
        msg = str(getattr(exc, "orig", exc)).lower()
        for needle, words in _STORAGE:
            if needle in msg:
                return StorageError(words.format(where=f"{path} " if path else ""))
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


# PostgreSQL: serialization failure, deadlock, and a unique key another transaction
# inserted first (two "get or create" of one new contact, tag, ...): run it all again,
# and the second time round the other's row is there to be found.
RETRY_SQLSTATES = {"40001", "40P01", "23505"}


def is_retryable(exc: BaseException) -> bool:
    """A write that would succeed if run again from the start: SQLite busy, a PostgreSQL race,
    or a ticket another writer changed since this one read it (models.Ticket's version check)."""
    if isinstance(exc, StaleDataError):
        return True
    return is_busy(exc) or getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


class Desk:
    """One opened database: the engine plus read and write sessions."""

    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine
        self._write_engine = engine.execution_options(helpdesk_write=True)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in one write transaction, committed on success.

        Retried from the start while SQLite reports the database busy, so a
        user never sees "database is locked", and on PostgreSQL after a serialization
        failure, a deadlock or a unique key a concurrent transaction took first
        (`is_retryable`); any other error rolls back."""
        def committed(session: Session) -> T:
            result = fn(session)
            session.commit()
            return result

        session, result = self.begin(committed)
        session.close()
        return result

    def begin(self, fn: Callable[[Session], T]) -> tuple[Session, T]:
        """Open a write transaction and run `fn(session)` in it, retried from the start
        while the database is busy; the session comes back still open, for the caller
        to commit (or close, which rolls back). `write` is this plus the commit."""
        delay, patience = 0.05, time.monotonic() + WRITE_PATIENCE_S
        for attempt in range(WRITE_RETRIES_MAX):
            session = Session(self._write_engine, expire_on_commit=False)
            try:
                return session, fn(session)
            except (DBAPIError, StaleDataError) as exc:
                session.close()
                trouble = storage_error(exc, self.url)
                if trouble is not None:
                    raise trouble from None
                # at least WRITE_RETRIES tries; more while the patience lasts (a machine so
                # loaded that writers queue for minutes: found by bench/stress.py)
                taken = getattr(getattr(exc, "orig", None), "sqlstate", None) == "23505"  # a real duplicate stays
                if not is_retryable(exc) or (attempt >= WRITE_RETRIES - 1 and (taken or time.monotonic() > patience)):
                    raise
                global busy_retries
                busy_retries += 1
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except BaseException:
                session.close()
                raise
        raise AssertionError("unreachable")

    def rehearse(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` as a write, then roll it back: a preview of its effects."""
        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                return fn(session)
            finally:
                session.rollback()

    def close(self) -> None:
        self.engine.dispose()


class MigrationError(HelpdeskError):
    exit_code = 1
    kind = "migration"


def open_desk(db: str | None = None, *, migrate: bool = True) -> Desk:
    """Open the database the CLI and TUI use, applying pending migrations."""
    url = resolve_url(db)
    desk = Desk(url, make_engine(url))
    if migrate:
        upgrade(desk)
    return desk


def current_revision(desk: Desk) -> str | None:
    with desk.engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return None


def upgrade(desk: Desk) -> bool:
    """Bring the schema to head. Cheap when already there: alembic is only
    imported when something is pending. Returns True if anything ran."""
    from helpdesk.migrations import HEAD

    current = current_revision(desk)
    if current == HEAD:
        return False
    if current is not None:
        backup_before_migration(desk, current)
    from alembic import command
    from alembic.util import CommandError

    try:
        command.upgrade(alembic_config(desk), "head")
    except CommandError as exc:
        raise MigrationError(
            f"cannot upgrade the database from revision {current!r}: {exc} "
            "(was it made by a newer helpdesk? a copy was kept next to the file)") from None
    return True


def alembic_config(desk: Desk | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if desk is not None:
        cfg.attributes["engine"] = desk.engine
    return cfg


def backup_before_migration(desk: Desk, revision: str) -> Path | None:
    path = sqlite_path(desk.url)
    if path is None or not path.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.before-{revision}-{stamp}")
    n = 1
    while target.exists():  # a migration that failed (disk full, killed) and was run again within the second
        n += 1
        target = path.with_name(f"{path.name}.before-{revision}-{stamp}-{n}")
    backup_to(desk, target)
    return target


def backup_to(desk: Desk, target: Path) -> None:
    """A consistent copy while others keep working (SQLite online backup API)."""
    import sqlite3

    path = sqlite_path(desk.url)
    if path is None:
        raise HelpdeskError("backup works on SQLite desks; use pg_dump for PostgreSQL")
    target = Path(target)
    if target.exists():
        from helpdesk.errors import Conflict

        raise Conflict(f"{target} already exists; choose another file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    src = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(str(tmp))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    shutil.move(tmp, target)

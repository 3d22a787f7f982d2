"""Test-only: SIGKILL this process at its Nth database step. Production code carries nothing.

A step is every SQL statement SQLAlchemy sends and every commit (counted before it
happens), on every engine of the process: the command's, Alembic's, the import's writer
thread. `HELPDESK_KILL_AT=N` kills at step N; N = the count + 1 kills on the way out,
after the last commit (the job done, its report never printed). `HELPDESK_KILL_COUNT=FILE`
writes the number of steps a whole run took, to plan kills by.

Two storage faults too: `HELPDESK_TEST_MAX_PAGES=N` caps every SQLite connection at N
pages (`PRAGMA max_page_count`: the disk is full once the file would grow past it), and
`HELPDESK_TEST_READONLY=FILE` opens that SQLite file read-only (`?mode=ro`, as a file without
write permission does; root ignores chmod, so the tests cannot use it); other files, like
the copy a migration keeps first, open as usual.

Loaded by the `-c` wrapper `WRAPPER` (crash_support.py) before the CLI runs.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from pathlib import Path


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    pages = int(os.environ.get("HELPDESK_TEST_MAX_PAGES") or 0)
    if pages:
        def cap(dbapi_conn, _record) -> None:
            if type(dbapi_conn).__module__.startswith("sqlite3"):
                dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(Pool, "connect", cap)
    locked = os.environ.get("HELPDESK_TEST_READONLY")
    if locked:
        import sqlite3
        import sqlite3.dbapi2

        opened = sqlite3.dbapi2.connect

        def read_only(database, *args, **kw):
            if os.path.realpath(str(database)) != os.path.realpath(locked):
                return opened(database, *args, **kw)
            return opened(f"file:{database}?mode=ro", *args, **{**kw, "uri": True})

        sqlite3.connect = sqlite3.dbapi2.connect = read_only

    at = int(os.environ.get("HELPDESK_KILL_AT") or 0)
    count_file = os.environ.get("HELPDESK_KILL_COUNT")
    lock = threading.Lock()
    steps = 0

    def step(*_args, **_kw) -> None:
        nonlocal steps
        with lock:
            steps += 1
            if steps == at:
                os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", step)
    event.listen(Engine, "commit", step)

    def leaving() -> None:
        if count_file:
            Path(count_file).write_text(str(steps))
        step()  # the step after the last: killed once everything is committed

    atexit.register(leaving)

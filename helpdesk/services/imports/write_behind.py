"""Write-behind: a batch's transaction is finished on a thread of its own while the
caller reads the next batch.

    finisher = Finisher(desk)
    session, planned = finisher.begin(plan)          # BEGIN IMMEDIATE; plan(session), retried while busy
    finisher.finish(session, lambda s: work(s))      # the rest runs on the thread, then COMMIT
    ...read the next batch...
    done = finisher.wait()                           # work's result once committed (or its error)

SQLite and the database drivers give up the GIL while they work, so Python that reads
and types spreadsheet rows runs meanwhile. One transaction is in flight at a time:
`begin` waits for the previous one, because a batch numbers its new rows after the
ones already committed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlmodel import Session

from helpdesk.db import Desk

T = TypeVar("T")


class Finisher:
    def __init__(self, desk: Desk):
        self._desk = desk
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="helpdesk-writer")
        self._pending: Future | None = None

    def begin(self, plan: Callable[[Session], T]) -> tuple[Session, T]:
        """`Desk.begin`: open a write transaction and run `plan` in it (retried while
        busy); the session is handed on to `finish` (or closed, which rolls back)."""
        if self._pending is not None:
            raise RuntimeError("wait() for the batch in flight before beginning another")
        return self._desk.begin(plan)

    def finish(self, session: Session, work: Callable[[Session], T]) -> None:
        """Run `work(session)` on the writer thread, then commit; the session is its now."""
        self._pending = self._pool.submit(_finish, session, work)

    def wait(self):
        """The result of the transaction in flight once it committed (None if there is
        none); its error, if it failed and rolled back."""
        pending = self._pending
        if pending is None:
            return None
        try:
            return pending.result()
        finally:
            if pending.done():  # not after a ctrl-c while waiting: wait again to settle it
                self._pending = None

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _finish(session: Session, work: Callable[[Session], T]) -> T:
    with session:  # closing without a commit rolls back
        result = work(session)
        session.commit()
        return result

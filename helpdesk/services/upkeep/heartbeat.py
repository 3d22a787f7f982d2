"""The worker's heartbeat: each run of its jobs stamps a settings row, so `doctor` can
say when a worker (`helpdesk worker`, `worker --once` from cron, or the open app) last ran.

The row is written directly, without an event: one a minute would bury the audit trail."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlmodel import Session

from helpdesk.models import Setting, utcnow

KEY = "worker.last_seen"


def beat(session: Session, now: datetime | None = None) -> dict:
    """Record that the worker's jobs are running now, and where."""
    now = now or utcnow()
    value = {"at": now.isoformat(), "host": socket.gethostname(), "pid": os.getpid()}
    row = session.get(Setting, KEY)
    if row is None:
        row = Setting(key=KEY, value=value, updated_at=now)
    else:
        row.value, row.updated_at = value, now
    session.add(row)
    return value


def last_seen(session: Session) -> tuple[datetime | None, dict]:
    """When the worker last ran (None: never) and what it recorded."""
    row = session.get(Setting, KEY)
    if row is None or not isinstance(row.value, dict):
        return None, {}
    try:
        at = datetime.fromisoformat(str(row.value.get("at")))
    except ValueError:
        return None, row.value
    return at, row.value

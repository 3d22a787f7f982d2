"""Team-wide settings stored in the database (`helpdesk config get|set`)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.errors import Invalid, NotFound
from helpdesk.models import Setting, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record

# Known keys and a line of help each; other keys must look like "section.name".
KNOWN = {
    "desk.timezone": "IANA time zone used to read dates in queries and imports (default UTC)",
    "desk.name": "the desk's name, shown in the app title and outgoing mail",
    "mail.from": "sender address of outgoing mail, e.g. support@example.com",
    "mail.smtp_url": "smtp://host:587 (STARTTLS) or smtps://host:465; password from HELPDESK_SMTP_PASSWORD",
    "mail.imap_url": "imaps://user@host/INBOX; password from HELPDESK_IMAP_PASSWORD",
}
SECRET = re.compile(r"(password|secret|token)", re.I)
PRIVATE = {"portal.signing_key"}  # kept by the desk for itself: never shown, never set by hand
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def clean_key(key: str) -> str:
    k = (key or "").strip().lower()
    if not KEY.match(k):
        raise Invalid(f"{key!r} is not a setting name (like mail.from)", field="key")
    if SECRET.search(k):
        raise Invalid("passwords and tokens are never stored; set them in the environment or the system keyring", field="key")
    if k in PRIVATE:
        raise Invalid(f"{k} is kept by the desk itself and is never shown or set by hand", field="key")
    return k


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return row.value if row is not None else default


def require_setting(session: Session, key: str) -> Any:
    row = session.get(Setting, clean_key(key))
    if row is None:
        raise NotFound(f"setting {key!r} is not set")
    return row.value


def set_setting(session: Session, actor: Actor, key: str, value: Any) -> None:
    require(actor, "admin")
    key = clean_key(key)
    if key == "desk.timezone":
        _check_zone(value)
    row = session.get(Setting, key)
    old = row.value if row else None
    if row is None:
        row = Setting(key=key, value=value, updated_at=utcnow())
    else:
        row.value, row.updated_at = value, utcnow()
    session.add(row)
    record(session, actor, "setting", None, key, old, value)


def unset_setting(session: Session, actor: Actor, key: str) -> bool:
    require(actor, "admin")
    row = session.get(Setting, clean_key(key))
    if row is None:
        return False
    record(session, actor, "setting", None, row.key, row.value, None)
    session.delete(row)
    return True


def all_settings(session: Session) -> dict[str, Any]:
    return {s.key: s.value for s in session.execute(select(Setting).order_by(Setting.key)).scalars()
            if s.key not in PRIVATE}


def desk_zone(session: Session):
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_setting(session, "desk.timezone") or "UTC")


def _check_zone(value: Any) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)", field="desk.timezone") from None


# -- documents loaded from files (rules, macros, types): stored whole, parsed once per session

def cached(session: Session, key: str, build):
    """`build(stored JSON)`, remembered for this session (one transaction or one read):
    `store_loaded` forgets it when it stores a new document. Not read again per call:
    a bulk UPDATE expires the row, and batch work asks once per ticket."""
    mine = session.info.get(key)
    if mine is not None:
        return mine[2]
    row = session.get(Setting, key)
    value = row.value if row is not None and row.value else None
    if value is None:
        session.info[key] = (row, None, None)
        return None
    parsed = build(value)
    # The row is held too: the session's identity map is weak, and a row loaded again
    # brings a new value, which would mean parsing the document again on every change.
    session.info[key] = (row, value, parsed)
    return parsed


def store_loaded(session: Session, actor: Actor, key: str, value, summary: str, source: str | None,
                 old_summary=lambda old: None) -> None:
    """Replace a loaded document; one event says what was there and what is now."""
    row = session.get(Setting, key) or Setting(key=key, updated_at=utcnow())
    old = row.value
    row.value, row.updated_at = value, utcnow()
    session.add(row)
    record(session, actor, "setting", None, key, old_summary(old) if old else None, summary,
           reason=f"loaded from {source}" if source else None)
    session.flush()
    session.info.pop(key, None)

"""What every command shares: the opened desk, the acting agent, reading bodies."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from helpdesk.errors import Invalid

if TYPE_CHECKING:
    from sqlmodel import Session

    from helpdesk.db import Desk
    from helpdesk.services.core.acting import Acting
    from helpdesk.services.core.actors import Actor


@dataclass
class Options:
    db: str | None = None
    who: str | None = None


options = Options()
_desk: Desk | None = None
_hinted = False  # the "remembered agent is not on this desk" hint, once per process

JSON = typer.Option(False, "--json", help="Print one JSON document (errors too, on stderr).")
CSV = typer.Option(False, "--csv", help="Print CSV (list commands).")
LIMIT = typer.Option(100, "--limit", "-n", min=1, help="At most this many rows; the output says N of M when cut.")


def desk() -> Desk:
    """The database of --db / HELPDESK_DB / the default file, migrated to head."""
    global _desk
    if _desk is None:
        from helpdesk.db import open_desk

        _desk = open_desk(options.db)
    return _desk


def reset() -> None:
    """Forget the opened desk (tests run many commands in one process)."""
    global _desk, _hinted
    if _desk is not None:
        _desk.close()
    _desk, _hinted = None, False


def acting(session: Session, *, hint: bool = True) -> Acting:
    """Who you are on this desk, and from which source (--as, HELPDESK_AGENT, the config)."""
    from helpdesk.services.core.acting import acting as resolve

    global _hinted
    found = resolve(session, options.who, desk().url)
    if hint and found.hint and not _hinted:
        _hinted = True
        sys.stderr.write(f"helpdesk: {found.hint}\n")
    return found


def actor(session: Session) -> Actor:
    return acting(session).actor


def write(fn):
    """Run fn(session, actor) in one write transaction."""
    return desk().write(lambda s: fn(s, actor(s)))


def read(fn):
    with desk().read() as s:
        return fn(s, actor(s))


def body_text(value: str | None, *, required: bool = True) -> str | None:
    """--body TEXT, or --body - to read standard input."""
    if value == "-":
        value = sys.stdin.read()
    if required and not (value or "").strip():
        raise Invalid("must not be empty (use --body TEXT, or --body - to read standard input)", field="body")
    return value


def ticket_number(value: str) -> int:
    """'123' or '#123' -> 123."""
    text = value.strip().lstrip("#")
    if not text.isdigit():
        raise Invalid(f"{value!r} is not a ticket number", field="id")
    return int(text)

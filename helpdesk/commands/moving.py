"""`helpdesk migrate-db`: move a whole desk from its SQLite file onto PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, options


def migrate_db(
    to: str = typer.Option(..., "--to", help="The PostgreSQL database: postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DB."),
    from_: Optional[Path] = typer.Option(None, "--from", help="The SQLite desk file to move (default: the --db desk)."),
    force: bool = typer.Option(False, "--force", help="Empty the target first when it already holds a desk."),
    json_out: bool = JSON,
) -> None:
    """Copy a whole SQLite desk onto a PostgreSQL server (the source is only read).

    Every table, settings, rules, SLA clocks and the audit trail are copied with their
    ids; the search indexes are rebuilt for PostgreSQL; row counts and a sample of rows
    are compared. It runs as one transaction: stopped or failed midway, it leaves the
    target as it was. A target that holds rows is refused (exit 4) unless --force.

    \b
    Examples:
      createdb -h db.example.com -U helpdesk helpdesk
      helpdesk migrate-db --to postgresql+psycopg://helpdesk@db.example.com/helpdesk
      helpdesk migrate-db --from ~/desk/real.db --to postgresql+psycopg://helpdesk@db/helpdesk --force --json
      export HELPDESK_DB=postgresql+psycopg://helpdesk@db.example.com/helpdesk   # every machine
    """
    from helpdesk.services.upkeep.moving import carry_you, move_desk

    source = str(from_.expanduser()) if from_ is not None else options.db
    moved = move_desk(source, to, force=force, progress=_progress())
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    you = carry_you(source, to)
    if json_out:
        return render.emit_json({**moved.to_dict(), "acting_as": you})
    if moved.emptied:
        render.say(f"emptied first (--force): {', '.join(moved.emptied)}")
    render.table(("table", "rows", "on target", "sampled", "seconds"),
                 ([t.name, f"{t.rows:,}", f"{t.target_rows:,}", t.sampled, f"{t.seconds:.2f}"] for t in moved.tables),
                 caption=f"search index rebuilt: {moved.search_rows:,} tickets, {moved.kb_search_rows:,} articles")
    rate = f" ({moved.rows / moved.seconds:,.0f} rows/s)" if moved.seconds else ""
    if moved.skipped:
        render.say(f"not copied (not helpdesk tables): {', '.join(moved.skipped)}")
    render.say(f"moved {moved.rows:,} rows from {moved.source} to {moved.target} in {moved.seconds:.1f} s{rate}")
    if moved.attachment_files:
        render.say(f"{moved.attachment_files:,} attachments are files in {', '.join(moved.attachment_roots)}: they stay there; "
                   "every machine using the moved desk needs them at that path (a shared folder), see docs/postgresql.md")
    if you:
        render.say(f"you act as {you} on the moved desk too (see `helpdesk whoami`)")
    render.say(f"use it with: helpdesk --db '{moved.target}'   (or export HELPDESK_DB=...; the SQLite file is unchanged)")


def _progress():
    """One line per step on stderr; on a terminal, one line rewritten in place."""
    tty = sys.stderr.isatty()

    def tell(message: str) -> None:
        if tty:
            sys.stderr.write(f"\r\033[K{message[:100]}")
        else:
            sys.stderr.write(f"{message}\n")
        sys.stderr.flush()

    return tell

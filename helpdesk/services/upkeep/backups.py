"""`helpdesk backup FILE` on either backend.

SQLite: the online backup API (`db.backup_to`), a desk file you can open as it is.
PostgreSQL: `pg_dump`, in its custom format (restore with `pg_restore`), or plain
SQL when FILE ends in `.sql` (restore with `psql -f`). pg_dump takes a consistent
snapshot while others keep working. The file appears only when the dump is whole."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from helpdesk.db import Desk, backup_to
from helpdesk.errors import Conflict, HelpdeskError

PG_PACKAGE = "postgresql-client (Debian/Ubuntu: apt install postgresql-client; macOS: brew install libpq)"


class BackupFailed(HelpdeskError):
    kind = "backup"


@dataclass
class Backup:
    file: Path
    backend: str
    format: str  # sqlite | custom | plain
    restore: str  # the command that restores it

    def to_dict(self) -> dict:
        return {"backup": str(self.file), "backend": self.backend, "format": self.format, "restore": self.restore}


def backup(desk: Desk, file: Path, *, pg_dump: str | None = None) -> Backup:
    file = Path(file).expanduser()
    if desk.backend == "sqlite":
        backup_to(desk, file)
        return Backup(file, "sqlite", "sqlite", f"cp {file} DESK.db   (then helpdesk --db DESK.db)")
    if desk.backend != "postgresql":
        raise BackupFailed(f"backup does not know the {desk.backend} backend")
    return _pg_dump(desk.url, file, pg_dump or shutil.which("pg_dump"))


def libpq_url(url: str) -> tuple[str, str | None]:
    """(postgresql://… without the password, the password): what pg_dump and psql take."""
    u = make_url(url)
    password = u.password
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), (str(password) if password is not None else None)


def _pg_dump(url: str, file: Path, program: str | None) -> Backup:
    if program is None:
        raise BackupFailed(f"backing up a PostgreSQL desk needs pg_dump, which is not on PATH: install {PG_PACKAGE}, "
                           "the same major version as the server or newer")
    if file.exists():
        raise Conflict(f"{file} already exists; choose another file name")
    plain = file.suffix.lower() == ".sql"
    dsn, password = libpq_url(url)
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password  # never on the command line, where `ps` shows it
    cmd = [program, "--no-owner", "--format", "plain" if plain else "custom", "--file", str(partial), "--dbname", dsn]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=None)
    except OSError as exc:
        raise BackupFailed(f"cannot run {program}: {exc}") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        reason = " ".join(done.stderr.strip().splitlines()[-2:]) or f"exit code {done.returncode}"
        hint = " (pg_dump must be the server's major version or newer)" if "version mismatch" in reason else ""
        raise BackupFailed(f"pg_dump failed: {reason}{hint}")
    shutil.move(partial, file)
    restore = (f"createdb NEWDB && psql -d postgresql://…/NEWDB -f {file}" if plain
               else f"createdb NEWDB && pg_restore --no-owner -d postgresql://…/NEWDB {file}")
    return Backup(file, "postgresql", "plain" if plain else "custom", restore)

"""Real processes: the installed command, start-up imports, concurrent writers, migrations, backup."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest


def helpdesk(db, *args, env=None, stdin=None):
    full_env = {**os.environ, "HELPDESK_DB": str(db), **(env or {})}
    return subprocess.run([sys.executable, "-m", "helpdesk", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=120)


def test_fresh_desk_from_the_shell(tmp_path):
    db = tmp_path / "desk.db"
    assert helpdesk(db, "init").returncode == 0
    assert helpdesk(db, "agent", "add", "ada@example.com", "--name", "Ada").returncode == 0
    r = helpdesk(db, "ticket", "create", "-s", "From a real process", "--quiet")
    assert r.returncode == 0 and r.stdout.strip() == "1"
    listed = json.loads(helpdesk(db, "ticket", "list", "--json").stdout)
    assert listed["tickets"][0]["subject"] == "From a real process"
    bad = helpdesk(db, "ticket", "show", "42", "--json")
    assert bad.returncode == 3 and json.loads(bad.stderr)["error"] == "not_found"


def test_cli_never_imports_textual():
    code = ("import sys; from helpdesk.cli import run; "
            "rc = run(['--help']); "
            "assert 'textual' not in sys.modules, [m for m in sys.modules if m.startswith('textual')]; "
            "print('clean')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "clean" in r.stdout, r.stderr


def test_ticket_create_does_not_import_textual(tmp_path):
    db = tmp_path / "d.db"
    helpdesk(db, "agent", "add", "ada@example.com", "--name", "Ada")
    code = ("import sys; from helpdesk.cli import run; "
            "rc = run(['ticket', 'create', '-s', 'x', '--quiet']); "
            "print('textual' in sys.modules, rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "HELPDESK_DB": str(db)})
    assert r.stdout.strip().endswith("False 0"), r.stdout + r.stderr


def test_concurrent_writers_never_see_database_is_locked(tmp_path):
    db = tmp_path / "busy.db"
    helpdesk(db, "agent", "add", "ada@example.com", "--name", "Ada")
    lines = "".join(json.dumps({"subject": f"bulk {i}", "body": "x" * 200}) + "\n" for i in range(300))

    def writer(i):
        if i % 2:
            return helpdesk(db, "ticket", "create", "--from", "-", "--quiet", stdin=lines)
        return helpdesk(db, "ticket", "create", "-s", f"single {i}", "--quiet")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(writer, range(12)))
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "locked" not in r.stderr
    total = json.loads(helpdesk(db, "ticket", "list", "--json", "--limit", "1").stdout)["total"]
    assert total == 6 * 300 + 6


def test_migration_head_constant_matches_alembic():
    from alembic.script import ScriptDirectory

    from helpdesk.db import alembic_config
    from helpdesk.migrations import HEAD

    cfg = alembic_config()
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_pending_migration_is_applied_after_a_backup(tmp_path):
    from helpdesk.db import open_desk

    db = tmp_path / "old.db"
    open_desk(str(db)).close()
    with sqlite3.connect(db) as conn:  # pretend the file predates the newest revision
        conn.execute("UPDATE alembic_version SET version_num = 'older'")
    from helpdesk.db import MigrationError

    with pytest.raises(MigrationError, match="revision 'older'"):
        open_desk(str(db))  # an unknown revision is refused, never silently rewritten
    backups = list(tmp_path.glob("old.db.before-older-*"))
    assert len(backups) == 1


def test_models_match_the_migrations(tmp_path):
    """A model change without a revision would silently diverge: compare them."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from helpdesk.db import open_desk

    desk = open_desk(str(tmp_path / "m.db"))
    with desk.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    relevant = [d for d in diff if "ticket_search" not in str(d) and "kb_search" not in str(d)]
    assert relevant == []


def test_backup_is_a_consistent_copy(tmp_path):
    db = tmp_path / "live.db"
    helpdesk(db, "agent", "add", "ada@example.com", "--name", "Ada")
    helpdesk(db, "ticket", "create", "-s", "keep me")
    target = tmp_path / "copy.db"
    assert helpdesk(db, "backup", str(target)).returncode == 0
    listed = json.loads(helpdesk(target, "ticket", "list", "--json").stdout)
    assert [t["subject"] for t in listed["tickets"]] == ["keep me"]
    again = helpdesk(db, "backup", str(target))
    assert again.returncode == 4 and "already exists" in again.stderr

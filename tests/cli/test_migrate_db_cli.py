"""`helpdesk migrate-db` and `helpdesk backup` as a user runs them: a demo desk moves onto
PostgreSQL and gives the same answers there (lists, tickets, search in Chinese and
English, rules, reports, the worker)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from pg_support import needs_pg, throwaway_database

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=timezone.utc)
DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def helpdesk(capsys):
    """helpdesk(db, *args) -> (exit code, stdout, stderr)."""
    from helpdesk.cli import run

    def invoke(db: str, *args: str, who: str | None = None):
        capsys.readouterr()
        code = run(["--db", db] + (["--as", who] if who else []) + list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def answers(helpdesk, db: str, *args: str):
    code, out, err = helpdesk(db, *args, "--json")
    assert code == 0, (db, args, err)
    return json.loads(out)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def target():
    with throwaway_database("helpdesk_cli_move") as url:
        yield url


@needs_pg
def test_a_demo_desk_moves_and_answers_the_same_on_postgresql(helpdesk, tmp_path, target):
    source = str(tmp_path / "demo.db")
    with time_machine.travel(NOW, tick=False):
        assert helpdesk(source, "init", "--demo")[0] == 0
        for team in ("vip", "billing"):
            assert helpdesk(source, "team", "add", team)[0] == 0
        assert helpdesk(source, "macro", "load", str(DATA / "macros.example.toml"))[0] == 0
        assert helpdesk(source, "rules", "load", str(DATA / "rules.example.toml"))[0] == 0
        before = digest(Path(source))

        code, out, err = helpdesk(source, "migrate-db", "--to", target, "--json")
        assert code == 0, err
        moved = json.loads(out)
        assert digest(Path(source)) == before  # the source is only read
        assert moved["acting_as"] == "mei@demo.helpdesk"  # "you" comes along
        assert {t["table"]: t["rows"] for t in moved["tables"]}["ticket"] == 200
        assert moved["search_index"]["ticket_search"] == 200

        questions = [
            ("ticket", "list", "--limit", "500"),
            ("ticket", "list", "退款"),
            ("ticket", "list", "printer"),
            ("ticket", "list", "status:open,pending priority:>=high"),
            ("ticket", "list", "sla:breached"),
            ("ticket", "show", "1"), ("ticket", "show", "117"), ("ticket", "show", "196"),
            ("rules", "list"), ("macro", "list"), ("sla", "policies"),
            ("report", "summary"), ("report", "agents"),
        ]
        for question in questions:
            assert answers(helpdesk, target, *question) == answers(helpdesk, source, *question), question
        assert answers(helpdesk, target, "ticket", "list", "退款")["total"] > 0
        assert answers(helpdesk, target, "ticket", "list", "printer")["total"] > 0
        assert answers(helpdesk, target, "whoami")["agent"] == answers(helpdesk, source, "whoami")["agent"]

    with time_machine.travel(NOW + timedelta(hours=5), tick=False):  # clocks run out meanwhile
        worked = answers(helpdesk, target, "worker", "--once")
        assert worked == answers(helpdesk, source, "worker", "--once")
        assert worked["sla-sweep"]["breaches"] > 0
        for question in [("ticket", "list", "--limit", "500"), ("notifications",), ("report", "summary")]:
            assert answers(helpdesk, target, *question) == answers(helpdesk, source, *question), question

        code, out, _ = helpdesk(target, "ticket", "create", "-s", "新的打印机 after the move", "--quiet")
        assert code == 0 and int(out) == 201  # the ids go on from the copied ones
        assert [t["id"] for t in answers(helpdesk, target, "ticket", "list", "打印机 move")["tickets"]] == [201]


@needs_pg
def test_a_target_holding_rows_is_refused_with_exit_4_unless_forced(helpdesk, tmp_path, target):
    source = str(tmp_path / "desk.db")
    assert helpdesk(source, "agent", "add", "ada@example.com", "--name", "Ada")[0] == 0
    assert helpdesk(source, "migrate-db", "--to", target)[0] == 0

    code, out, err = helpdesk(source, "migrate-db", "--to", target)
    assert code == 4 and out == ""
    assert "not empty: agent (1)" in err and "--force" in err
    code, _, err = helpdesk(source, "migrate-db", "--to", target, "--json")
    assert code == 4 and json.loads(err)["error"] == "conflict"

    code, out, err = helpdesk(source, "migrate-db", "--to", target, "--force")
    assert code == 0 and "agent" in out and "emptied first (--force): agent" in err


def test_clear_errors_before_anything_is_copied(helpdesk, tmp_path):
    source = str(tmp_path / "desk.db")
    assert helpdesk(source, "init")[0] == 0
    code, _, err = helpdesk(source, "migrate-db", "--to", str(tmp_path / "copy.db"))
    assert code == 5 and "not a database URL" in err
    code, _, err = helpdesk(source, "migrate-db", "--to", "postgresql+psycopg://nobody@127.0.0.1:1/desk")
    assert code == 1 and "cannot connect to PostgreSQL at 127.0.0.1:1" in err and "Traceback" not in err
    code, _, err = helpdesk(source, "migrate-db", "--from", str(tmp_path / "nowhere.db"), "--to", "postgresql+psycopg://x@h/d")
    assert code == 3 and "no desk at" in err


@needs_pg
def test_backup_on_postgresql_is_a_pg_dump_that_restores(helpdesk, tmp_path, target):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump / pg_restore not on PATH")
    import subprocess

    from helpdesk.services.upkeep.backups import libpq_url

    assert helpdesk(target, "agent", "add", "ada@example.com", "--name", "Ada")[0] == 0
    assert helpdesk(target, "ticket", "create", "-s", "备份 backup", "--quiet", who="ada@example.com")[0] == 0
    dump = tmp_path / "desk.dump"
    code, out, err = helpdesk(target, "backup", str(dump), "--json")
    assert code == 0, err
    assert json.loads(out)["format"] == "custom" and dump.exists()
    code, _, err = helpdesk(target, "backup", str(dump))
    assert code == 4 and "already exists" in err

    with throwaway_database("helpdesk_restore") as restored:
        subprocess.run(["pg_restore", "--no-owner", "-d", libpq_url(restored)[0], str(dump)], check=True)
        assert [t["subject"] for t in answers(helpdesk, restored, "ticket", "list", "备份")["tickets"]] == ["备份 backup"]


@needs_pg
def test_backup_on_postgresql_without_pg_dump_names_the_package(helpdesk, tmp_path, target, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert helpdesk(target, "init")[0] == 0
    code, _, err = helpdesk(target, "backup", str(tmp_path / "desk.dump"))
    assert code == 1 and "pg_dump" in err and "postgresql-client" in err
    assert not (tmp_path / "desk.dump").exists()

"""Shared fixtures: an isolated desk per test, actors, and a CLI runner."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

from helpdesk.db import open_desk
from helpdesk.services.core.actors import ANONYMOUS, actor_of
from helpdesk.services.people import agents


@pytest.fixture(autouse=True)
def isolated_user(tmp_path, monkeypatch):
    """No test reads or writes the real user's config or database."""
    monkeypatch.setenv("HELPDESK_CONFIG", str(tmp_path / "user-config.toml"))
    monkeypatch.delenv("HELPDESK_AGENT", raising=False)
    monkeypatch.setenv("HELPDESK_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def pg_url() -> str | None:
    return os.environ.get("HELPDESK_TEST_PG")


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "desk.db")


BACKENDS = ["sqlite"] + (["postgresql"] if pg_url() else [])


@pytest.fixture(params=BACKENDS)
def db_url(request, db_path):
    """Service tests run on SQLite, and on PostgreSQL too when HELPDESK_TEST_PG names a server."""
    if request.param == "sqlite":
        yield db_path
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"helpdesk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_url()).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def desk(db_url):
    d = open_desk(db_url)
    yield d
    d.close()


@dataclass
class Crew:
    admin: object
    agent: object
    viewer: object


@pytest.fixture
def crew(desk) -> Crew:
    """An admin, an agent (team support) and a viewer."""

    def make(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        agents.add_team(s, admin, "support")
        agents.add_team(s, admin, "billing")
        agent = agents.add_agent(s, admin, "bob@example.com", "Bob Agent", "agent", "support")
        viewer = agents.add_agent(s, admin, "vic@example.com", "Vic Viewer", "viewer")
        return Crew(admin, actor_of(agent), actor_of(viewer))

    return desk.write(make)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(db_path, capsys):
    """cli("ticket", "list", "--json") -> Result, on this test's desk."""
    from helpdesk.cli import run

    def invoke(*args: str, who: str | None = None, stdin: str | None = None) -> Result:
        argv = ["--db", db_path] + (["--as", who] if who else []) + list(args)
        if stdin is not None:
            import io
            import sys

            old = sys.stdin
            sys.stdin = io.StringIO(stdin)
        try:
            capsys.readouterr()
            code = run(argv)
        finally:
            if stdin is not None:
                sys.stdin = old
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def staffed(cli):
    """A desk with an admin (ada), an agent (bob) and two teams, made through the CLI."""
    assert cli("agent", "add", "ada@example.com", "--name", "Ada Admin").code == 0
    assert cli("team", "add", "support", who="ada@example.com").code == 0
    assert cli("team", "add", "billing", who="ada@example.com").code == 0
    assert cli("agent", "add", "bob@example.com", "--name", "Bob", "--team", "support", who="ada@example.com").code == 0
    return cli

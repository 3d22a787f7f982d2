""""You" per desk: the user config remembers the acting agent per database URL,
`helpdesk whoami` says who and why, and errors name the source they tried."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest

from helpdesk.cli import run
from conftest import Result


@pytest.fixture
def hd(capsys):
    """hd("desk.db", "ticket", "list") -> Result, on the named desk."""

    def invoke(db: str, *args: str) -> Result:
        capsys.readouterr()
        code = run(["--db", db, *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def config() -> Path:
    return Path(os.environ["HELPDESK_CONFIG"])


def key(db: str) -> str:
    return f"sqlite:///{Path(db).resolve()}"


def whoami(hd, db: str) -> dict:
    r = hd(db, "whoami", "--json")
    assert r.code == 0, r.err
    return r.json()


def test_from_the_demo_to_a_real_desk_with_nothing_else(hd, tmp_path):
    demo, real = str(tmp_path / "demo.db"), str(tmp_path / "real.db")
    assert hd(demo, "init", "--demo").code == 0
    assert hd(real, "init").code == 0
    added = hd(real, "agent", "add", "me@corp.com", "--name", "Me")
    assert added.code == 0, added.err
    assert "you now act as me@corp.com on this desk" in added.err
    assert hd(real, "ticket", "list").code == 0
    created = hd(real, "ticket", "create", "-s", "First real ticket", "--quiet")
    assert created.code == 0, created.err
    assert hd(real, "ticket", "show", created.out.strip(), "--json").json()["subject"] == "First real ticket"
    assert whoami(hd, real)["agent"]["email"] == "me@corp.com"
    assert whoami(hd, demo)["agent"]["email"] == "mei@demo.helpdesk"  # the demo desk keeps its own "you"


def test_two_desks_remember_different_agents(hd, tmp_path, config):
    one, two = str(tmp_path / "one.db"), str(tmp_path / "two.db")
    assert hd(one, "agent", "add", "ada@example.com", "--name", "Ada").code == 0
    assert hd(two, "agent", "add", "bob@example.com", "--name", "Bob").code == 0
    desks = tomllib.loads(config.read_text())["desks"]
    assert desks == {key(one): {"agent": "ada@example.com"}, key(two): {"agent": "bob@example.com"}}
    assert whoami(hd, one)["agent"]["email"] == "ada@example.com"
    assert whoami(hd, two)["agent"]["email"] == "bob@example.com"


def test_a_remembered_agent_missing_from_the_desk_is_ignored_for_reads_with_a_hint(hd, tmp_path, config):
    db = str(tmp_path / "desk.db")
    assert hd(db, "agent", "add", "ada@example.com", "--name", "Ada").code == 0
    config.write_text(f'[desks."{key(db)}"]\nagent = "ghost@example.com"\n')
    listed = hd(db, "ticket", "list", "--json")
    assert listed.code == 0 and listed.json()["total"] == 0
    hint = listed.err.strip()
    assert len(hint.splitlines()) == 1 and str(config) in hint and "ghost@example.com" in hint
    refused = hd(db, "ticket", "create", "-s", "x")
    assert refused.code == 6
    assert f"{config} remembers 'ghost@example.com', who is not on this desk" in refused.err


def test_a_stale_remembered_agent_never_blocks_the_first_agent_of_an_empty_desk(hd, tmp_path, config):
    db = str(tmp_path / "new.db")
    config.write_text(f'theme = "nord"\n\n[desks."{key(db)}"]\nagent = "gone@example.com"\n\n[keys]\n"table.down" = "j"\n')
    added = hd(db, "agent", "add", "me@corp.com", "--name", "Me")
    assert added.code == 0, added.err
    saved = tomllib.loads(config.read_text())
    assert saved["desks"][key(db)] == {"agent": "me@corp.com"}
    assert saved["theme"] == "nord" and saved["keys"] == {"table.down": "j"}  # the rest of the file is kept
    assert whoami(hd, db)["agent"]["email"] == "me@corp.com"


def test_an_old_global_agent_counts_only_on_a_desk_that_has_it(hd, tmp_path, config):
    home, other = str(tmp_path / "home.db"), str(tmp_path / "other.db")
    assert hd(home, "agent", "add", "ada@example.com", "--name", "Ada").code == 0
    assert hd(other, "agent", "add", "bob@example.com", "--name", "Bob").code == 0
    config.write_text('agent = "ada@example.com"\n')  # as older releases wrote it
    at_home = whoami(hd, home)
    assert (at_home["agent"]["email"], at_home["source"], at_home["scope"]) == ("ada@example.com", "config", "global")
    elsewhere = whoami(hd, other)
    assert elsewhere["agent"] is None and elsewhere["ignored"] == "ada@example.com"
    assert hd(other, "agent", "list").code == 0


@pytest.mark.parametrize(("how", "source"), [("as", "--as"), ("env", "HELPDESK_AGENT")])
def test_an_unknown_agent_names_the_source_it_came_from(hd, tmp_path, monkeypatch, how, source):
    db = str(tmp_path / "desk.db")
    assert hd(db, "agent", "add", "ada@example.com", "--name", "Ada").code == 0
    if how == "env":
        monkeypatch.setenv("HELPDESK_AGENT", "zed@example.com")
        r = hd(db, "ticket", "create", "-s", "x")
    else:
        r = hd(db, "--as", "zed@example.com", "ticket", "create", "-s", "x")
    assert r.code == 3
    assert f"no agent 'zed@example.com' (acting agent from {source})" in r.err


def test_a_write_with_nobody_set_names_every_source_it_tried(hd, tmp_path, config):
    db = str(tmp_path / "desk.db")
    assert hd(db, "agent", "add", "ada@example.com", "--name", "Ada").code == 0
    config.unlink()
    r = hd(db, "ticket", "create", "-s", "x", "--json")
    assert r.code == 6
    message = json.loads(r.err)["message"]
    assert f"tried --as, HELPDESK_AGENT and {config}" in message


def test_whoami_says_who_and_from_which_source(hd, tmp_path, monkeypatch, config):
    db = str(tmp_path / "desk.db")
    assert hd(db, "agent", "add", "ada@example.com", "--name", "Ada Admin").code == 0
    assert hd(db, "--as", "ada@example.com", "agent", "add", "bob@example.com", "--name", "Bob").code == 0
    remembered = hd(db, "whoami")
    assert "you act as ada@example.com (Ada Admin, admin)" in remembered.out
    assert f"from {config} (remembered for this desk)" in remembered.out
    assert "from --as" in hd(db, "--as", "Bob", "whoami").out
    assert whoami(hd, db)["source"] == "config"
    monkeypatch.setenv("HELPDESK_AGENT", "bob@example.com")
    by_env = whoami(hd, db)
    assert (by_env["agent"]["email"], by_env["source"]) == ("bob@example.com", "HELPDESK_AGENT")
    assert hd(db, "--as", "ada@example.com", "whoami", "--json").json()["source"] == "--as"  # --as beats the variable


def test_whoami_with_nobody_set_says_how_to_set_someone(hd, tmp_path):
    db = str(tmp_path / "fresh.db")
    r = hd(db, "whoami")
    assert r.code == 0
    assert f"nobody: no agent is set for {key(db)}" in r.out
    for way in ("--as EMAIL", "HELPDESK_AGENT", "helpdesk agent add", f'[desks."{key(db)}"]'):
        assert way in r.out
    assert whoami(hd, db)["agent"] is None and whoami(hd, db)["source"] is None


def test_a_desk_is_remembered_without_its_password(config):
    from helpdesk.userconfig import remember_agent, remembered_agent

    url = "postgresql://helpdesk:s3cret@db.example.com/desk"
    assert remember_agent(url, "ada@example.com")
    assert "s3cret" not in config.read_text()
    assert remembered_agent(url) == ("ada@example.com", "desk")
    assert remembered_agent("postgresql://helpdesk:other@db.example.com/desk") == ("ada@example.com", "desk")
    assert not remember_agent(url, "bob@example.com")  # a later admin does not replace you
    assert remember_agent(url, "bob@example.com", replace=True)
    assert remembered_agent(url) == ("bob@example.com", "desk")

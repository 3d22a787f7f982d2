"""The CLI builds only the command it runs; help, errors and suggestions stay whole."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpdesk.cli import GROUPS, build_app, command_named, run


@pytest.mark.parametrize(("argv", "expected"), [
    (["ticket", "create", "-s", "x"], ("ticket", "create")),
    (["--db", "d.db", "--as", "ada@example.com", "ticket", "list"], ("ticket", "list")),
    (["--db=d.db", "--as=ada", "sla", "policies", "--json"], ("sla", "policies")),
    (["ticket", "--help"], ("ticket",)),
    (["ticket"], ("ticket",)),
    (["init"], ("init",)),
    (["--db", "d.db", "tui"], ("tui",)),
    ([], ()),
    (["--help"], ()),
    (["-h", "ticket"], ()),
    (["--show-completion"], ()),
    (["tickt", "list"], ()),
    (["--", "ticket", "list"], ()),
    (["--db"], ()),
])
def test_command_named(argv, expected):
    assert command_named(argv) == expected


def test_root_help_lists_every_command(capsys):
    assert run(["--help"]) == 0
    listed = capsys.readouterr().out
    for name in ["tui", "init", "backup", "import", "export", "worker", "whoami", *GROUPS]:
        assert f"\n  {name} " in listed


def test_a_narrowed_group_leaves_the_full_one_untouched(capsys):
    run(["ticket", "create", "--help"])
    run(["ticket", "--help"])
    listed = capsys.readouterr().out
    assert "  bulk " in listed and "  reopen " in listed


def test_a_command_helps_the_same_narrowed_or_whole():
    from typer.main import get_command

    whole = get_command(build_app()).commands["ticket"].commands["create"]
    narrow = get_command(build_app(("ticket", "create"))).commands["ticket"].commands["create"]
    assert [p.name for p in narrow.params] == [p.name for p in whole.params]
    assert narrow.help == whole.help


def test_a_misspelt_command_still_gets_a_suggestion(capsys):
    assert run(["tickt", "list"]) == 2
    assert "Did you mean 'ticket'?" in capsys.readouterr().err


def test_ticket_create_imports_only_its_command_module(tmp_path):
    db = tmp_path / "d.db"
    env = {**os.environ, "HELPDESK_DB": str(db)}
    subprocess.run([sys.executable, "-m", "helpdesk", "agent", "add", "ada@example.com", "--name", "Ada"],
                   env=env, check=True, capture_output=True, timeout=120)
    code = ("import sys; from helpdesk.cli import run; "
            "rc = run(['ticket', 'create', '-s', 'x', '--quiet']); "
            "print(rc, sorted(m for m in sys.modules if m.startswith('helpdesk.commands.')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert r.stdout.strip().splitlines()[-1] == "0 ['helpdesk.commands.common', 'helpdesk.commands.tickets']", r.stderr


def test_the_installed_command_exits_with_the_command_code(tmp_path):
    env = {**os.environ, "HELPDESK_DB": str(tmp_path / "d.db")}
    done = subprocess.run([sys.executable, "-m", "helpdesk", "ticket", "show", "42", "--json"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 3 and '"not_found"' in done.stderr

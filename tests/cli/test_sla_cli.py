"""`helpdesk sla load|policies|status|notifications`, `worker --once`, and `sla` in ticket JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine
from sla_support import SLA_TOML, H, utc

from helpdesk.cli import run

ADMIN = "admin@example.com"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HELPDESK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("HELPDESK_AGENT", raising=False)
    db = str(tmp_path / "t.db")

    def call(*argv: str, at=utc(2026, 1, 5, 10), who: str | None = ADMIN):
        capsys.readouterr()
        with time_machine.travel(at, tick=False):
            code = run(["--db", db, *(["--as", who] if who else []), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert call("init", who=None)[0] == 0
    assert call("agent", "add", ADMIN, "--name", "Admin", who=None)[0] == 0
    assert call("team", "add", "support")[0] == 0
    assert call("agent", "add", "tom@example.com", "--name", "Tom", "--team", "support")[0] == 0
    return call


def write_toml(tmp_path, text: str):
    path = tmp_path / "sla.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_init_loads_the_shipped_default_policies(cli):
    code, out, _ = cli("sla", "policies", "--json")
    data = json.loads(out)
    assert code == 0
    assert [p["name"] for p in data["policies"]] == ["VIP urgent", "Urgent", "High", "Default"]
    assert data["policies"][2]["targets_seconds"]["resolution"] == 27 * H
    assert {c["name"] for c in data["calendars"]} == {"office", "always"}
    code, out, _ = cli("sla", "policies")
    assert code == 0 and "27h" in out and "(every ticket)" in out


def test_load_replaces_policies_and_records_an_event(cli, tmp_path):
    code, out, _ = cli("sla", "load", write_toml(tmp_path, SLA_TOML), "--json")
    assert code == 0
    assert json.loads(out) == {"loaded": str(tmp_path / "sla.toml"), "policies": 4, "calendars": 3, "recomputed": 0}
    names = [p["name"] for p in json.loads(cli("sla", "policies", "--json")[1])["policies"]]
    assert names == ["VIP", "Urgent", "Berlin", "Office"]


def test_a_bad_file_is_refused_whole_naming_the_line(cli, tmp_path):
    bad = SLA_TOML.replace('resolution = "4h"', 'resolution = "4 hours"')
    code, _, err = cli("sla", "load", write_toml(tmp_path, bad))
    line = bad.splitlines().index('resolution = "4 hours"') + 1
    assert code == 5
    assert 'policies[2] "Urgent": resolution: bad duration \'4 hours\'' in err and f"(at line {line})" in err
    names = [p["name"] for p in json.loads(cli("sla", "policies", "--json")[1])["policies"]]
    assert names == ["VIP urgent", "Urgent", "High", "Default"]  # the old ones stay


def test_a_match_that_is_not_a_query_is_refused_naming_the_line(cli, tmp_path):
    bad = SLA_TOML.replace('match = "tag:berlin"', 'match = "team:berlin"')
    code, _, err = cli("sla", "load", write_toml(tmp_path, bad), "--json")
    line = bad.splitlines().index('match = "team:berlin"') + 1
    assert code == 5
    error = json.loads(err)
    assert error["field"] == 'policies[3] "Berlin": match'
    assert "no team 'berlin'" in error["message"] and f"(at line {line})" in error["message"]


def test_only_admins_load_policies(cli, tmp_path):
    code, _, err = cli("sla", "load", write_toml(tmp_path, SLA_TOML), who="tom@example.com")
    assert code == 6 and "only admins" in err
    assert cli("sla", "load", str(tmp_path / "missing.toml"))[0] == 3


def test_status_lists_clocks_soonest_first(cli, tmp_path):
    cli("sla", "load", write_toml(tmp_path, SLA_TOML))
    cli("ticket", "create", "-s", "Slow", "--quiet")  # Office: Monday 18:00 in Shanghai -> due Tuesday
    cli("ticket", "create", "-s", "Down", "-p", "urgent", "--quiet")
    code, out, _ = cli("sla", "status", "--json", at=utc(2026, 1, 5, 10, 20))
    data = json.loads(out)
    assert code == 0 and [t["id"] for t in data["tickets"]] == [2, 1]
    first = data["tickets"][0]["sla"]["first_response"]
    assert (first["state"], first["remaining_seconds"], first["due_at"]) == (
        "running", 40 * 60, "2026-01-05T11:00:00+00:00")
    code, out, _ = cli("sla", "status", "sla:due<1h", "--csv", at=utc(2026, 1, 5, 10, 20))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["policy"], r["first_response"]) for r in rows] == [("2", "Urgent", "running:2400")]
    code, out, _ = cli("sla", "status", at=utc(2026, 1, 5, 10, 20))
    assert code == 0 and "running 40m" in out and "2 of 2 tickets" in out


def test_bad_status_query_is_invalid(cli):
    code, _, err = cli("sla", "status", "sla:late")
    assert code == 5 and "unknown SLA condition 'late'" in err


def test_ticket_show_json_carries_the_clocks(cli, tmp_path):
    cli("sla", "load", write_toml(tmp_path, SLA_TOML))
    cli("ticket", "create", "-s", "Down", "-p", "urgent", "--quiet")
    cli("ticket", "reply", "1", "--body", "Looking", at=utc(2026, 1, 5, 10, 10))
    cli("ticket", "update", "1", "--status", "pending", at=utc(2026, 1, 5, 10, 30))
    data = json.loads(cli("ticket", "show", "1", "--json", at=utc(2026, 1, 5, 12))[1])
    sla = data["sla"]
    assert sla["policy"] == "Urgent" and sla["next_response"] is None
    assert sla["first_response"]["state"] == "met" and sla["first_response"]["remaining_seconds"] == 50 * 60
    assert sla["resolution"] == {"target_seconds": 4 * H, "due_at": None, "state": "paused",
                                 "remaining_seconds": 4 * H - 30 * 60, "met_at": None, "breached_at": None}


def test_worker_once_fires_due_breaches_and_notifications_list_them(cli, tmp_path):
    cli("sla", "load", write_toml(tmp_path, SLA_TOML))
    cli("ticket", "create", "-s", "Down", "-p", "urgent", "--assignee", "tom@example.com", "--quiet")
    code, out, _ = cli("worker", "--once", "--json", at=utc(2026, 1, 5, 11))
    assert code == 0 and json.loads(out)["sla-sweep"] == {"tickets": 1, "warnings": 0, "breaches": 1}
    assert json.loads(cli("worker", "--once", "--json", at=utc(2026, 1, 5, 11, 1))[1])["sla-sweep"]["breaches"] == 0
    listed = json.loads(cli("ticket", "list", "sla:breached", "--json", at=utc(2026, 1, 5, 11, 1))[1])
    assert [t["id"] for t in listed["tickets"]] == [1] and listed["tickets"][0]["tags"] == ["late"]
    events = json.loads(cli("ticket", "show", "1", "--json", at=utc(2026, 1, 5, 11, 1))[1])["events"]
    assert [e["field"] for e in events if e["field"].startswith("sla")] == ["sla.breached"]
    # the Urgent policy notifies nobody; its on_breach only tags
    notes = json.loads(cli("sla", "notifications", "--json", who="tom@example.com")[1])
    assert notes == {"notifications": [], "count": 0}


def test_notifications_mark_read(cli, tmp_path):
    cli("sla", "load", write_toml(tmp_path, SLA_TOML))
    cli("contact", "add", "vip@acme.example", "--name", "Vera", "--org", "Acme", "--tier", "vip")
    cli("ticket", "create", "-s", "Down", "-r", "vip@acme.example", "--assignee", "tom@example.com",
        "--team", "support", "--quiet")
    cli("worker", "--once", at=utc(2026, 1, 5, 10, 15))
    notes = json.loads(cli("sla", "notifications", "--json", "--mark-read", who="tom@example.com")[1])
    assert [n["kind"] for n in notes["notifications"]] == ["sla.warning"]
    assert json.loads(cli("sla", "notifications", "--json", who="tom@example.com")[1])["count"] == 0
    assert json.loads(cli("sla", "notifications", "--all", "--json", who="tom@example.com")[1])["count"] == 1
    assert json.loads(cli("sla", "notifications", "--json")[1])["count"] == 0  # the admin is not on the team


def test_a_real_worker_process_stops_cleanly_on_sigterm(cli, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "HELPDESK_CONFIG": str(tmp_path / "config.toml"), "HELPDESK_AGENT": ADMIN}
    worker = subprocess.Popen([sys.executable, "-m", "helpdesk", "--db", str(tmp_path / "t.db"), "worker"],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        said = ""
        while "stop with ctrl-c" not in said:  # one line however many jobs (render.say never hard-wraps)
            line = worker.stderr.readline()
            assert line, f"the worker ended early: {said}"
            said += line
        assert "worker running: sla-sweep every 30s" in said
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
        assert "worker stopped" in worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()


def test_overdue_ticket_counts_as_breached_before_the_sweep_runs(cli, tmp_path):
    cli("sla", "load", write_toml(tmp_path, SLA_TOML))
    cli("ticket", "create", "-s", "Down", "-p", "urgent", "--quiet")
    assert json.loads(cli("ticket", "list", "sla:breached", "--json", at=utc(2026, 1, 5, 10, 1))[1])["total"] == 0
    late = json.loads(cli("ticket", "list", "sla:breached", "--json", at=utc(2026, 1, 5, 11, 1))[1])
    assert [t["id"] for t in late["tickets"]] == [1]
    assert json.loads(cli("ticket", "list", "sla:running", "--json", at=utc(2026, 1, 5, 11, 1))[1])["total"] == 0

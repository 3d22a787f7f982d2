"""`helpdesk agent|team update`, `route`, `rules load|list|test|run`, `macro load|list`, `ticket macro`."""

from __future__ import annotations

from pathlib import Path

import pytest

ADA, BOB = "ada@example.com", "bob@example.com"
DATA = Path(__file__).resolve().parents[2] / "data"


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def routed(staffed):
    """billing routes round robin over ada and bob (capacity 1 each)."""
    cli = staffed
    assert cli("agent", "update", BOB, "--team", "billing", "--capacity", "1", who=ADA).code == 0
    assert cli("agent", "update", ADA, "--team", "billing", "--capacity", "1", who=ADA).code == 0
    assert cli("team", "update", "billing", "--routing", "round_robin", who=ADA).code == 0
    return cli


def create(cli, subject: str, *extra: str) -> dict:
    result = cli("ticket", "create", "--subject", subject, "--team", "billing", *extra, "--json", who=ADA)
    assert result.code == 0, result.err
    return result.json()


def test_agent_and_team_update_show_in_their_lists(routed):
    agents = {a["email"]: a for a in routed("agent", "list", "--json").json()}
    assert agents[BOB]["capacity"] == 1 and agents[BOB]["team"] == "billing" and agents[BOB]["away"] is False
    teams = {t["name"]: t for t in routed("team", "list", "--json").json()}
    assert teams["billing"]["routing"] == "round_robin" and teams["support"]["routing"] == "manual"
    assert "0/1" in routed("agent", "list").out


def test_new_tickets_route_and_the_rest_wait_until_route_serves_them(routed):
    first, second, third = (create(routed, f"refund {i}") for i in range(3))
    assert {first["assignee"], second["assignee"]} == {ADA, BOB}
    assert third["assignee"] is None
    dry = routed("route", "--dry-run", "--json", who=ADA).json()
    assert dry == {"assignments": [], "dry_run": True}  # nobody has room
    assert routed("agent", "update", BOB, "--capacity", "2", who=ADA).code == 0  # a freed slot serves at once
    shown = routed("ticket", "show", str(third["id"]), "--json").json()
    assert shown["assignee"] == BOB


def test_away_takes_no_new_work_and_keeps_what_it_holds(routed):
    assert routed("agent", "update", BOB, "--away", who=BOB).code == 0  # anyone may go away
    held = create(routed, "one")
    assert held["assignee"] == ADA
    waiting = create(routed, "two")
    assert waiting["assignee"] is None
    listed = routed("agent", "list").out
    assert "away" in listed
    back = routed("agent", "update", BOB, "--available", "--json", who=BOB)
    assert back.json()["changed"]["away"] == {"old": True, "new": False}
    assert routed("ticket", "show", str(waiting["id"]), "--json").json()["assignee"] == BOB


def test_agent_update_errors(routed):
    both = routed("agent", "update", BOB, "--away", "--available", who=ADA)
    assert both.code == 5 and "--away" in both.err
    bad = routed("agent", "update", BOB, "--capacity", "lots", who=ADA)
    assert bad.code == 5 and "'lots'" in bad.err
    assert routed("agent", "update", ADA, "--capacity", "9", who=BOB).code == 6  # not an admin
    assert routed("team", "update", "billing", "--routing", "random", who=ADA).code == 5
    assert routed("agent", "update", "nobody@example.com", "--away", who=ADA).code == 3


def test_rules_load_refuses_a_bad_file_whole_and_keeps_the_old_rules(staffed, tmp_path):
    good = write(tmp_path, "good.toml", '[[triggers]]\nname = "tag new"\non = ["created"]\nactions = { add_tags = ["new"] }\n')
    assert staffed("rules", "load", good, who=ADA).code == 0
    bad = write(tmp_path, "bad.toml", '[[triggers]]\nname = "x"\non = ["created"]\nactions = { add_tags = ["x"] }\n\n[[triggers]]\nname = "y"\n'
                                      'on = ["created"]\nwhen = "colour:red"\nactions = { add_tags = ["a"] }\n')
    result = staffed("rules", "load", bad, who=ADA)
    assert result.code == 5
    assert "line 9" in result.err and "colour" in result.err and "'y'" in result.err
    assert [r["name"] for r in staffed("rules", "list", "--json").json()] == ["tag new"]
    missing = staffed("rules", "load", str(tmp_path / "nope.toml"), who=ADA)
    assert missing.code == 5 and "no such file" in missing.err
    assert staffed("rules", "load", good, who=BOB).code == 6  # admins only


def test_the_shipped_examples_load_and_the_vip_trigger_fires(staffed):
    assert staffed("team", "add", "vip", who=ADA).code == 0
    assert staffed("sla", "load", str(DATA / "sla.toml"), who=ADA).code == 0  # the office calendar
    assert staffed("macro", "load", str(DATA / "macros.example.toml"), who=ADA).code == 0
    loaded = staffed("rules", "load", str(DATA / "rules.example.toml"), "--json", who=ADA)
    assert loaded.code == 0, loaded.err
    loaded = loaded.json()
    assert loaded["triggers"] >= 3 and loaded["automations"] >= 2
    assert staffed("contact", "add", "li@big.cn", "--name", "李雷", "--org", "Big", "--tier", "vip", who=ADA).code == 0
    ticket = staffed("ticket", "create", "--subject", "打印机坏了", "--requester", "li@big.cn", "--json", who=BOB).json()
    assert ticket["priority"] == "high" and ticket["team"] == "vip" and "vip" in ticket["tags"]
    events = staffed("ticket", "show", str(ticket["id"]), "--json").json()["events"]
    fired = [e for e in events if e["field"] == "rule"]
    assert [e["new"] for e in fired] == ["trigger VIP 优先 / VIP first"]
    assert {e["actor"] for e in events if e["field"] in ("priority", "team")} == {"rule:VIP 优先 / VIP first"}


def test_rules_test_says_what_would_change_and_writes_nothing(staffed, tmp_path):
    path = write(tmp_path, "r.toml", '[[triggers]]\nname = "urgent printers"\non = ["updated"]\n'
                                     'when = "printer"\nactions = { priority = "urgent" }\n')
    assert staffed("rules", "load", path, who=ADA).code == 0
    tid = str(staffed("ticket", "create", "--subject", "printer jam", "--json", who=BOB).json()["id"])
    out = staffed("rules", "test", "urgent printers", "--ticket", tid, who=BOB)
    assert out.code == 0 and "priority: normal -> urgent" in out.out
    assert staffed("ticket", "show", tid, "--json").json()["priority"] == "normal"
    assert staffed("rules", "test", "no such rule", "--ticket", tid, who=BOB).code == 3


def test_ticket_macro_preview_then_apply(staffed, tmp_path):
    path = write(tmp_path, "m.toml", '[[macros]]\nname = "ask"\nreply = "Hello {{requester.first_name}}, #{{ticket.id}}?"\n'
                                     'set = { status = "pending" }\n')
    assert staffed("macro", "load", path, who=ADA).code == 0
    assert staffed("contact", "add", "wu@example.cn", "--name", "Wu Hao", who=ADA).code == 0
    ticket = staffed("ticket", "create", "--subject", "s", "--requester", "wu@example.cn", "--json", who=BOB).json()
    tid = str(ticket["id"])
    preview = staffed("ticket", "macro", tid, "ask", "--preview", who=BOB)
    assert preview.code == 0 and f"Hello Wu, #{tid}?" in preview.out and "status: new -> pending" in preview.out
    assert staffed("ticket", "show", tid, "--json").json()["status"] == "new"
    stale = staffed("ticket", "macro", tid, "ask", "--if-version", str(ticket["version"] + 5), who=BOB)
    assert stale.code == 4
    done = staffed("ticket", "macro", tid, "ask", "--json", who=BOB).json()
    assert done["status"] == "pending" and done["version"] > ticket["version"]
    assert staffed("ticket", "macro", tid, "nope", who=BOB).code == 3


def test_macro_load_refuses_an_unknown_placeholder(staffed, tmp_path):
    path = write(tmp_path, "m.toml", '[[macros]]\nname = "x"\nnote = "hi {{ticket.colour}}"\n')
    result = staffed("macro", "load", path, who=ADA)
    assert result.code == 5 and "ticket.colour" in result.err and "line" in result.err
    assert staffed("macro", "list", "--json").json() == []


def test_update_json_shows_what_triggers_and_routing_did_and_its_version_chains(routed, tmp_path):
    path = write(tmp_path, "r.toml", '[[triggers]]\nname = "urgent to billing"\non = ["updated"]\n'
                                     'changed = { priority = "urgent" }\nactions = { team = "billing" }\n')
    assert routed("rules", "load", path, who=ADA).code == 0
    tid = str(routed("ticket", "create", "--subject", "x", "--json", who=ADA).json()["id"])
    out = routed("ticket", "update", tid, "--priority", "urgent", "--json", who=ADA).json()
    assert out["team"] == "billing" and out["assignee"] in (ADA, BOB)  # the trigger, then routing
    assert out["changed"]["priority"] == {"old": "normal", "new": "urgent"}
    chained = routed("ticket", "update", tid, "--status", "pending", "--if-version", str(out["version"]), who=ADA)
    assert chained.code == 0, chained.err


def test_a_required_skill_waits_for_an_agent_who_holds_it(routed, tmp_path):
    assert routed("agent", "update", ADA, "--skill", "Printers", who=ADA).code == 0
    first = create(routed, "jam", "--skill", "printers")
    assert first["assignee"] == ADA  # bob does not hold it, even though his turn comes first
    assert [t["id"] for t in routed("ticket", "list", "skill:printers", "--json").json()["tickets"]] == [first["id"]]
    waiting = create(routed, "another jam", "--skill", "printers")
    assert waiting["assignee"] is None  # ada is full; bob has room but not the skill
    out = routed("ticket", "update", str(waiting["id"]), "--remove-skill", "printers", "--json", who=ADA).json()
    assert out["changed"]["skills"] == {"old": ["printers"], "new": []} and out["assignee"] == BOB
    lines = write(tmp_path, "t.jsonl", '{"subject": "from a script", "team": "billing", "skills": ["vip"]}\n')
    assert routed("ticket", "create", "--from", lines, who=ADA).code == 0
    assert [t["subject"] for t in routed("ticket", "list", "skill:vip", "--json").json()["tickets"]] == ["from a script"]
    bad = write(tmp_path, "bad.jsonl", '{"subject": "x", "skills": "vip"}\n')
    refused = routed("ticket", "create", "--from", bad, who=ADA)
    assert refused.code == 5 and "skills must be a list" in refused.err

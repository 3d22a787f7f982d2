"""`helpdesk init --demo`: a believable desk, loaded once."""

from __future__ import annotations

from helpdesk.models import STATUSES


def test_demo_desk_is_believable_and_loaded_once(cli):
    first = cli("init", "--demo", "--json")
    assert first.code == 0, first.err
    assert first.json()["acting_as"] == "mei@demo.helpdesk"
    assert len(cli("agent", "list", "--json").json()) == 3
    assert len(cli("team", "list", "--json").json()) == 2
    assert cli("contact", "list", "--json").json()["total"] == 40
    listed = cli("ticket", "list", "--json", "--limit", "500").json()
    assert listed["total"] == 200
    tickets = listed["tickets"]
    assert {t["status"] for t in tickets} == set(STATUSES)
    assert any("\u4e00" <= t["subject"][0] <= "\u9fff" for t in tickets)
    assert any(t["subject"].isascii() for t in tickets)
    assert cli("ticket", "list", "org.tier:vip", "--json").json()["total"] > 0
    assert cli("ticket", "list", "assignee:me", "--json").json()["total"] > 0  # "me" is the demo admin
    shown = cli("ticket", "show", str(tickets[0]["id"]), "--json").json()
    assert shown["messages"]
    again = cli("init", "--demo", "--json")
    assert again.code == 0 and again.json()["demo"].startswith("skipped")
    assert cli("ticket", "list", "--json").json()["total"] == 200


def test_the_demo_never_joins_a_desk_that_has_agents(staffed):
    """A viewer (or anyone) running `init --demo` on a real desk gets no demo admin to act as."""
    assert staffed("agent", "add", "vic@example.com", "--name", "Vic", "--role", "viewer", who="ada@example.com").code == 0
    tried = staffed("init", "--demo", "--json", who="vic@example.com")
    assert tried.code == 0 and tried.json()["demo"].startswith("skipped: the desk already has agents")
    assert tried.json()["acting_as"] is None
    assert [a["email"] for a in staffed("agent", "list", "--json").json()] == ["ada@example.com", "bob@example.com",
                                                                               "vic@example.com"]
    assert staffed("ticket", "list", "--json").json()["total"] == 0
    assert staffed("whoami", "--json", who="vic@example.com").json()["agent"]["role"] == "viewer"

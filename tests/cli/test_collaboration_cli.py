"""`ticket note` with @mentions, `ticket follow|unfollow|transfer`, `helpdesk notifications`."""

from __future__ import annotations

ADA, BOB = "ada@example.com", "bob@example.com"


def new_ticket(cli) -> str:
    r = cli("ticket", "create", "-s", "Printer jams", "-r", "alice@example.com", "--quiet", who=ADA)
    assert r.code == 0, r.err
    return r.out.strip()


def test_a_mention_notifies_bob_and_an_unknown_name_warns_on_stderr(staffed):
    n = new_ticket(staffed)
    r = staffed("ticket", "note", n, "--body", "@bob 请看一下, @nobody too", who=ADA)
    assert r.code == 0 and "@nobody matches no agent" in r.err and "the note was saved" in r.err
    listed = staffed("notifications", "--unread", "--json", who=BOB).json()
    assert listed["unread"] == 1 and [x["kind"] for x in listed["notifications"]] == ["mention"]
    assert "请看一下" in listed["notifications"][0]["text"]
    mine = staffed("ticket", "list", "follower:me", "--json", who=BOB).json()
    assert [t["id"] for t in mine["tickets"]] == [int(n)]


def test_follow_unfollow_and_the_follower_notifications(staffed):
    n = new_ticket(staffed)
    r = staffed("ticket", "follow", n, "--json", who=BOB)
    assert r.code == 0 and r.json() == {"ticket": int(n), "agent": BOB, "following": True, "changed": True,
                                        "followers": [BOB]}
    assert staffed("ticket", "update", n, "--priority", "high", "--add-tag", "x", who=ADA).code == 0
    text = staffed("notifications", who=BOB)
    assert text.code == 0 and "follower" in text.out and "1 unread" in text.out
    assert staffed("ticket", "unfollow", n, "--agent", BOB, who=ADA).code == 0
    assert staffed("ticket", "update", n, "--priority", "low", who=ADA).code == 0
    assert staffed("notifications", "--json", who=BOB).json()["count"] == 1
    assert staffed("ticket", "follow", n, "--agent", "nobody@example.com", who=ADA).code == 3


def test_transfer_needs_a_reason_and_prints_the_ticket_with_changed(staffed):
    n = new_ticket(staffed)
    missing = staffed("ticket", "transfer", n, "--team", "billing", who=ADA)
    assert missing.code == 2 and "--reason" in missing.err
    empty = staffed("ticket", "transfer", n, "--team", "billing", "--reason", " ", who=ADA)
    assert empty.code == 5 and "needs a reason" in empty.err
    assert staffed("ticket", "transfer", n, "--reason", "x", who=ADA).code == 2
    r = staffed("ticket", "transfer", n, "--assignee", "bob", "--reason", "he knows printers", "--json", who=ADA)
    assert r.code == 0, r.err
    data = r.json()
    assert data["assignee"] == BOB and data["changed"] == {"assignee": {"old": None, "new": BOB}}
    version = data["version"]
    stale = staffed("ticket", "transfer", n, "--team", "billing", "--reason", "r", "--if-version", str(version - 1), who=ADA)
    assert stale.code == 4
    shown = staffed("ticket", "show", n, "--json").json()
    assert {"field": "assignee", "reason": "he knows printers"}.items() <= shown["events"][-1].items()
    told = staffed("notifications", "--json", who=BOB).json()["notifications"]
    assert told[0]["kind"] == "transfer" and "he knows printers" in told[0]["text"]


def test_notifications_read_all_and_sla_notifications_still_work(staffed):
    n = new_ticket(staffed)
    staffed("ticket", "note", n, "--body", "@bob one", who=ADA)
    staffed("ticket", "note", n, "--body", "@bob two", who=ADA)
    r = staffed("notifications", "--read-all", "--json", who=BOB).json()
    assert (r["count"], r["marked_read"], r["unread"]) == (2, 2, 0)  # a mention is news enough: no follower notice too
    assert staffed("notifications", "--unread", "--json", who=BOB).json()["notifications"] == []
    assert staffed("notifications", "--json", who=BOB).json()["count"] == 2  # read ones are still listed
    assert staffed("sla", "notifications", "--all", "--json", who=BOB).json()["count"] == 2

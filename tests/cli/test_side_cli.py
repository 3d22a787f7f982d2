"""`ticket side` and `ticket sides`: starting, writing, closing, listing; exit codes; and a
third party's reply through `mail ingest` landing in the side conversation."""

from __future__ import annotations

import json

ADA, BOB = "ada@example.com", "bob@example.com"
DESK, WAREHOUSE = "support@acme.test", "warehouse@example.com"


def desk_with_ticket(cli) -> str:
    assert cli("config", "set", "mail.from", DESK, who=ADA).code == 0
    r = cli("ticket", "create", "-s", "退货 SO-1234", "-r", "alice@example.com", "--quiet", who=ADA)
    assert r.code == 0, r.err
    return r.out.strip()


def test_start_write_close_and_list(staffed):
    n = desk_with_ticket(staffed)
    r = staffed("ticket", "side", n, "--to", WAREHOUSE, "--subject", "拦截包裹", "--body", "请拦截 [b]SO-1234[/b]",
                "--json", who=BOB)
    assert r.code == 0, r.err
    side = r.json()
    assert (side["subject"], side["to"], side["state"]) == ("拦截包裹", [WAREHOUSE], "open")
    assert [(m["direction"], m["author"], m["body"]) for m in side["messages"]] == [
        ("out", BOB, "请拦截 [b]SO-1234[/b]")]
    r = staffed("ticket", "side", n, "--side", str(side["id"]), "--body", "-", stdin="还有一件\n", who=BOB)
    assert r.code == 0 and f"side conversation #{side['id']}" in r.err
    r = staffed("ticket", "side", n, "--side", str(side["id"]), "--close", who=BOB)
    assert r.code == 0 and "closed" in r.err
    listed = staffed("ticket", "sides", n, "--json", who=BOB).json()
    assert listed["count"] == 1 and listed["side_conversations"][0]["state"] == "closed"
    assert [m["body"] for m in listed["side_conversations"][0]["messages"]] == ["请拦截 [b]SO-1234[/b]", "还有一件"]
    shown = staffed("ticket", "show", n, "--json", who=BOB).json()
    assert shown["side_conversations"] == listed["side_conversations"]
    assert shown["status"] == "new" and shown["first_response_at"] is None  # the ticket did not move
    text = staffed("ticket", "sides", n, who=BOB)
    assert text.code == 0 and "[b]SO-1234[/b]" in text.out and WAREHOUSE in text.out
    outbox = staffed("mail", "outbox", "--json", who=ADA)
    assert outbox.code == 0 and "alice@example.com" not in json.dumps([m for m in outbox.json()
                                                                      if m.get("kind") == "side"])


def test_exit_codes(staffed):
    n = desk_with_ticket(staffed)
    bad = staffed("ticket", "side", n, "--to", "warehouse.example.com", "--body", "x", who=BOB)
    assert bad.code == 5 and "warehouse.example.com" in bad.err and "to" in bad.err
    customer = staffed("ticket", "side", n, "--to", "alice@example.com", "--body", "x", "--json", who=BOB)
    assert customer.code == 5 and json.loads(customer.err)["field"] == "to"
    assert staffed("agent", "add", "vic@example.com", "--name", "Vic", "--role", "viewer", who=ADA).code == 0
    assert staffed("ticket", "side", n, "--to", WAREHOUSE, "--body", "x", who="vic@example.com").code == 6
    assert staffed("ticket", "side", "999", "--to", WAREHOUSE, "--body", "x", who=BOB).code == 3
    assert staffed("ticket", "side", n, "--side", "42", "--body", "x", who=BOB).code == 3
    assert staffed("ticket", "side", n, "--body", "x", who=BOB).code == 2  # neither --to nor --side
    assert staffed("ticket", "side", n, "--to", WAREHOUSE, who=BOB).code == 5  # no body
    assert staffed("ticket", "sides", n, "--json", who=BOB).json()["count"] == 0
    assert staffed("ticket", "close", n, who=ADA).code == 0
    closed = staffed("ticket", "side", n, "--to", WAREHOUSE, "--body", "x", who=BOB)
    assert closed.code == 4 and "reopen" in closed.err


def test_without_mail_set_up_it_says_what_to_set(staffed):
    n = staffed("ticket", "create", "-s", "x", "-r", "alice@example.com", "--quiet", who=ADA).out.strip()
    r = staffed("ticket", "side", n, "--to", WAREHOUSE, "--body", "x", who=BOB)
    assert r.code == 5 and "mail.from" in r.err


def test_a_reply_by_mail_lands_in_the_side_conversation(staffed, tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))
    n = desk_with_ticket(staffed)
    side = staffed("ticket", "side", n, "--to", WAREHOUSE, "--body", "请拦截", "--json", who=BOB).json()
    outbox = staffed("mail", "outbox", "--json", who=ADA).json()
    row = next(m for m in outbox if m.get("kind") == "side")
    subject = row["subject"]
    eml = tmp_path / "reply.eml"
    eml.write_bytes((f"From: Warehouse <{WAREHOUSE}>\r\nTo: {DESK}\r\nSubject: Re: {subject}\r\n"
                     "Message-ID: <w1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                     "已拦截 \x1b[31m[red]ok[/red]\r\n").encode())
    r = staffed("mail", "ingest", str(eml), "--json", who=ADA)
    assert r.code == 0 and r.json()[0]["reason"] == f"side conversation #{side['id']}"
    listed = staffed("ticket", "sides", n, "--json", who=BOB).json()["side_conversations"][0]
    assert listed["messages"][-1]["author"] == WAREHOUSE and listed["messages"][-1]["direction"] == "in"
    assert staffed("ticket", "list", "--json", who=BOB).json()["count"] == 1  # no new ticket
    text = staffed("ticket", "sides", n, who=BOB).out
    assert "\x1b[31m" not in text and "[red]ok[/red]" in text  # literal: no escape, no markup

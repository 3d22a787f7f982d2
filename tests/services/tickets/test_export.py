"""helpdesk export: streamed files that import back into an empty desk as the same tickets."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import openpyxl
import pytest

from helpdesk.db import open_desk
from helpdesk.services.core.actors import ANONYMOUS, actor_of
from helpdesk.services.core.settings import desk_zone
from helpdesk.services.imports.run import open_import, run_import
from helpdesk.services.people import agents, contacts
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.services.tickets.export import export_tickets
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket
from helpdesk.services.tickets.listing import find_tickets, ticket_dicts

SAME = ("subject", "status", "priority", "requester", "assignee", "tags", "fields", "created_at",
        "type", "organization", "team")


def fill(desk, crew):
    def make(s):
        contacts.add_contact(s, crew.agent, "wang@example.cn", "王芳", org="华东公司", phone="13800138000")
        made = [
            create_ticket(s, crew.agent, NewTicket(
                subject="打印机卡纸", body="三楼打印机", requester="wang@example.cn", priority="urgent",
                tags=["打印机", "hw"], assignee="bob@example.com", team="support", type="incident",
                fields={"tier": "vip", "notes": "=HYPERLINK(\"x\")"}, external_id="LEDGER-7",
                created_at=datetime(2025, 3, 5, 1, 30, tzinfo=UTC))),
            create_ticket(s, crew.agent, NewTicket(
                subject="-5 degrees in the office", requester="cold@example.com", status="pending",
                created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))),
        ]
        add_agent_message(s, crew.agent, made[0].id, "我们明天上门")
        return [t.id for t in made]
    return desk.write(make)


def snapshot(desk, who) -> list[dict]:
    with desk.read() as s:
        dicts = ticket_dicts(s, find_tickets(s, who, "", sort="created", limit=1000).tickets)
    return sorted(({k: d[k] for k in SAME} | {"external_id": d["external_id"] or f"#{d['id']}"}
                   for d in dicts), key=lambda d: d["created_at"])


def fresh_desk(tmp_path):
    other = open_desk(str(tmp_path / "other.db"))

    def staff(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        agents.add_team(s, admin, "support")
        agents.add_agent(s, admin, "bob@example.com", "Bob Agent", "agent", "support")
        return admin
    return other, other.write(staff)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_round_trip_gives_back_the_same_tickets(desk, crew, tmp_path, suffix):
    ids = fill(desk, crew)
    out = tmp_path / f"export{suffix}"
    with desk.read() as s:
        done = export_tickets(s, crew.agent, "", out, zone=desk_zone(s))
    assert done.count == 2
    other, admin = fresh_desk(tmp_path)
    report = run_import(other, admin, open_import(out))
    assert (report.created, report.rejected) == (2, 0), report.warnings
    before = snapshot(desk, crew.agent)
    assert before[1]["external_id"] == "LEDGER-7" and before[0]["external_id"] == f"#{ids[1]}"
    assert snapshot(other, admin) == before
    other.close()


def test_formulas_are_neutralised_and_times_are_local(desk, crew, tmp_path):
    fill(desk, crew)
    with desk.read() as s:
        export_tickets(s, crew.agent, "", tmp_path / "x.csv", zone=desk_zone(s))
        export_tickets(s, crew.agent, "", tmp_path / "x.xlsx", zone=desk_zone(s))
    rows = list(csv.reader(open(tmp_path / "x.csv", encoding="utf-8-sig", newline="")))
    header = rows[0]
    assert "Custom field (notes)" in header and "tier" in header
    by_id = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert by_id["LEDGER-7"]["Custom field (notes)"] == "'=HYPERLINK(\"x\")"
    assert by_id["LEDGER-7"]["Created at"] == "2025-03-05T01:30:00+00:00"
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(v == "'-5 degrees in the office" for row in values for v in row)
    assert datetime(2025, 3, 5, 1, 30) in values[1]  # ticket 1; the desk zone is UTC


def test_a_query_picks_the_tickets_and_messages_come_along(desk, crew, tmp_path):
    fill(desk, crew)
    out = tmp_path / "x.csv"
    with desk.read() as s:
        assert export_tickets(s, crew.agent, "tag:hw", out, zone=desk_zone(s), with_messages=True).count == 1
    rows = list(csv.reader(open(out, encoding="utf-8-sig", newline="")))
    row = dict(zip(rows[0], rows[1]))
    assert row["Description"] == "三楼打印机"
    assert row["Comment"].endswith(";bob@example.com;我们明天上门")
    other, admin = fresh_desk(tmp_path)
    run_import(other, admin, open_import(out))
    with other.read() as s:
        [ticket] = find_tickets(s, admin, "").tickets
        from helpdesk.services.tickets.listing import ticket_detail

        bodies = [(m["kind"], m["body"], m["author"]) for m in ticket_detail(s, ticket)["messages"]]
    assert bodies == [("reply", "三楼打印机", "wang@example.cn"), ("note", "我们明天上门", "bob@example.com")]
    other.close()


def test_json_export_is_one_document(desk, crew, tmp_path):
    fill(desk, crew)
    with desk.read() as s:
        export_tickets(s, crew.agent, "", tmp_path / "x.json", zone=desk_zone(s), with_messages=True)
    data = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    assert [t["subject"] for t in data] == ["打印机卡纸", "-5 degrees in the office"]
    assert [m["body"] for m in data[0]["messages"]] == ["三楼打印机", "我们明天上门"]


def test_an_unknown_format_is_refused(desk, crew, tmp_path):
    from helpdesk.errors import Invalid

    with desk.read() as s, pytest.raises(Invalid, match="export writes"):
        export_tickets(s, crew.agent, "", tmp_path / "x.pdf", zone=desk_zone(s))


def test_cli_export_then_import(staffed, tmp_path):
    cli = staffed
    assert cli("ticket", "create", "-s", "Printer", "-r", "a@example.com", "-t", "printer",
               who="bob@example.com").code == 0
    out = tmp_path / "all.xlsx"
    done = cli("export", "--out", str(out), "--json", who="bob@example.com")
    assert done.code == 0 and done.json()["count"] == 1
    again = cli("import", str(out), "--json", who="bob@example.com")
    assert again.code == 0  # `#1` created at ticket 1's time is ticket 1 itself: no duplicate
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    assert len(cli("ticket", "list", "--json").json()["tickets"]) == 1

"""The customer in 360°: a contact's and an organization's counts, latest tickets, assets and notes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine

from helpdesk.errors import Invalid, NotFound
from helpdesk.services.customers.assets import add_asset
from helpdesk.services.customers.notes import add_note
from helpdesk.services.people.contacts import add_contact, get_contact
from helpdesk.services.people.history import contact_history, get_org, org_history
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def acme(desk, crew):
    """Ann (Acme, vip) with 12 tickets (3 solved, 1 closed), an asset; Bo at Acme with one ticket."""
    def make(s):
        from helpdesk.services.people.contacts import get_or_create_org

        get_or_create_org(s, "Acme", "vip")
        add_contact(s, crew.agent, "ann@acme.com", "Ann", org="Acme")
        add_contact(s, crew.agent, "bo@acme.com", "Bo", org="Acme")
        add_asset(s, crew.agent, "SN-1", "ThinkPad", owner="ann@acme.com", warranty_end="2027-01-01")
        add_asset(s, crew.agent, "PR-9", "Printer", org="acme")

    desk.write(make)
    for i in range(12):
        with time_machine.travel(datetime(2026, 11, 1 + i, tzinfo=timezone.utc), tick=False):
            tid = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(
                subject=f"Ann {i}", requester="ann@acme.com", asset="sn-1" if i == 11 else None)).id)
            if i < 4:
                status = "solved"
                desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(status=status)))
    desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="Bo's", requester="bo@acme.com")))
    return crew


def test_contact_360_counts_latest_ten_assets_and_org(desk, acme):
    with time_machine.travel(NOW, tick=False):
        with desk.read() as s:
            data = contact_history(s, acme.agent, "ANN@acme.com")
    assert data["organization"] == {"name": "Acme", "tier": "vip"} and data["tier"] == "vip"
    assert (data["open"], data["solved"]) == (8, 4)
    assert [t["subject"] for t in data["tickets"]][:2] == ["Ann 11", "Ann 10"] and len(data["tickets"]) == 10
    assert data["tickets"][0]["asset"] == "SN-1"
    assert [(a["serial"], a["warranty"]) for a in data["assets"]] == [("SN-1", "in")]
    assert data["notes"] == []


def test_notes_are_by_an_agent_timestamped_newest_first(desk, acme):
    with desk.read() as s:
        ann = get_contact(s, "ann@acme.com").id
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=timezone.utc), tick=False):
        desk.write(lambda s: add_note(s, acme.agent, "Prefers calls after 14:00", contact_id=ann))
    desk.write(lambda s: add_note(s, acme.admin, "VIP since 2024\n[b]not markup[/b]", contact_id=ann))
    with desk.read() as s:
        notes = contact_history(s, acme.agent, "ann@acme.com")["notes"]
    assert [(n["author"], n["body"][:6]) for n in notes] == [("ada@example.com", "VIP si"), ("bob@example.com", "Prefer")]
    assert notes[1]["created_at"].startswith("2026-12-01")
    with pytest.raises(Invalid, match="body"):
        desk.write(lambda s: add_note(s, acme.agent, "   ", contact_id=ann))
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        desk.write(lambda s: add_note(s, acme.viewer, "hi", contact_id=ann))


def test_org_360_holds_its_contacts_tickets_and_assets(desk, acme):
    with desk.read() as s:
        org = get_org(s, "ACME")
    desk.write(lambda s: add_note(s, acme.agent, "Renewal in March", organization_id=org.id))
    with desk.read() as s:
        data = org_history(s, acme.agent, "acme")
    assert [c["email"] for c in data["contacts"]] == ["ann@acme.com", "bo@acme.com"]
    assert (data["open"], data["solved"], data["tier"]) == (9, 4, "vip")
    assert data["tickets"][0]["subject"] == "Bo's" and len(data["tickets"]) == 10
    assert {a["serial"] for a in data["assets"]} == {"SN-1", "PR-9"}  # owned by a contact, or by the org
    assert [n["body"] for n in data["notes"]] == ["Renewal in March"]
    with pytest.raises(NotFound):
        with desk.read() as s:
            org_history(s, acme.agent, "Initech")


def test_the_app_card_carries_counts_and_assets(desk, acme):
    from helpdesk.models import Ticket
    from helpdesk.services.tickets.queues import requester_card

    from sqlalchemy import select

    with desk.read() as s:
        t = s.execute(select(Ticket).where(Ticket.subject == "Ann 11")).scalars().one()
        card = requester_card(s, t)
    assert (card["open"], card["solved"], card["asset_count"]) == (8, 4, 1)
    assert card["assets"][0]["serial"] == "SN-1"


def test_satisfaction_counts_the_contacts_ratings(desk, acme):
    from sqlmodel import select

    from helpdesk.models import Ticket
    from helpdesk.services.customers.surveys import rate

    with time_machine.travel(datetime(2026, 11, 20, tzinfo=timezone.utc), tick=False):  # within 28 days of the solves
        with desk.read() as s:
            solved = s.exec(select(Ticket.id).where(Ticket.status == "solved").order_by(Ticket.id)).all()
        for tid, how in zip(solved[:3], ("good", "good", "bad")):
            desk.write(lambda s: rate(s, acme.agent, tid, how))
        with desk.read() as s:
            data = contact_history(s, acme.agent, "ann@acme.com")
            bo = contact_history(s, acme.agent, "bo@acme.com")
    assert data["satisfaction"] == {"rated": 3, "good": 2, "csat": round(2 / 3, 4)}
    assert bo["satisfaction"] == {"rated": 0, "good": 0, "csat": None}

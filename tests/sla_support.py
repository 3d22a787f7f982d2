"""A desk with SLA policies, shared by the SLA service, CLI and scheduler tests."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine

from helpdesk.db import open_desk
from helpdesk.models import Notification, SlaClock, Ticket
from helpdesk.services.core import notifications
from helpdesk.services.core.actors import ANONYMOUS, SYSTEM, actor_of
from helpdesk.services.people import agents, contacts
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    TicketChanges,
    create_ticket,
    reopen_ticket,
    update_ticket,
)

UTC = timezone.utc
H, M = 3600, 60
OFFICE_DAY = "09:00-12:00,13:00-18:00"
SLA_TOML = f"""
[calendars.office]
timezone = "Asia/Shanghai"
hours = {{ mon = "{OFFICE_DAY}", tue = "{OFFICE_DAY}", wed = "{OFFICE_DAY}", thu = "{OFFICE_DAY}", fri = "{OFFICE_DAY}" }}
holidays = ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
workdays = ["2026-10-10"]

[calendars.berlin]
timezone = "Europe/Berlin"
hours = {{ mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }}

[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "VIP"
match = "org.tier:vip"
calendar = "always"
first_response = "30m"
resolution = "2h"
warn_at = 0.5
on_warning = {{ notify = ["assignee", "team"] }}
on_breach = {{ notify = ["agent:lead@example.com"], set_priority = "urgent", add_tags = ["sla-breached"], reassign = "lead@example.com" }}

[[policies]]
name = "Urgent"
match = "priority:urgent"
calendar = "always"
first_response = "1h"
next_response = "1h"
resolution = "4h"
on_breach = {{ add_tags = ["late"] }}

[[policies]]
name = "Berlin"
match = "tag:berlin"
calendar = "berlin"
first_response = "2h"

[[policies]]
name = "Office"
match = ""
calendar = "office"
first_response = "2h"
next_response = "4h"
resolution = "16h"
"""


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args) -> datetime:
    """A wall-clock time in `zone`, as an aware UTC datetime."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def shanghai(*args) -> datetime:
    return local("Asia/Shanghai", *args)


class SlaDesk:
    """A desk at a moved clock: every action happens at the instant it is given."""

    def __init__(self, path: str):
        self.desk = open_desk(path)
        self.path = path
        with time_machine.travel(utc(2026, 1, 1), tick=False):
            self.desk.write(self._people)
            self.desk.write(lambda s: load_policies(s, self.admin, SLA_TOML, source="test.toml"))

    def _people(self, s) -> None:
        admin = agents.add_agent(s, ANONYMOUS, "admin@example.com", "Admin")
        self.admin = actor_of(admin)
        agents.add_team(s, self.admin, "support")
        self.agent = actor_of(agents.add_agent(s, self.admin, "tom@example.com", "Tom", team="support"))
        self.mate = actor_of(agents.add_agent(s, self.admin, "ann@example.com", "Ann", team="support"))
        self.lead = actor_of(agents.add_agent(s, self.admin, "lead@example.com", "Lead"))
        contacts.add_contact(s, self.admin, "vip@acme.example", "Vera", org="Acme", tier=None)
        contacts.get_or_create_org(s, "Acme", "vip")
        contacts.add_contact(s, self.admin, "joe@example.com", "Joe")

    def at(self, when: datetime, fn):
        with time_machine.travel(when, tick=False):
            return self.desk.write(fn)

    def create(self, when: datetime, *, requester: str = "joe@example.com", **kw) -> int:
        kw.setdefault("assignee", "tom@example.com")
        kw.setdefault("team", "support")
        new = NewTicket(subject=kw.pop("subject", "Printer jams"), body="It jams.", requester=requester, **kw)
        return self.at(when, lambda s: create_ticket(s, self.agent, new).id)

    def reply(self, when: datetime, tid: int) -> None:
        self.at(when, lambda s: conversation.add_agent_message(s, self.agent, tid, "On it."))

    def note(self, when: datetime, tid: int) -> None:
        self.at(when, lambda s: conversation.add_agent_message(s, self.agent, tid, "Internal.", kind="note"))

    def customer(self, when: datetime, tid: int) -> None:
        def add(s):
            contact = contacts.find_contact(s, "joe@example.com")
            conversation.add_customer_message(s, SYSTEM, tid, contact, "Any news?")
        self.at(when, add)

    def change(self, when: datetime, tid: int, **changes) -> None:
        self.at(when, lambda s: update_ticket(s, self.agent, tid, TicketChanges(**changes)))

    def status(self, when: datetime, tid: int, value: str) -> None:
        self.change(when, tid, status=value)

    def reopen(self, when: datetime, tid: int) -> None:
        self.at(when, lambda s: reopen_ticket(s, self.agent, tid))

    def sweep(self, when: datetime):
        from helpdesk.services.sla.escalations import sweep

        return self.at(when, lambda s: sweep(s, now=when))

    def sla(self, tid: int, when: datetime) -> dict:
        """The ticket's `sla` JSON object as `ticket show --json` prints it at `when`."""
        from helpdesk.services.tickets.listing import ticket_dicts

        with self.desk.read() as s:
            return ticket_dicts(s, [s.get(Ticket, tid)], now=when)[0]["sla"]

    def ticket(self, tid: int) -> Ticket:
        with self.desk.read() as s:
            return s.get(Ticket, tid)

    def row(self, tid: int, kind: str) -> SlaClock:
        with self.desk.read() as s:
            return s.get(SlaClock, (tid, kind))

    def events(self, tid: int, prefix: str = "sla") -> list[tuple[str, str | None, str | None]]:
        from sqlalchemy import select

        from helpdesk.models import Event

        with self.desk.read() as s:
            rows = s.execute(select(Event).where(Event.ticket_id == tid, Event.field.startswith(prefix))
                             .order_by(Event.id)).scalars()
            return [(e.field, e.old, e.new) for e in rows]

    def query(self, text: str, when: datetime) -> list[int]:
        from helpdesk.services.tickets.listing import find_tickets

        with self.desk.read() as s:
            return sorted(t.id for t in find_tickets(s, self.admin, text, now=when).tickets)

    def notes_of(self, actor) -> list[Notification]:
        with self.desk.read() as s:
            return notifications.unread(s, actor.agent_id)


@pytest.fixture
def sla_desk(tmp_path, monkeypatch) -> SlaDesk:
    monkeypatch.setenv("HELPDESK_CONFIG", str(tmp_path / "config.toml"))
    d = SlaDesk(str(tmp_path / "t.db"))
    yield d
    d.desk.close()

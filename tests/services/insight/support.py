"""Hand-built histories for the insight tests: a desk in Asia/Shanghai with an office
calendar Mon-Fri 09:00-18:00, and tickets driven through the services at set times."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import time_machine

from helpdesk.models import Ticket
from helpdesk.services.core.actors import SYSTEM
from helpdesk.services.core.settings import set_setting
from helpdesk.services.insight import reports
from helpdesk.services.insight.period import resolve
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, reopen_ticket, update_ticket

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = "09:00-18:00"
SLA = f"""
[calendars.office]
timezone = "Asia/Shanghai"
hours = {{ mon = "{OFFICE}", tue = "{OFFICE}", wed = "{OFFICE}", thu = "{OFFICE}", fri = "{OFFICE}" }}

[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "Fast"
match = "tag:fast"
calendar = "always"
first_response = "1h"
resolution = "4h"

[[policies]]
name = "Office"
match = ""
calendar = "office"
first_response = "8h"
resolution = "40h"
"""


def local(text: str) -> datetime:
    """'2026-03-06 17:00' in Shanghai, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def shanghai_desk(desk, crew) -> None:
    def setup(s):
        set_setting(s, crew.admin, "desk.timezone", "Asia/Shanghai")
        load_policies(s, crew.admin, SLA, source="sla.toml")
    desk.write(setup)


class Story:
    """Drive one desk through the services at given moments."""

    def __init__(self, desk, crew):
        self.desk, self.crew = desk, crew

    def at(self, when: datetime, fn):
        with time_machine.travel(when, tick=False):
            return self.desk.write(fn)

    def create(self, when: datetime, *, body: str | None = "help please", tags=(), requester="cy@example.com",
               **kw) -> int:
        return self.at(when, lambda s: create_ticket(s, self.crew.agent, NewTicket(
            subject="a question", body=body, requester=requester, tags=list(tags), **kw)).id)

    def reply(self, when: datetime, tid: int, kind: str = "reply", actor=None) -> None:
        self.at(when, lambda s: conversation.add_agent_message(s, actor or self.crew.agent, tid, "answer", kind=kind))

    def customer(self, when: datetime, tid: int) -> None:
        from helpdesk.services.people import contacts

        def go(s):
            contact = contacts.requester_for(s, SYSTEM, "cy@example.com", None)
            conversation.add_customer_message(s, SYSTEM, tid, contact, "more")
        self.at(when, go)

    def status(self, when: datetime, tid: int, status: str) -> None:
        self.at(when, lambda s: update_ticket(s, self.crew.agent, tid, TicketChanges(status=status)))

    def reopen(self, when: datetime, tid: int) -> None:
        self.at(when, lambda s: reopen_ticket(s, self.crew.agent, tid))

    def row(self, tid: int) -> Ticket:
        with self.desk.read() as s:
            t = s.get(Ticket, tid)
            s.expunge(t)
            return t

    def report(self, kind: str = "summary", *, period: str | None = None, start=None, end=None, query: str = "",
               now: datetime, **kw):
        with self.desk.read() as s:
            from helpdesk.services.core.settings import desk_zone

            p = resolve(period=period, start=start, end=end, tz=desk_zone(s), now=now)
            sc = reports.scope(s, self.crew.viewer, p, query, now=now)
            return getattr(reports, kind)(s, sc, **kw)

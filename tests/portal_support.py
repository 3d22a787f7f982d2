"""Shared by the portal and survey tests: a desk that mails, tickets with requesters,
and the links found in the mail the desk queued."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

from sqlmodel import select

from helpdesk.models import Outbox
from helpdesk.services.core.settings import set_setting
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket

DESK = "support@acme.test"
LINK = re.compile(r"https?://[^\s]+/(?:t|survey)/[A-Za-z0-9._\-]+(?:\?r=\w+)?")


def mailing(desk, admin, **settings) -> None:
    def write(s):
        set_setting(s, admin, "mail.from", DESK)
        for key, value in settings.items():
            set_setting(s, admin, key.replace("__", "."), value)
    desk.write(write)


def ticket(desk, actor, email="alice@example.com", subject="Printer on fire", body="It smokes.", **kw) -> int:
    return desk.write(lambda s: create_ticket(s, actor, NewTicket(subject=subject, body=body, requester=email,
                                                                 requester_name="Alice", **kw)).id)


def solve(desk, actor, number: int) -> None:
    desk.write(lambda s: update_ticket(s, actor, number, TicketChanges(status="solved")))


def outbox(desk, kind: str | None = None) -> list[Outbox]:
    with desk.read() as s:
        stmt = select(Outbox).order_by(Outbox.id)
        if kind:
            stmt = stmt.where(Outbox.kind == kind)
        return list(s.exec(stmt))


def body_of(row: Outbox) -> str:
    msg = message_from_bytes(row.raw, policy=policy.default)
    return msg.get_body(("plain",)).get_content()


def links_in(row: Outbox) -> list[str]:
    return LINK.findall(body_of(row))


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1].split("?")[0]

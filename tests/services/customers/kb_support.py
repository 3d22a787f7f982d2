"""Helpers the knowledge-base tests share."""

from __future__ import annotations

from helpdesk.services.customers.articles import add_article, set_state
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket


def article(desk, actor, title: str, body: str, *, state: str = "published", category: str | None = None) -> int:
    def make(s):
        a = add_article(s, actor, title, body, category=category)
        if state != "draft":
            set_state(s, actor, a.id, state)
        return a.id
    return desk.write(make)


def ticket(desk, actor, subject: str, body: str, requester: str = "ann@example.com") -> int:
    return desk.write(lambda s: create_ticket(s, actor, NewTicket(subject=subject, body=body, requester=requester)).id)

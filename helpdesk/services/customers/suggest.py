"""The knowledge base meets tickets: articles that fit a ticket (`kb suggest`), a draft
from a ticket's public conversation (`kb from-ticket`), an article in a reply
(`ticket reply --article`)."""

from __future__ import annotations

from sqlmodel import Session, select

from helpdesk.errors import Invalid
from helpdesk.models import Article, Message
from helpdesk.services.customers import kb_search
from helpdesk.services.customers.articles import (
    STAFF_SEARCHABLE,
    TITLE_MAX,
    add_article,
    by_ids,
    count_use,
    require_kb,
)
from helpdesk.services.tickets.lifecycle import get_ticket

SUGGEST_MAX = 5
MESSAGES_READ = 6  # the first public messages say what the ticket is about; later ones are thanks and chatter


def public_messages(session: Session, ticket_id: int) -> list[Message]:
    """The ticket's public conversation (replies both ways), oldest first; never internal notes."""
    return list(session.exec(select(Message).where(Message.ticket_id == ticket_id, Message.kind == "reply")
                             .order_by(Message.created_at, Message.id)))  # type: ignore[arg-type]


def ticket_texts(session: Session, ticket_id: int) -> list[str]:
    """What a ticket is about, most telling first: its subject, then the customer's first
    messages (an agent's "working on it" says nothing of the problem and matched articles
    that say "working days")."""
    ticket = get_ticket(session, ticket_id)
    bodies = session.exec(select(Message.body).where(Message.ticket_id == ticket_id, Message.kind == "reply",
                                                     Message.author_agent_id.is_(None))  # type: ignore[union-attr]
                          .order_by(Message.created_at, Message.id).limit(MESSAGES_READ))  # type: ignore[arg-type]
    return [ticket.subject, *bodies]


def suggest_for_ticket(session: Session, actor, ticket_id: int, limit: int = SUGGEST_MAX) -> list[tuple[Article, float]]:
    """Published and internal articles that fit the ticket, best first, at most `limit` (≤ 5)."""
    require_kb(actor, "viewer")
    limit = max(1, min(limit, SUGGEST_MAX))
    hits = kb_search.related_ids(session, ticket_texts(session, ticket_id), STAFF_SEARCHABLE, limit)
    scores = dict(hits)
    return [(a, scores[a.id]) for a in by_ids(session, [i for i, _ in hits])]


def draft_from_ticket(session: Session, actor, ticket_id: int, *, title: str | None = None,
                      category: str | None = None) -> Article:
    """A draft made of the ticket's public conversation: the customer's question, then the
    agents' answers. Internal notes never go in; neither do names or addresses."""
    require_kb(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    messages = public_messages(session, ticket_id)
    asked = [m.body.strip() for m in messages if m.author_agent_id is None and m.body.strip()]
    answered = [m.body.strip() for m in messages if m.author_agent_id is not None and m.body.strip()]
    if not asked and not answered:
        raise Invalid(f"ticket #{ticket_id} has no public conversation to make an article of", field="ticket")
    parts = []
    if asked:
        parts += ["## Question", "", asked[0], ""]
    if answered:
        parts += ["## Answer", ""] + [line for body in answered for line in (body, "")]
    return add_article(session, actor, title or " ".join(ticket.subject.split())[:TITLE_MAX], "\n".join(parts).strip() + "\n",
                       category=category, source_ticket_id=ticket.id)


def reply_text(body: str | None, article: Article) -> str:
    """The reply: the agent's own words (if any), then the article's text."""
    own = (body or "").strip("\n")
    return f"{own}\n\n{article.body}" if own.strip() else article.body


def reply_with_article(session: Session, actor, ticket_id: int, article_id: int, body: str | None = None,
                       *, if_version: int | None = None):
    """`ticket reply N --article ID`: the reply is sent and the article's use counted, or
    neither (a draft or archived article is refused before anything is written)."""
    from helpdesk.services.tickets.conversation import post_agent_message

    article = count_use(session, actor, article_id, ticket_id)
    return post_agent_message(session, actor, ticket_id, reply_text(body, article), kind="reply", if_version=if_version)


def insert_article(session: Session, actor, article_id: int, ticket_id: int | None = None) -> str:
    """The app's composer inserts an article: its text, and one more use."""
    return count_use(session, actor, article_id, ticket_id).body


"""@mentions in internal notes: the agent named is notified and follows the ticket.

An agent is named by email (`@bob@example.com`), by name (`@Bob Agent`, `@李伟`) or
by the part of their email before the @ (`@bob`). Chinese text needs no space
after the name (`@李伟请看一下`): the longest agent key that starts there wins.
A name that matches nobody (or several agents) is a warning event on the ticket;
the note is saved all the same. Only notes count: a public reply is the customer's
to read, and a mention never leaves the desk by mail."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.models import Agent, Message, Ticket
from helpdesk.services.core import bus, notifications
from helpdesk.services.core.audit import record
from helpdesk.services.collaboration.followers import add_follower, mark_told

# An @ that starts a mention: not inside a word or an email address (alice@example.com).
START = re.compile(r"(?<![A-Za-z0-9_.+\-@])@")
# What an unmatched mention is taken to be, for the warning: up to a space or punctuation.
TOKEN = re.compile(r"[^\s,;:!?，。；：！？、()（）\[\]{}<>\"'“”‘’]+")
ASCII_WORD = re.compile(r"[A-Za-z0-9_]")
JOINERS = ".-+@"  # inside an email or a dotted name when a letter follows
KINDS = ("email", "name", "local")  # which reading of a key wins when several agents share it
WARNINGS = "collaboration.mention_warnings"  # session.info: lines for the CLI's stderr
EXCERPT = 200


@dataclass(frozen=True)
class Mention:
    written: str  # as written after the @
    key: str | None  # the agent key it matched (lower case), None when none did


def agent_keys(agents: list[Agent]) -> dict[str, dict[str, set[int]]]:
    """{key: {kind: {agent ids}}} for every active agent: email, name, email local part."""
    keys: dict[str, dict[str, set[int]]] = {}
    for a in agents:
        for kind, key in (("email", a.email), ("name", a.name), ("local", a.email.partition("@")[0])):
            key = (key or "").strip().lower()
            if key:
                keys.setdefault(key, {}).setdefault(kind, set()).add(a.id)
    return keys


def find_mentions(text: str, keys: set[str] | dict) -> list[Mention]:
    """Every @mention in `text`, in order, each with the longest key it starts with."""
    found = []
    ordered = sorted(keys, key=len, reverse=True)
    for at in START.finditer(text):
        rest = text[at.end():]
        key = next((k for k in ordered if rest[:len(k)].lower() == k and _ends(rest, len(k))), None)
        if key is not None:
            found.append(Mention(rest[:len(key)], key))
        elif token := TOKEN.match(rest):
            written = token.group().rstrip(".-")
            if written:
                found.append(Mention(written, None))
    return found


def _ends(rest: str, n: int) -> bool:
    """Does a key of length n end a mention here? Not when an ASCII name runs on (@bobby is not @bob)."""
    if n >= len(rest) or not ASCII_WORD.match(rest[n - 1]):
        return True
    after = rest[n]
    if ASCII_WORD.match(after):
        return False
    return not (after in JOINERS and n + 1 < len(rest) and ASCII_WORD.match(rest[n + 1]))


def resolve(mention: Mention, keys: dict[str, dict[str, set[int]]]) -> tuple[set[int], str | None]:
    """The agent a mention names, or why none: ({id}, None) or (set(), problem)."""
    if mention.key is None:
        return set(), "matches no agent (name, email, or the part of an email before @)"
    kinds = keys[mention.key]
    ids = next(kinds[k] for k in KINDS if k in kinds)
    if len(ids) > 1:
        return set(), f"matches {len(ids)} agents; write their email instead"
    return ids, None


@bus.subscribe("message.added")
def on_note(session: Session, event: bus.DomainEvent) -> None:
    if event.data.get("kind") != "note" or event.data.get("by") != "agent":
        return
    message = session.get(Message, event.data.get("message_id"))
    if message is None or "@" not in message.body or not START.search(message.body):
        return
    agents = list(session.execute(select(Agent).where(Agent.active.is_(True))).scalars())
    keys = agent_keys(agents)
    by_id = {a.id: a for a in agents}
    ticket = session.get(Ticket, message.ticket_id)
    done: set[int] = set()
    for mention in find_mentions(message.body, keys):
        ids, problem = resolve(mention, keys)
        if problem:
            _warn(session, event.actor, ticket, mention.written, problem)
        for agent_id in ids - done - {getattr(event.actor, "agent_id", None)}:
            done.add(agent_id)
            _tell(session, event.actor, ticket, by_id[agent_id], message.body)


def _tell(session: Session, actor, ticket: Ticket, agent: Agent, body: str) -> None:
    excerpt = " ".join(body.split())
    excerpt = excerpt if len(excerpt) <= EXCERPT else excerpt[:EXCERPT - 1] + "…"
    notifications.notify(session, agent.id, ticket.id, "mention",
                         f"{actor.name} mentioned you on #{ticket.id} {ticket.subject}: {excerpt}")
    add_follower(session, actor, ticket.id, agent, reason="mentioned in a note")
    mark_told(session, ticket.id, agent.id)  # the mention says it all: no follower notice for the same note


def _warn(session: Session, actor, ticket: Ticket, written: str, problem: str) -> None:
    record(session, actor, "ticket", ticket.id, "mention_warning", None, f"@{written}",
           reason=f"{problem}; nobody was told")
    session.info.setdefault(WARNINGS, []).append(
        f"#{ticket.id}: @{written} {problem}; the note was saved, nobody was told")


def warnings(session: Session) -> list[str]:
    """What this transaction's notes mentioned that matched no one (for the CLI's stderr)."""
    return list(session.info.get(WARNINGS, []))

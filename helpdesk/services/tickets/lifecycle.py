"""Ticket lifecycle: create, change, close, reopen, merge, link.

Status rules (the helpdesk's contract):
- the first public agent reply sets `first_response_at` and moves `new` to `open`;
- a customer message on a `pending` or `solved` ticket reopens it (see conversation.py);
- `solved_at` / `closed_at` keep the last time the ticket was solved / closed;
- a closed ticket is read-only: only `reopen` leaves `closed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import (
    PRIORITIES,
    STATUSES,
    Agent,
    Message,
    SideConversation,
    Team,
    Ticket,
    TicketLink,
    TicketTag,
    utcnow,
)
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.people import agents, contacts, names
from helpdesk.services.tickets.indexing import reindex

TYPES = ("question", "incident", "problem", "task")
CHANNELS = ("api", "email", "phone", "chat", "web", "import", "walk_in", "other")
TAG = re.compile(r"^[\w\-.:/+#]{1,64}$")
FIELD_KEY = re.compile(r"^[\w\-.]{1,64}$")
SUBJECT_MAX = 500


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass
class TicketChanges:
    """What to change; UNSET fields are left alone, None clears (assignee/team/type)."""

    subject: Any = UNSET
    status: Any = UNSET
    priority: Any = UNSET
    type: Any = UNSET
    assignee: Any = UNSET  # agent email/name, or None to unassign
    team: Any = UNSET  # team name, or None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    fields: dict[str, str | None] = field(default_factory=dict)
    add_skills: list[str] = field(default_factory=list)  # the agent must hold them (routing)
    remove_skills: list[str] = field(default_factory=list)
    asset: Any = UNSET  # an asset's serial, or None to unlink

    def is_empty(self) -> bool:
        values = (self.subject, self.status, self.priority, self.type, self.assignee, self.team, self.asset)
        return all(v is UNSET for v in values) and not (self.add_tags or self.remove_tags or self.fields
                                                         or self.add_skills or self.remove_skills)


# -- validation -------------------------------------------------------------

def clean_type(value: str | None) -> str | None:
    """A built-in type in lower case, or a loaded one's name as given: whether the desk
    has that type is checked by services/types (a subscriber), which may fix its case."""
    text = " ".join((value or "").split())
    if not text:
        return None
    if len(text) > 60:
        raise Invalid(f"{text[:20]!r}… is longer than 60 characters", field="type")
    return text.lower() if text.lower() in TYPES else text


def clean_subject(value: str | None) -> str:
    subject = " ".join((value or "").replace("\x00", "").split())
    if not subject:
        raise Invalid("must not be empty", field="subject")
    if len(subject) > SUBJECT_MAX:
        raise Invalid(f"is longer than {SUBJECT_MAX} characters", field="subject")
    return subject


def clean_choice(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    v = (value or "").strip().lower().replace("-", "_")
    if v == "hold" and "on_hold" in allowed:
        v = "on_hold"
    if v not in allowed:
        raise Invalid(f"unknown {field_name} {value!r} (use {', '.join(allowed)})", field=field_name)
    return v


def clean_tag(value: str) -> str:
    tag = (value or "").strip().lower()
    if not TAG.match(tag):
        raise Invalid(f"{value!r} is not a tag (letters, digits and - _ . : / + #; no spaces or commas)", field="tag")
    return tag


def clean_field_key(key: str) -> str:
    k = (key or "").strip().lower()
    if not FIELD_KEY.match(k):
        raise Invalid(f"{key!r} is not a field name (letters, digits, - _ .)", field="field")
    return k


def parse_field_assignment(text: str) -> tuple[str, str | None]:
    """`KEY=VALUE` from the CLI; an empty value removes the field."""
    if "=" not in text:
        raise Invalid(f"{text!r} should be KEY=VALUE", field="field")
    key, value = text.split("=", 1)
    return clean_field_key(key), value.replace("\x00", "") or None


# -- reading ----------------------------------------------------------------

def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket #{ticket_id}")
    return ticket


def tags_of(session: Session, ticket_id: int) -> list[str]:
    return sorted(session.exec(select(TicketTag.tag).where(TicketTag.ticket_id == ticket_id)))


IDS_PAGE = 5000  # ids a query: PostgreSQL takes at most 65,535 parameters a statement


def tags_of_many(session: Session, ticket_ids) -> dict[int, list[str]]:
    """{ticket: its tags, sorted} for many tickets (every id given is a key)."""
    from helpdesk.services.core.bulk_sql import listed

    out: dict[int, list[str]] = {tid: [] for tid in ticket_ids}
    ids = list(out)
    for start in range(0, len(ids), IDS_PAGE):
        for tid, tag in session.execute(select(TicketTag.ticket_id, TicketTag.tag)
                                        .where(TicketTag.ticket_id.in_(listed(session, ids[start:start + IDS_PAGE])))
                                        .order_by(TicketTag.ticket_id, TicketTag.tag)):
            out[tid].append(tag)
    return out


# -- creating ---------------------------------------------------------------

@dataclass
class NewTicket:
    subject: str
    body: str | None = None
    requester: str | None = None  # email
    requester_name: str | None = None
    priority: str = "normal"
    type: str | None = None
    channel: str = "api"
    tags: list[str] = field(default_factory=list)
    assignee: str | None = None
    team: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    status: str = "new"
    external_id: str | None = None
    created_at: datetime | None = None
    skills: list[str] = field(default_factory=list)
    asset: str | None = None  # serial of the asset it is about (its repair history)


def validate_new(ticket: NewTicket) -> NewTicket:
    """Everything that can be checked without the database (used to vet a whole batch first)."""
    ticket.subject = clean_subject(ticket.subject)
    ticket.priority = clean_choice(ticket.priority or "normal", PRIORITIES, "priority")
    ticket.status = clean_choice(ticket.status or "new", STATUSES, "status")
    ticket.channel = clean_choice(ticket.channel or "api", CHANNELS, "channel")
    ticket.type = clean_type(ticket.type)
    ticket.tags = sorted({clean_tag(t) for t in ticket.tags})
    ticket.fields = {clean_field_key(k): str(v) for k, v in ticket.fields.items() if v not in (None, "")}
    if ticket.skills:
        from helpdesk.services.tickets.skills import clean_skills

        ticket.skills = clean_skills(ticket.skills)
    if ticket.requester:
        ticket.requester = names.clean_email(ticket.requester, "requester")
    if ticket.body is not None:
        ticket.body = ticket.body.replace("\x00", "").strip("\r\n") or None
    return ticket


def create_ticket(session: Session, actor: Actor, new: NewTicket) -> Ticket:
    require(actor, "agent")
    new = validate_new(new)
    if new.external_id and session.exec(select(Ticket.id).where(Ticket.external_id == new.external_id)).first():
        raise Conflict(f"a ticket with external id {new.external_id!r} already exists")
    now = utcnow()
    created = new.created_at or now
    requester = contacts.requester_for(session, actor, new.requester, new.requester_name) if new.requester else None
    ticket = Ticket(
        subject=new.subject,
        status=new.status,
        priority=new.priority,
        type=new.type,
        channel=new.channel,
        requester_id=requester.id if requester else None,
        organization_id=requester.organization_id if requester else None,
        assignee_id=_assignable(session, new.assignee).id if new.assignee else None,
        team_id=agents.get_team(session, new.team).id if new.team else None,
        external_id=new.external_id,
        fields=new.fields,
        created_at=created,
        updated_at=created,
        status_changed_at=created,
        solved_at=created if new.status in ("solved", "closed") else None,
        closed_at=created if new.status == "closed" else None,
    )
    session.add(ticket)
    session.flush()
    session.add_all([TicketTag(ticket_id=ticket.id, tag=t) for t in new.tags])
    if new.skills:
        from helpdesk.services.tickets.skills import change_skills

        change_skills(session, ticket.id, new.skills)
    if new.asset:
        from helpdesk.services.customers.assets import set_ticket_asset

        set_ticket_asset(session, ticket.id, new.asset)
    if new.body:
        session.add(Message(
            ticket_id=ticket.id, kind="reply", body=new.body, channel=new.channel, created_at=created,
            author_contact_id=requester.id if requester else None,
            author_name=requester.name if requester else actor.name,
        ))
    record(session, actor, "ticket", ticket.id, "created", None, ticket.subject, at=now)
    session.flush()
    reindex(session, [ticket.id])  # batch callers wrap their work in indexing.deferred
    bus.publish(session, bus.DomainEvent("ticket.created", ticket.id, actor))
    return ticket


def _assignable(session: Session, who: str):
    agent = agents.get_agent(session, who)
    if agent.role == "viewer":
        raise Invalid(f"{agent.email} is a viewer and cannot be assigned tickets", field="assignee")
    if not agent.active:
        raise Invalid(f"{agent.email} is deactivated", field="assignee")
    return agent


# -- changing ---------------------------------------------------------------

def check_version(ticket: Ticket, if_version: int | None, session: Session) -> None:
    if if_version is None or ticket.version == if_version:
        return
    from helpdesk.models import Event

    last = session.exec(  # the last change a person or rule made (clock bookkeeping is not news)
        select(Event).where(Event.ticket_id == ticket.id, Event.field.not_like("sla%"))  # type: ignore[union-attr]
        .order_by(Event.id.desc())  # type: ignore[union-attr]
    ).first()
    what = f"; last change by {last.actor}: {last.field} {last.old or '-'} -> {last.new or '-'}" if last else ""
    raise Conflict(f"ticket #{ticket.id} changed since version {if_version} (now version {ticket.version}{what})")


def update_ticket(session: Session, actor: Actor, ticket_id: int, changes: TicketChanges,
                  *, if_version: int | None = None, reason: str | None = None) -> dict[str, tuple[Any, Any]]:
    """Apply `changes`; returns {field: (old, new)} of what really changed."""
    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    if ticket.status == "closed":
        raise Conflict(f"ticket #{ticket.id} is closed; reopen it first (helpdesk ticket reopen {ticket.id})")
    diff = _apply(session, ticket, changes)
    if diff:
        touch(session, actor, ticket, diff, reason=reason)
    return diff


def _apply(session: Session, ticket: Ticket, ch: TicketChanges) -> dict[str, tuple[Any, Any]]:
    diff: dict[str, tuple[Any, Any]] = {}

    def setattr_diff(name: str, new: Any, shown: tuple[Any, Any] | None = None) -> None:
        old = getattr(ticket, name)
        if old != new:
            setattr(ticket, name, new)
            diff[name.removesuffix("_id")] = shown or (old, new)

    if ch.subject is not UNSET:
        setattr_diff("subject", clean_subject(ch.subject))
    if ch.priority is not UNSET:
        setattr_diff("priority", clean_choice(ch.priority, PRIORITIES, "priority"))
    if ch.type is not UNSET:
        setattr_diff("type", clean_type(ch.type))
    if ch.assignee is not UNSET:
        agent = _assignable(session, ch.assignee) if ch.assignee else None
        old = session.get(Agent, ticket.assignee_id) if ticket.assignee_id else None
        setattr_diff("assignee_id", agent.id if agent else None, (old and old.email, agent and agent.email))
    if ch.team is not UNSET:
        team = agents.get_team(session, ch.team) if ch.team else None
        old_team = session.get(Team, ticket.team_id) if ticket.team_id else None
        setattr_diff("team_id", team.id if team else None, (old_team and old_team.name, team and team.name))
    if ch.status is not UNSET:
        status = clean_choice(ch.status, STATUSES, "status")
        if status != ticket.status:
            diff["status"] = (ticket.status, status)
            set_status(ticket, status)
    _apply_tags(session, ticket, ch, diff)
    _apply_fields(ticket, ch, diff)
    if ch.add_skills or ch.remove_skills:
        from helpdesk.services.tickets.skills import change_skills

        if skills := change_skills(session, ticket.id, ch.add_skills, ch.remove_skills):
            diff["skills"] = skills
    if ch.asset is not UNSET:
        from helpdesk.services.customers.assets import set_ticket_asset

        if linked := set_ticket_asset(session, ticket.id, ch.asset):
            diff["asset"] = linked
    return diff


def set_status(ticket: Ticket, status: str) -> None:
    now = utcnow()
    ticket.status = status
    if status == "solved":
        ticket.solved_at = now
    elif status == "closed":
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now


def _apply_tags(session: Session, ticket: Ticket, ch: TicketChanges, diff: dict) -> None:
    if not (ch.add_tags or ch.remove_tags):
        return
    before = set(tags_of(session, ticket.id))
    after = (before | {clean_tag(t) for t in ch.add_tags}) - {clean_tag(t) for t in ch.remove_tags}
    for tag in after - before:
        session.add(TicketTag(ticket_id=ticket.id, tag=tag))
    for tag in before - after:
        session.delete(session.get(TicketTag, (ticket.id, tag)))
    if after != before:
        diff["tags"] = (sorted(before), sorted(after))


def _apply_fields(ticket: Ticket, ch: TicketChanges, diff: dict) -> None:
    fields = dict(ticket.fields or {})
    for key, value in ch.fields.items():
        key = clean_field_key(key)
        old = fields.get(key)
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = str(value).replace("\x00", "")
        if fields.get(key) != old:
            diff[f"field.{key}"] = (old, fields.get(key))
    if fields != (ticket.fields or {}):
        ticket.fields = fields  # a new dict so the JSON column is marked dirty


def touch(session: Session, actor: Actor, ticket: Ticket, diff: dict, *, reason: str | None = None,
          event: str = "ticket.updated") -> None:
    """Bump version and updated_at, record one Event per field, publish."""
    now = utcnow()
    ticket.version += 1
    ticket.updated_at = now
    if "status" in diff:
        ticket.status_changed_at = now
    session.add(ticket)
    for name, (old, new) in diff.items():
        record(session, actor, "ticket", ticket.id, name, old, new, reason=reason, at=now)
    session.flush()
    if "subject" in diff:
        reindex(session, [ticket.id])
    bus.publish(session, bus.DomainEvent(event, ticket.id, actor, changes=diff))


def touch_many(session: Session, actor: Actor, changed: list[tuple[Ticket, dict]], *,
               reason: str | None = None) -> None:
    """`touch` for many tickets (no subject changes): their rows and events written in
    one flush, then each ticket's ticket.updated published, as `touch` would one by one."""
    for ticket, diff in changed:
        now = utcnow()
        ticket.version += 1
        ticket.updated_at = now
        if "status" in diff:
            ticket.status_changed_at = now
        session.add(ticket)
        for name, (old, new) in diff.items():
            record(session, actor, "ticket", ticket.id, name, old, new, reason=reason, at=now)
    session.flush()
    for ticket, diff in changed:
        bus.publish(session, bus.DomainEvent("ticket.updated", ticket.id, actor, changes=diff))


def close_ticket(session: Session, actor: Actor, ticket_id: int, *, if_version: int | None = None) -> dict[str, tuple[Any, Any]]:
    """Close; returns {field: (old, new)}, empty (falsy) when it already was closed."""
    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    if ticket.status == "closed":
        return {}
    diff = {"status": (ticket.status, "closed")}
    set_status(ticket, "closed")
    touch(session, actor, ticket, diff)
    return diff


def reopen_ticket(session: Session, actor: Actor, ticket_id: int, *, if_version: int | None = None) -> dict[str, tuple[Any, Any]]:
    """Back to open; returns {field: (old, new)}."""
    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    if ticket.status not in ("solved", "closed"):
        raise Conflict(f"ticket #{ticket.id} is {ticket.status}, not solved or closed; nothing to reopen")
    diff = {"status": (ticket.status, "open")}
    ticket.status = "open"
    touch(session, actor, ticket, diff)
    return diff


def merge_tickets(session: Session, actor: Actor, source_id: int, target_id: int) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Move the source's conversation into the target and close the source with a link.

    Returns {ticket: {field: (old, new)}} for both tickets."""
    require(actor, "agent")
    if source_id == target_id:
        raise Invalid("a ticket cannot be merged into itself", field="into")
    source, target = get_ticket(session, source_id), get_ticket(session, target_id)
    for t in (source, target):
        if t.status == "closed":
            raise Conflict(f"ticket #{t.id} is closed; reopen it before merging")
    moved = session.exec(select(Message).where(Message.ticket_id == source.id)).all()
    for message in moved:
        message.ticket_id = target.id
        session.add(message)
    # side conversations with third parties move along (their mail threads by Message-ID or [#N-Sk])
    for side in session.exec(select(SideConversation).where(SideConversation.ticket_id == source.id)).all():
        side.ticket_id = target.id
        session.add(side)
    now = utcnow()
    session.add(Message(ticket_id=target.id, kind="note", author_agent_id=actor.agent_id, author_name=actor.name,
                        body=f"Ticket #{source.id} ({source.subject}) was merged into this ticket.", created_at=now))
    session.add(Message(ticket_id=source.id, kind="note", author_agent_id=actor.agent_id, author_name=actor.name,
                        body=f"Merged into #{target.id}.", created_at=now))
    diffs = {source.id: {"status": (source.status, "closed"), "merged_into": (None, target.id)},
             target.id: {"merged": (None, f"#{source.id} ({len(moved)} messages)")}}
    source.merged_into_id = target.id
    set_status(source, "closed")
    session.flush()
    touch(session, actor, source, diffs[source.id])
    touch(session, actor, target, diffs[target.id])
    reindex(session, [source.id, target.id])
    return diffs


def link_tickets(session: Session, actor: Actor, ticket_id: int, other_id: int) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Link both ways; returns {ticket: {field: (old, new)}}, empty (falsy) when already linked."""
    require(actor, "agent")
    if ticket_id == other_id:
        raise Invalid("a ticket cannot be linked to itself", field="link")
    a, b = get_ticket(session, ticket_id), get_ticket(session, other_id)
    if session.get(TicketLink, (a.id, b.id)):
        return {}
    session.add_all([TicketLink(ticket_id=a.id, other_id=b.id), TicketLink(ticket_id=b.id, other_id=a.id)])
    diffs = {a.id: {"link": (None, f"#{b.id}")}, b.id: {"link": (None, f"#{a.id}")}}
    touch(session, actor, a, diffs[a.id])
    touch(session, actor, b, diffs[b.id])
    return diffs

"""A rule's actions on many tickets at once: what `actions.fire` does, set-at-a-time.

`fire` costs ~2-3 ms a ticket (a savepoint, `update_ticket` with its own queries, a
flush, events one by one); a trigger matching a batch of new tickets or an
automation matching thousands pays that per ticket. Here a firing over a chunk of
tickets is set-based row writes: the tickets' columns and tags read with one query
each, one UPDATE for the tickets it changed (no ORM objects loaded or flushed), tag
rows, events and notifications with one executemany each, and the `ticket.updated`
of every changed ticket published together (`bus.publish_many`: triggers, routing,
SLA clocks and insight take them as one batch, followers one by one).

Per ticket the rows are the same as `fire`'s: one event per changed field (reason
`rule NAME`), then the `rule` event naming the rule, version + 1 and updated_at
only when something changed. The version goes up at each firing; updated_at is
written once per ticket just before the commit (`_touch_later`): it sits in six
indexes, and writing it at every firing of a chain cost more than the firings'
other writes together. Nothing in between reads it but a `when` with `updated:`,
which then sees the time of the change that started the chain (the same moment,
give or take the rules' milliseconds). Only actions no subscriber can refuse go this way:
tags, priority, team and notify. Anything else (status, type, fields, assignee,
skills, a macro), a closed ticket (a warning), a team that is gone or an agent to
notify who is gone falls back to `fire`, ticket by ticket, so warnings and
savepoints stay exactly as they were."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from helpdesk.errors import HelpdeskError
from helpdesk.models import PRIORITIES, Agent, Event, Team, Ticket, TicketTag, utcnow
from helpdesk.rules import Actions
from helpdesk.services.core import bus, notifications
from helpdesk.services.core.audit import _text
from helpdesk.services.core.bulk_sql import insert_rows, listed
from helpdesk.services.workflow.actions import fire, rule_actor

# Event rows as `bulk_sql.insert_rows` writes them (the driver's executemany, not the
# ORM's bulk insert, which fetched every row back): what differs per ticket; the time,
# actor and rule go once per statement (`same`).
FIELD_EVENT = ("ticket_id", "entity_id", "field", "old", "new")
RULE_EVENT = ("ticket_id", "entity_id", "reason")
CHUNK = 5000  # tickets per firing statement (long id lists go as one JSON parameter on SQLite)
T = Ticket.__table__


def batchable(actions: Actions) -> bool:
    """Only tags, priority, team and notify: their subscribers never refuse a change."""
    return (set(actions.sets) <= {"priority", "team"} and not actions.fields and not actions.skills
            and not actions.macro)


def fire_many(session: Session, ids: list[int], rule_name: str, actions: Actions, *,
              kind: str = "trigger") -> dict[int, dict | None]:
    """`fire` on each ticket in `ids` (in that order); {ticket: what changed, or None if warned}."""
    if not ids or not batchable(actions):
        return {tid: fire(session, tid, rule_name, actions, kind=kind) for tid in ids}
    plan = _Plan.make(session, actions)
    if plan is None:  # a value this desk refuses (a team since removed): `fire` warns, ticket by ticket
        return {tid: fire(session, tid, rule_name, actions, kind=kind) for tid in ids}
    out: dict[int, dict | None] = {}
    for start in range(0, len(ids), CHUNK):
        out.update(_chunk(session, ids[start:start + CHUNK], rule_name, plan, kind))
    return out


class _Plan:
    """The actions, checked and cleaned once (as `update_ticket` would for each ticket)."""

    def __init__(self, actions: Actions, priority, sets_team: bool, team, add, remove, named: set[int]):
        self.actions, self.priority, self.add, self.remove = actions, priority, add, remove
        self.sets_team, self.team = sets_team, team  # team None with sets_team: take the team away
        self.named = named  # agents to notify by name, found once (as `actions.notify` finds them)

    @classmethod
    def make(cls, session: Session, actions: Actions) -> _Plan | None:
        from helpdesk.services.tickets.lifecycle import clean_choice, clean_tag

        try:
            priority = clean_choice(actions.sets["priority"], PRIORITIES, "priority") if "priority" in actions.sets else None
            add = {clean_tag(t) for t in actions.add_tags}
            remove = {clean_tag(t) for t in actions.remove_tags}
        except HelpdeskError:
            return None
        team, wanted = None, actions.sets.get("team")
        if wanted:  # as agents.get_team finds it
            team = session.execute(select(Team).where(func.lower(Team.name) == wanted.strip().lower())).scalars().first()
            if team is None:
                return None
        named: set[int] = set()
        for who in actions.notify:
            if who in ("assignee", "team"):
                continue
            key = who.lower()
            found = session.execute(select(Agent.id).where(
                or_(func.lower(Agent.email) == key, func.lower(Agent.name) == key))).scalar()
            if found is None:  # `fire` warns, ticket by ticket
                return None
            named.add(found)
        return cls(actions, priority, "team" in actions.sets, team, add, remove, named)

    def diff(self, row, before: set[str], team_names: dict) -> tuple[dict, set[str]]:
        """What the actions change on one ticket (`row`: its priority and team_id; `before`:
        its tags), in the order of lifecycle._apply: priority, team, then tags; and its tags after."""
        diff: dict = {}
        if self.priority is not None and row.priority != self.priority:
            diff["priority"] = (row.priority, self.priority)
        if self.sets_team:
            new_id = self.team.id if self.team else None
            if row.team_id != new_id:
                diff["team"] = (team_names.get(row.team_id), self.team.name if self.team else None)
        after = (before | self.add) - self.remove
        if after != before:
            diff["tags"] = (sorted(before), sorted(after))
        return diff, after


def _chunk(session: Session, ids: list[int], rule_name: str, plan: _Plan, kind: str) -> dict[int, dict | None]:
    """One firing over up to CHUNK tickets as set-based row writes: the tickets' columns and
    tags read in one query each, one UPDATE for the tickets that changed, tag rows and
    events with one executemany each, one `ticket.updated` per changed ticket published
    together (`bus.publish_many`). Ticket objects already in the session get the new
    values as committed ones, so the ORM never writes them again."""
    from helpdesk.services.tickets.lifecycle import tags_of_many

    actor = rule_actor(rule_name)
    session.flush()  # what the ORM holds goes first: events keep their order per ticket
    rows = {r.id: r for r in session.execute(select(T.c.id, T.c.status, T.c.priority, T.c.team_id, T.c.version,
                                                    T.c.subject, T.c.assignee_id)
                                             .where(T.c.id.in_(listed(session, ids))))}
    out: dict[int, dict | None] = {}
    # closed (or vanished) tickets: `fire` records the warning exactly as always
    odd = {tid for tid in ids if tid not in rows or rows[tid].status == "closed"}
    tags = tags_of_many(session, ids) if plan.add or plan.remove else {}
    team_names = dict(session.execute(select(Team.id, Team.name)).all()) if plan.sets_team else {}
    now = utcnow()
    new_tags, gone_tags, field_events, published, changed = [], [], [], [], []
    for tid in ids:
        if tid in odd:
            continue
        before = set(tags.get(tid, ()))
        diff, after = plan.diff(rows[tid], before, team_names)
        if after != before:
            new_tags += [(tid, t) for t in sorted(after - before)]
            gone_tags += [{"tid": tid, "gone": t} for t in sorted(before - after)]
        if diff:  # lifecycle.touch: version + 1, updated_at
            field_events += [(tid, tid, name, _text(old), _text(new)) for name, (old, new) in diff.items()]
            published.append(bus.DomainEvent("ticket.updated", tid, actor, changes=diff))
            changed.append(tid)
        out[tid] = diff
    if changed:
        values = {"version": T.c.version + 1}
        if plan.priority is not None:
            values["priority"] = plan.priority
        if plan.sets_team:
            values["team_id"] = plan.team.id if plan.team else None
        session.execute(update(T).where(T.c.id.in_(listed(session, changed))).values(**values))
        _committed(session, changed, rows, values)
        _touch_later(session, changed)
    if gone_tags:
        _forget_tags(session, gone_tags)
        session.execute(delete(TicketTag.__table__).where(TicketTag.ticket_id == bindparam("tid"),
                                                          TicketTag.tag == bindparam("gone")), gone_tags)
    insert_rows(session, TicketTag.__table__, ("ticket_id", "tag"), new_tags)
    insert_rows(session, Event.__table__, FIELD_EVENT, field_events,
                same=dict(entity="ticket", at=now, actor=actor.label, reason=f"rule {rule_name}"))
    bus.publish_many(session, published)
    if plan.actions.notify:
        _notify(session, [rows[tid] for tid in ids if tid not in odd], plan, rule_name)
    session.flush()  # anything the subscribers recorded comes before the rule events, as in `fire`
    now = utcnow()
    rule_events = [(tid, tid, ", ".join(sorted(out[tid])) or "no change") for tid in ids if tid not in odd]
    insert_rows(session, Event.__table__, RULE_EVENT, rule_events,
                same=dict(entity="ticket", at=now, actor=actor.label, field="rule", old=None, new=f"{kind} {rule_name}"))
    for tid in (tid for tid in ids if tid in odd):  # in their order
        out[tid] = fire(session, tid, rule_name, plan.actions, kind=kind)
    return {tid: out[tid] for tid in ids}


def _notify(session: Session, rows: list, plan: _Plan, rule_name: str) -> None:
    """`actions.notify` for each ticket after the firing's changes, in one insert."""
    whom = plan.actions.notify
    teams: dict[int, list[int]] = {}
    if "team" in whom:
        team_ids = {plan.team.id if plan.team else None} if plan.sets_team else {r.team_id for r in rows}
        team_ids.discard(None)
        if team_ids:
            for agent_id, team_id in session.execute(select(Agent.id, Agent.team_id).where(
                    Agent.team_id.in_(team_ids), Agent.active.is_(True))):
                teams.setdefault(team_id, []).append(agent_id)
    items = []
    for row in rows:
        ids = set(plan.named)
        if "assignee" in whom and row.assignee_id:
            ids.add(row.assignee_id)
        if "team" in whom:
            team_id = (plan.team.id if plan.team else None) if plan.sets_team else row.team_id
            ids.update(teams.get(team_id, ()))
        text = f"#{row.id} {row.subject} (rule {rule_name})"
        items += [(i, row.id, "rule", text) for i in sorted(ids)]
    notifications.notify_many(session, items)


def _committed(session: Session, ids: list[int], rows: dict, values: dict) -> None:
    """Ticket objects the session holds take the values just written, as loaded ones."""
    identity = session.identity_map
    if not len(identity):
        return
    for tid in ids:
        ticket = identity.get((Ticket, (tid,), None))
        if ticket is None:
            continue
        set_committed_value(ticket, "version", rows[tid].version + 1)
        for name in ("priority", "team_id"):
            if name in values:
                set_committed_value(ticket, name, values[name])


TOUCHED = "rules_touched"


def _touch_later(session: Session, ids: list[int]) -> None:
    """These tickets changed: their updated_at is written once, before the commit."""
    session.info.setdefault(TOUCHED, set()).update(ids)
    bus.at_commit(session, "workflow.touched", _write_touched)


def _write_touched(session: Session) -> None:
    """updated_at = now for every ticket a batch firing changed, one UPDATE per CHUNK in id
    order (rows this transaction already holds: the firings bumped their versions), and
    on the Ticket objects the session holds, as loaded values."""
    ids = sorted(session.info.pop(TOUCHED, ()))
    if not ids:
        return
    now = utcnow()  # after every firing: updated_at never goes back past a change made by `fire`
    session.flush()
    for start in range(0, len(ids), CHUNK):  # PostgreSQL takes at most 65,535 parameters a statement
        session.execute(update(T).where(T.c.id.in_(listed(session, ids[start:start + CHUNK]))).values(updated_at=now))
    identity = session.identity_map
    for tid in ids if len(identity) else ():
        ticket = identity.get((Ticket, (tid,), None))
        if ticket is not None:
            set_committed_value(ticket, "updated_at", now)


def _forget_tags(session: Session, gone: list[dict]) -> None:
    """Tag objects the session holds for rows about to be deleted leave it."""
    identity = session.identity_map
    for row in gone:
        tag = identity.get((TicketTag, (row["tid"], row["gone"]), None))
        if tag is not None:
            session.expunge(tag)

"""The SLA sweep: fire each clock's warning and breach exactly once, and act on them.

The sweep reads only tickets whose `sla_check_at` has come (an indexed
column) and their stored clocks. It does not recompute them: nothing happened
to those tickets since their clocks were computed (every change recomputes
them, services/sla_tracking.py), so a running clock whose due second has come
is simply breached. Each due warning or breach is claimed with a conditional
UPDATE

    UPDATE sla_clock SET warned_at = :now
    WHERE ticket_id = :t AND kind = :k AND warned_at IS NULL

and acts only when it changed one row (in batches: `UPDATE ... RETURNING`
tells which rows this caller changed), so several processes running the
scheduler never fire the same clock twice. Firing records an Event
(`sla.warning` / `sla.breached`), publishes the domain event of the same name
and carries out the policy's on_warning / on_breach actions: notify people,
set the priority, add tags, reassign. An action that cannot be done (an agent
since removed, ...) is recorded as `sla.action_failed` and does not stop the
sweep. A breach found before its warning was sent skips the warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from helpdesk.errors import HelpdeskError
from helpdesk.models import Agent, SlaClock, Ticket
from helpdesk.services.core import bus, notifications
from helpdesk.services.core.actors import SYSTEM
from helpdesk.services.core.audit import record
from helpdesk.services.people import agents
from helpdesk.services.sla.policies import stored_config
from helpdesk.services.sla.tracking import Tracked, one_recompute, summary
from helpdesk.sla import Actions, Policy, SlaConfig

BATCH = 500
EVENT_NAMES = {"warning": "sla.warning", "breach": "sla.breached"}  # events and notification kinds
LABELS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    more: bool = False  # the batch was full: run again for the rest
    fired: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket, kind, "warning"|"breach")

    def add(self, other: SweepResult) -> SweepResult:
        return SweepResult(self.tickets + other.tickets, self.warnings + other.warnings,
                           self.breaches + other.breaches, other.more, self.fired + other.fired)


def sweep(session: Session, *, now: datetime, limit: int = BATCH) -> SweepResult:
    """Handle up to `limit` tickets whose next warning or breach time has come."""
    ids = list(session.execute(
        select(Ticket.id).where(Ticket.sla_check_at <= now).order_by(Ticket.sla_check_at, Ticket.id).limit(limit)
    ).scalars())
    result = SweepResult(tickets=len(ids), more=len(ids) == limit)
    config = stored_config(session)
    due = _load(session, ids, config)
    _advance(session, due, now)
    won = claim_due(session, due, now)
    _write_summaries(session, due, config, now)
    carry_out(session, won, now)
    for item, kind, what in won:
        result.fired.append((item.ticket.id, kind, what))
        if what == "warning":
            result.warnings += 1
        else:
            result.breaches += 1
    return result


def _load(session: Session, ids: list[int], config: SlaConfig | None) -> list[Tracked]:
    """The tickets and their stored clocks; each with the policy its clocks were computed under.

    The ticket rows are locked (FOR UPDATE, in id order; nothing on SQLite, whose write
    transaction holds the database): on PostgreSQL a writer changing one of them while the
    sweep runs would otherwise make the sweep's own change stale, and a long sweep over busy
    tickets failed every retry (found by bench/stress.py). Others now wait for the sweep."""
    tickets = {t.id: t for t in session.execute(
        select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id).with_for_update()).scalars()}
    rows: dict[int, dict[str, SlaClock]] = {tid: {} for tid in tickets}
    for row in session.execute(select(SlaClock).where(SlaClock.ticket_id.in_(ids))).scalars():
        rows[row.ticket_id][row.kind] = row
    return [Tracked(tickets[tid], _policy_named(config, tickets[tid].sla_policy), None, rows[tid])
            for tid in ids if tid in tickets]


def _policy_named(config: SlaConfig | None, name: str | None) -> Policy | None:
    if config is None or name is None:
        return None
    return next((p for p in config.policies if p.name == name), None)


def _advance(session: Session, due: list[Tracked], now: datetime) -> None:
    """A running clock whose due second has come is breached (as `sla.advance` says):
    no ticket event happened since it was computed, or it would have been recomputed."""
    changed = [row for item in due for row in item.rows.values()
               if row.state == "running" and row.due_at is not None and row.due_at <= now]
    if not changed:
        return
    session.flush()
    table = SlaClock.__table__
    session.connection().execute(
        table.update().where(table.c.ticket_id == bindparam("tid"), table.c.kind == bindparam("k"))
        .values(state="breached", breached_at=bindparam("at")),
        [{"tid": row.ticket_id, "k": row.kind, "at": row.due_at} for row in changed])
    for row in changed:
        set_committed_value(row, "state", "breached")
        set_committed_value(row, "breached_at", row.due_at)


def _write_summaries(session: Session, due: list[Tracked], config: SlaConfig | None, now: datetime) -> None:
    """The tickets' sla_state / sla_due_at / sla_check_at, in one executemany (not a version bump)."""
    values = [(item.ticket, summary(item.ticket, item.rows, config, now)) for item in due]
    if not values:
        return
    table = Ticket.__table__
    session.connection().execute(
        table.update().where(table.c.id == bindparam("tid"))
        .values(sla_state=bindparam("state"), sla_due_at=bindparam("due"), sla_check_at=bindparam("check")),
        [{"tid": t.id, "state": v[0], "due": v[1], "check": v[2]} for t, v in values])
    for ticket, (state, due_at, check) in values:
        set_committed_value(ticket, "sla_state", state)
        set_committed_value(ticket, "sla_due_at", due_at)
        set_committed_value(ticket, "sla_check_at", check)


def claim_due(session: Session, tracked: list[Tracked], now: datetime) -> list[tuple[Tracked, str, str]]:
    """Claim every warning and breach due by `now`; returns the ones this caller won.

    A breach found before its warning went out also marks the warning, silently."""
    breaches, warnings = [], []
    for item in tracked:
        for kind, row in item.rows.items():
            if row.met_at is not None:
                continue
            if row.state == "breached" and row.breach_fired_at is None:
                breaches.append((item, kind))
            elif row.warn_at is not None and row.warn_at <= now and row.warned_at is None:
                warnings.append((item, kind))
    won = [(item, kind, "breach") for item, kind in claim_many(session, breaches, "breach_fired_at", now)]
    claim_many(session, [(i, k) for i, k in breaches if i.rows[k].warned_at is None], "warned_at", now)
    won += [(item, kind, "warning") for item, kind in claim_many(session, warnings, "warned_at", now)]
    return won


def claim_many(session: Session, wanted: list[tuple[Tracked, str]], marker: str,
               now: datetime) -> list[tuple[Tracked, str]]:
    """`claim` for many clocks: one conditional UPDATE ... RETURNING per kind and chunk."""
    if not wanted:
        return []
    if not session.get_bind().dialect.update_returning:  # e.g. SQLite before 3.35
        return [(item, kind) for item, kind in wanted if claim(session, item.rows[kind], marker, now)]
    session.flush()
    column, table = getattr(SlaClock, marker), SlaClock.__table__
    won: set[tuple[int, str]] = set()
    by_kind: dict[str, list[int]] = {}
    for item, kind in wanted:
        by_kind.setdefault(kind, []).append(item.ticket.id)
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), BATCH):
            stmt = (table.update()
                    .where(table.c.kind == kind, table.c.ticket_id.in_(ids[start:start + BATCH]), column.is_(None))
                    .values({marker: now}).returning(table.c.ticket_id))
            won.update((tid, kind) for tid in session.connection().execute(stmt).scalars())
    lost = []
    for item, kind in wanted:
        if (item.ticket.id, kind) in won:
            set_committed_value(item.rows[kind], marker, now)
        else:
            lost.append(item.rows[kind])
    _learn(session, lost, marker)
    return [(item, kind) for item, kind in wanted if (item.ticket.id, kind) in won]


def _learn(session: Session, rows: list[SlaClock], marker: str) -> None:
    """Someone else fired these: read when, so the ticket's next check is right."""
    table = SlaClock.__table__
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        found = {(tid, kind): value for tid, kind, value in session.connection().execute(
            select(table.c.ticket_id, table.c.kind, table.c[marker])
            .where(table.c.ticket_id.in_({r.ticket_id for r in chunk})))}
        for row in chunk:
            set_committed_value(row, marker, found.get((row.ticket_id, row.kind)))


def claim(session: Session, row: SlaClock, marker: str, now: datetime) -> bool:
    """Set `marker` if nobody has: True only for the one caller that did
    (`UPDATE sla_clock SET marker = :now WHERE ... AND marker IS NULL`, rowcount 1)."""
    column = getattr(SlaClock, marker)
    session.flush()
    changed = session.connection().execute(
        update(SlaClock)
        .where(SlaClock.ticket_id == row.ticket_id, SlaClock.kind == row.kind, column.is_(None))
        .values({marker: now})
    ).rowcount == 1
    if changed:
        set_committed_value(row, marker, now)
    else:
        session.refresh(row, [marker])  # someone else fired it; learn when
    return changed


# -- acting ------------------------------------------------------------------------------

def carry_out(session: Session, won: list[tuple[Tracked, str, str]], now: datetime) -> None:
    """Record, publish and act on fired warnings and breaches.

    The ticket changes of one ticket are merged into one update (a breach's
    after its warning's), and the clocks of the changed tickets are recomputed
    once for all at the end rather than once per change."""
    directory = _Directory(session)
    merged: dict[int, tuple[Ticket, list[tuple[str, str, SlaClock, Actions]]]] = {}
    notes = []
    for item, kind, what in sorted(won, key=lambda w: w[2] == "breach"):
        row = item.rows[kind]
        actions = _announce(session, item, kind, what, row)
        if actions is None:
            continue
        text = _notice(item.ticket, kind, what, row)
        notes += [(agent_id, item.ticket.id, EVENT_NAMES[what], text)
                  for agent_id in directory.recipients(item.ticket, actions.notify, what)]
        merged.setdefault(item.ticket.id, (item.ticket, []))[1].append((kind, what, row, actions))
    notifications.notify_many(session, notes)
    with one_recompute(session, now=now, reason="SLA actions"):
        for ticket, fired in merged.values():
            _change_ticket(session, ticket, fired)


def _announce(session: Session, tracked: Tracked, kind: str, what: str, row: SlaClock) -> Actions | None:
    """Record the event and publish it; returns what the policy says to do."""
    ticket, policy = tracked.ticket, tracked.policy
    name = EVENT_NAMES[what]
    instant = row.due_at
    said = f"{LABELS[kind]} {'due' if what == 'warning' else 'breached'} at {instant.isoformat() if instant else '?'}"
    record(session, SYSTEM, "ticket", ticket.id, name, None, said, reason=f"SLA policy {row.policy}")
    bus.publish(session, bus.DomainEvent(name, ticket.id, SYSTEM, data={
        "kind": kind, "policy": row.policy, "due_at": instant.isoformat() if instant else None}))
    if policy is None or policy.name != row.policy:
        return None
    return policy.on_warning if what == "warning" else policy.on_breach


def _change_ticket(session: Session, ticket: Ticket, fired: list[tuple[str, str, SlaClock, Actions]]) -> None:
    from helpdesk.services.tickets.lifecycle import update_ticket

    changes = _changes([actions for *_, actions in fired])
    if changes is None:
        return
    what = fired[-1][1]
    reason = "SLA " + "; ".join(f"{w}: {row.policy}, {LABELS[k]}" for k, w, row, _ in fired)
    try:
        with session.begin_nested():
            update_ticket(session, SYSTEM, ticket.id, changes, reason=reason)
    except HelpdeskError as exc:
        _failed(session, ticket.id, what, f"could not change the ticket: {exc.message}")


def _changes(all_actions: list[Actions]):
    """One TicketChanges for several actions; later ones win (a breach's over a warning's)."""
    from helpdesk.services.tickets.lifecycle import TicketChanges

    changes = TicketChanges()
    for actions in all_actions:
        changes.priority = actions.set_priority or changes.priority
        changes.assignee = actions.reassign or changes.assignee
        changes.team = actions.team or changes.team
        changes.add_tags = list(dict.fromkeys([*changes.add_tags, *actions.add_tags]))
    return None if changes.is_empty() else changes


class _Directory:
    """Who to notify, looked up once per sweep."""

    def __init__(self, session: Session):
        self.session = session
        self.members: dict[int, list[int]] = {}
        self.names: dict[str, object] = {}

    def recipients(self, ticket: Ticket, targets: tuple[str, ...], what: str) -> list[int]:
        found: list[int] = []
        for target in targets:
            kind, _, name = target.partition(":")
            if target == "assignee":
                found += [ticket.assignee_id] if ticket.assignee_id else []
            elif target == "team":
                found += self.team_members(ticket.team_id) if ticket.team_id else []
            elif kind == "team":
                team = self.lookup(target, lambda: agents.find_team(self.session, name))
                if team is None:
                    _failed(self.session, ticket.id, what, f"no team {name!r} to notify")
                else:
                    found += self.team_members(team.id)
            elif kind == "agent":
                agent = self.lookup(target, lambda: agents.find_agent(self.session, name))
                if agent is None or not agent.active:
                    _failed(self.session, ticket.id, what, f"no active agent {name!r} to notify")
                else:
                    found.append(agent.id)
        return list(dict.fromkeys(found))

    def lookup(self, key: str, find):
        if key not in self.names:
            self.names[key] = find()
        return self.names[key]

    def team_members(self, team_id: int) -> list[int]:
        if team_id not in self.members:
            self.members[team_id] = list(self.session.execute(
                select(Agent.id).where(Agent.team_id == team_id, Agent.active.is_(True)).order_by(Agent.id)
            ).scalars())
        return self.members[team_id]


def _notice(ticket: Ticket, kind: str, what: str, row: SlaClock) -> str:
    when = row.due_at.strftime("%Y-%m-%d %H:%M UTC") if row.due_at else "?"
    verb = f"due {when}" if what == "warning" else f"breached at {when}"
    return f"#{ticket.id} {ticket.subject}: {LABELS[kind]} {verb} ({row.policy})"


def _failed(session: Session, ticket_id: int, what: str, why: str) -> None:
    record(session, SYSTEM, "ticket", ticket_id, "sla.action_failed", None, why, reason=f"on {what}")

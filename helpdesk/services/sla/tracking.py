"""Keeps every ticket's SLA clocks current: a bus subscriber around `track`.

On ticket.created / ticket.updated / message.added the ticket's Timeline is
rebuilt from its Events (status changes) and Messages (public replies), the
first matching policy is found, the clocks are computed from the ticket's
start (so a policy change applies retroactively) and written to `sla_clock`
rows plus the ticket's summary columns:

- sla_policy;
- sla_state, the worst clock: breached > warning > running > paused > met
  ('warning' once a running clock passed its warn_at);
- sla_due_at, the earliest due instant of a clock still consuming time
  (a breached one's is in the past, so `sla:due<2h` lists overdue tickets too);
- sla_check_at, the next warning or breach the sweep must fire (None when
  nothing is pending): the indexed column the sweep reads, never a full scan.

None of this bumps the ticket's version or updated_at: clocks are derived data.
The sweep (escalations.py) reuses `summary` to move the columns on when a
warning or breach comes. A clock's fired-once markers (warned_at, breach_fired_at) survive recomputation
while it is the same clock (same policy, same start); a new policy or a new
wait for a reply is a new clock, which may warn and breach again.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from helpdesk.models import STATUSES, Event, Message, SlaClock, Ticket, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import SYSTEM, Actor
from helpdesk.services.core.audit import record
from helpdesk.services.core.bulk_sql import (
    Queue,
    delete_rows,
    insert_rows,
    is_sqlite,
    listed,
    run_queued,
    update_rows,
)
from helpdesk.services.sla.clocks import is_running
from helpdesk.services.sla.fresh import COLUMNS as FRESH_COLUMNS
from helpdesk.services.sla.fresh import SUMMARY, FreshClocks
from helpdesk.services.sla.policies import clocks_may_move, policies_for, policy_index, stored_config
from helpdesk.sla import (
    Clock,
    Policy,
    SlaClocks,
    Timeline,
    TimelineEvent,
    compute_clocks,
)
from helpdesk.sla_config import SlaConfig

STATE_RANK = {"met": 0, "paused": 1, "running": 2, "warning": 3, "breached": 4}
_CHUNK = 500  # ids per IN (...) list


@dataclass
class Tracked:
    """One ticket's policy, computed clocks (None when read back by the sweep) and stored rows."""

    ticket: Ticket
    policy: Policy | None
    clocks: SlaClocks | None
    rows: dict[str, SlaClock] = field(default_factory=dict)  # by kind


@bus.subscribe("ticket.created", "ticket.updated", "message.added")
def on_ticket_change(session: Session, event: bus.DomainEvent) -> None:
    if event.ticket_id is None:
        return
    if event.name == "ticket.updated" and not clocks_may_move(session, event):
        return  # a tag, an assignee, a field no policy reads: no clock moves
    ticket = session.get(Ticket, event.ticket_id)
    if ticket is None:
        return
    batch = session.info.get("sla_batch")
    if batch is not None:  # inside one_recompute: done once for all on the way out
        batch[ticket.id] = None
        return
    seen = session.info.setdefault("sla_tracked", {})
    if event.name == "message.added" and seen.get(ticket.id) == ticket.version:
        return  # the services publish ticket.updated (version bumped) for the same message just before
    cause = ", ".join(event.changes) if event.changes else event.name
    track(session, [ticket.id], now=utcnow(), actor=event.actor or SYSTEM, reason=f"after {cause}")
    seen[ticket.id] = ticket.version


@bus.many(on_ticket_change)
def on_ticket_changes(session: Session, events: list[bus.DomainEvent]) -> None:
    """One change to many tickets (a rule's firing over a batch, routing's assignments):
    inside `one_recompute`, where triggers and routing run, the tickets are only queued,
    without loading each; otherwise each as `on_ticket_change` does."""
    batch = session.info.get("sla_batch")
    if batch is None:
        for event in events:
            on_ticket_change(session, event)
        return
    batch.update(dict.fromkeys(e.ticket_id for e in events if e.ticket_id is not None and not (
        e.name == "ticket.updated" and not clocks_may_move(session, e))))


ACTIVE = ("new", "open", "pending", "on_hold")


@bus.subscribe("tickets.imported", "tickets.created")
def on_many_tickets(session: Session, event: bus.DomainEvent) -> None:
    """Batch creation (imports, JSON Lines): clocks for the tickets still being worked.

    Solved and closed history from a spreadsheet gets no clocks: a promise can no
    longer be kept or broken there, and computing one per row would cost the import."""
    now, actor = utcnow(), event.actor or SYSTEM
    created, imported = list(event.data.get("ids", ())), event.name == "tickets.imported"
    clocked = set(event.data.get("clocked", ()))  # worked out before the insert (sla_fresh.ClocksAhead)
    created = [tid for tid in created if tid not in clocked]
    for start in range(0, len(created), _BULK_CHUNK):
        track_created(session, created[start:start + _BULK_CHUNK], now=now, settle=imported)
    updated = list(event.data.get("updated", ()))
    for start in range(0, len(updated), _CHUNK):
        part = updated[start:start + _CHUNK]
        # being worked, or solved by this change while it had clocks (they stop now)
        active = session.execute(select(Ticket.id).where(Ticket.id.in_(part), or_(
            Ticket.status.in_(ACTIVE), Ticket.sla_policy.is_not(None)))).scalars().all()
        if active:
            track(session, list(active), now=now, actor=actor, reason=f"after {event.name}")


_BULK_CHUNK = 5000  # tickets per round of track_created: bounds the rows held in memory


def track_created(session: Session, ticket_ids: list[int], *, now: datetime, settle: bool = False) -> int:
    """Clocks for tickets just created in bulk and not solved or closed; returns how many got some.

    settle: warnings and breaches already past (a spreadsheet's old open tickets) are
    marked fired, so the sweep does not act on history: no flood of notifications,
    tags and reassignments for what went wrong before the desk took over.

    What `track` would store, without its ORM objects (`sla_fresh`): new tickets have no
    clock rows and no policy yet, so their clocks go in with one INSERT and their
    summary columns with one UPDATE (on SQLite, each one statement over a JSON array:
    no GIL needed while it runs, which matters on the import's write-behind thread).
    Ticket objects already in the session are not refreshed."""
    config = stored_config(session)
    if config is None or not config.policies or not ticket_ids:
        return 0
    first = policy_index(session, config, now)
    if first is None:
        return 0
    tickets = session.execute(select(Ticket.id, Ticket.created_at, Ticket.status, first).where(
        Ticket.id.in_(listed(session, ticket_ids)), Ticket.status.in_(ACTIVE))).all()
    fresh = FreshClocks(config, now, settled_at=now if settle else None)
    clocks, summaries = [], []
    for tid, created, status, index in tickets:
        if index >= 0:
            rows, summary_row = fresh.rows(tid, created, status, config.policies[index])
            clocks += rows
            summaries.append(summary_row)
    queue: Queue | None = [] if is_sqlite(session) else None
    insert_rows(session, SlaClock.__table__, FRESH_COLUMNS, clocks, queue)
    update_rows(session, Ticket.__table__, "id", SUMMARY, summaries, queue)
    if queue:
        run_queued(session, queue)
    return len(summaries)


def track(session: Session, ticket_ids: list[int], *, now: datetime, actor: Actor = SYSTEM,
          reason: str | None = None) -> list[Tracked]:
    """Recompute and store the clocks of these tickets as of `now`."""
    tickets = _tickets(session, ticket_ids)
    config = stored_config(session)
    policies = policies_for(session, config, [t.id for t in tickets], now=now)
    timelines = timelines_of(session, tickets)
    rows = _rows(session, [t.id for t in tickets])
    out, first_rows = [], []
    for ticket in tickets:
        policy = policies[ticket.id]
        clocks = None
        if policy is not None:
            clocks = compute_clocks(timelines[ticket.id], policy, config.calendar_for(policy),
                                    max(now, ticket.created_at))
        tracked = Tracked(ticket, policy, clocks, _store(session, ticket.id, clocks, rows[ticket.id], first_rows))
        _note_policy_change(session, actor, ticket, policy, reason)
        ticket.sla_state, ticket.sla_due_at, ticket.sla_check_at = summary(ticket, tracked.rows, config, now)
        out.append(tracked)
    insert_rows(session, SlaClock.__table__, FRESH_COLUMNS,
                [tuple(getattr(row, c) for c in FRESH_COLUMNS) for row in first_rows])
    return out


_MUTABLE = FRESH_COLUMNS[2:]  # what a recompute may change in a clock row (not ticket_id, kind)


def track_many(session: Session, tickets, *, now: datetime | None = None, actor: Actor = SYSTEM,
               reason: str | None = None) -> int:
    """`track` for a set of tickets (Ticket objects or ids), set-based; returns how many
    tickets' clocks or summary changed.

    The same clocks, summary columns and policy-change events as `track` ticket by
    ticket, but the reads are one per chunk (policies, timelines, clock rows as plain
    rows) and the writes one executemany each: new clock rows, changed ones, gone ones,
    changed summaries. Ticket and clock objects already in the session are brought up
    to date without being marked changed. For batch work (automations, triggers over a
    batch, routing); the per-change subscriber keeps `track`."""
    now = now or utcnow()
    tickets = [t for t in tickets if t is not None]
    if tickets and not isinstance(tickets[0], Ticket):
        tickets = _held_tickets(session, tickets)
    tickets = list({t.id: t for t in tickets}.values())
    if not tickets:
        return 0
    config = stored_config(session)
    ids = [t.id for t in tickets]
    policies = policies_for(session, config, ids, now=now)
    timelines = timelines_of(session, tickets)
    existing = _plain_rows(session, ids)
    inserts, updates, deletes, summaries, changed = [], [], [], [], 0
    for ticket in tickets:
        policy = policies[ticket.id]
        clocks = None
        if policy is not None:
            clocks = compute_clocks(timelines[ticket.id], policy, config.calendar_for(policy),
                                    max(now, ticket.created_at))
        rows, touched = existing[ticket.id], False
        stored: dict[str, FirstRow] = {}
        for kind in ("first_response", "next_response", "resolution"):
            clock = getattr(clocks, kind) if clocks else None
            row = rows.get(kind)
            if clock is None:
                if row is not None:
                    deletes.append((ticket.id, kind))
                    touched = True
                continue
            values = [clocks.policy, clock.target_seconds, clock.state, clock.started_at, clock.due_at,
                      clock.warn_at, clock.met_at, clock.breached_at,
                      clock.target_seconds - clock.remaining_seconds, None, None]
            if row is None:
                inserts.append((ticket.id, kind, *values))
                touched = True
            else:
                old = row
                if old[0] == values[0] and old[3] == values[3]:  # the same clock: its markers stay
                    values[9], values[10] = old[9], old[10]
                if list(old) != values:
                    updates.append((ticket.id, kind, *values))
                    touched = True
            stored[kind] = FirstRow(ticket.id, kind, *values)
        _note_policy_change_plain(session, actor, ticket, policy, reason)
        new = (policy.name if policy else None, *summary(ticket, stored, config, now))
        if new != (ticket.sla_policy, ticket.sla_state, ticket.sla_due_at, ticket.sla_check_at):
            summaries.append((ticket, new))
            touched = True
        changed += touched
    _write_many(session, inserts, updates, deletes, summaries, set(ids))
    return changed


def _held_tickets(session: Session, ids: list[int]) -> list[Ticket]:
    """The tickets with these ids: those the session holds as they are, the rest in one query."""
    from sqlalchemy.orm.base import instance_state

    held: dict[int, Ticket] = {}
    for obj in session.identity_map.values():
        if isinstance(obj, Ticket):
            state = instance_state(obj)
            if not state.expired_attributes and not state.deleted:
                held[state.key[1][0]] = obj
    missing = [tid for tid in dict.fromkeys(ids) if tid not in held]
    if missing:
        for chunk in _chunks(missing):
            for ticket in session.execute(select(Ticket).where(Ticket.id.in_(listed(session, chunk)))).scalars():
                held[ticket.id] = ticket
    return [held[tid] for tid in dict.fromkeys(ids) if tid in held]


def _plain_rows(session: Session, ids: list[int]) -> dict[int, dict[str, tuple]]:
    """Each ticket's clock rows by kind, as their values in _MUTABLE order."""
    table = SlaClock.__table__
    rows: dict[int, dict[str, tuple]] = {tid: {} for tid in ids}
    for chunk in _chunks(ids):
        for row in session.execute(select(table.c.ticket_id, table.c.kind, *(table.c[name] for name in _MUTABLE))
                                   .where(table.c.ticket_id.in_(listed(session, chunk)))):
            rows[row[0]][row[1]] = tuple(row[2:])
    return rows


def _note_policy_change_plain(session: Session, actor: Actor, ticket: Ticket, policy: Policy | None,
                              reason: str | None) -> None:
    """`_note_policy_change`'s event, leaving the ticket's column to `_write_many`."""
    new = policy.name if policy else None
    if ticket.sla_policy != new and ticket.sla_policy is not None:
        record(session, actor, "ticket", ticket.id, "sla_policy", ticket.sla_policy, new,
               reason=f"targets recomputed from the ticket's start ({reason})" if reason
               else "targets recomputed from the ticket's start")


def _write_many(session: Session, inserts: list, updates: list, deletes: list, summaries: list,
                ids: set[int]) -> None:
    from sqlalchemy.orm.attributes import set_committed_value

    table = SlaClock.__table__
    session.flush()  # the policy-change events, and anything pending on these rows
    delete_rows(session, table, ("ticket_id", "kind"), deletes)
    update_rows(session, table, ("ticket_id", "kind"), _MUTABLE, updates)
    insert_rows(session, table, FRESH_COLUMNS, inserts)
    update_rows(session, Ticket.__table__, "id", ("sla_policy", *SUMMARY[1:]),
                [(ticket.id, *new) for ticket, new in summaries])
    for ticket, new in summaries:  # the loaded objects show the stored values, not marked changed
        for name, value in zip(("sla_policy", *SUMMARY[1:]), new):
            set_committed_value(ticket, name, value)
    if inserts or updates or deletes:
        gone = set(deletes)
        for obj in [o for o in session.identity_map.values() if isinstance(o, SlaClock) and o.ticket_id in ids]:
            if (obj.ticket_id, obj.kind) in gone:
                session.expunge(obj)
            else:
                session.expire(obj)


@contextmanager
def one_recompute(session: Session, *, now: datetime, reason: str | None = None, actor: Actor = SYSTEM):
    """Inside, ticket changes only queue the recomputation of their clocks; it
    runs once, for all of them, on the way out (batch work such as the sweep's actions).

    On the way out the clocks are worked out as of `now` or the current time, whichever
    is later: callers read `now` before their transaction, which may begin after other
    writers committed replies (waiting for the lock), and the changes made inside are
    stamped later still; a recompute as of the earlier `now` would not see them."""
    if "sla_batch" in session.info:  # already inside one: the outer one does it
        yield
        return
    queue = session.info["sla_batch"] = {}
    try:
        yield
    finally:
        session.info.pop("sla_batch", None)
    if queue:
        track_many(session, list(queue), now=max(now, utcnow()), actor=actor, reason=reason)


def recompute_open(session: Session, *, now: datetime, actor: Actor = SYSTEM, reason: str | None = None) -> int:
    """Recompute every ticket that is not closed (after new policies are loaded)."""
    ids = list(session.execute(select(Ticket.id).where(Ticket.status != "closed").order_by(Ticket.id)).scalars())
    for start in range(0, len(ids), _CHUNK):
        track_many(session, ids[start:start + _CHUNK], now=now, actor=actor, reason=reason)
    return len(ids)


# -- timelines ---------------------------------------------------------------------

def timelines_of(session: Session, tickets: list[Ticket]) -> dict[int, Timeline]:
    """Each ticket's SLA-relevant history: status changes, agent replies, customer messages.

    Internal notes do not count; a public reply by an agent answers the
    customer, any other public message is the customer's (or on their behalf)."""
    ids = [t.id for t in tickets]
    events: dict[int, list[TimelineEvent]] = defaultdict(list)
    first_status: dict[int, str] = {}
    for tid, at, old, new in _in_chunks(session, ids, lambda chunk: select(
            Event.ticket_id, Event.at, Event.old, Event.new)
            .where(Event.ticket_id.in_(listed(session, chunk)), Event.entity == "ticket", Event.field == "status")
            .order_by(Event.ticket_id, Event.at, Event.id)):
        if new not in STATUSES:
            continue
        first_status.setdefault(tid, old if old in STATUSES else "new")
        events[tid].append(TimelineEvent(at=at, kind="status", status=new))
    for tid, at, agent_id in _in_chunks(session, ids, lambda chunk: select(
            Message.ticket_id, Message.created_at, Message.author_agent_id)
            .where(Message.ticket_id.in_(listed(session, chunk)), Message.kind == "reply")):
        events[tid].append(TimelineEvent(at=at, kind="agent_reply" if agent_id else "customer_message"))
    return {t.id: Timeline(created_at=t.created_at, events=events[t.id],
                           status=first_status.get(t.id, t.status))
            for t in tickets}


def _in_chunks(session: Session, ids: list[int], statement) -> list:
    found = []
    for start in range(0, len(ids), _CHUNK):
        found.extend(session.execute(statement(ids[start:start + _CHUNK])).all())
    return found


# -- storing -------------------------------------------------------------------------

def _tickets(session: Session, ids: list[int]) -> list[Ticket]:
    if len(ids) == 1:  # the subscriber's case: usually already in the session
        ticket = session.get(Ticket, ids[0])
        return [ticket] if ticket is not None else []
    found = {t.id: t for chunk in _chunks(ids)
             for t in session.execute(select(Ticket).where(Ticket.id.in_(chunk))).scalars()}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _rows(session: Session, ids: list[int]) -> dict[int, dict[str, SlaClock]]:
    rows: dict[int, dict[str, SlaClock]] = {tid: {} for tid in ids}
    for chunk in _chunks(ids):
        for row in session.execute(select(SlaClock).where(SlaClock.ticket_id.in_(chunk))).scalars():
            rows[row.ticket_id][row.kind] = row
    return rows


def _chunks(ids: list[int]):
    return (ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK))


@dataclass
class FirstRow:
    """A clock row a ticket did not have yet: `track` inserts these in one statement
    after its loop (an ORM object each costs ~0.3 ms, most of a large recompute)."""

    ticket_id: int
    kind: str
    policy: str
    target_seconds: int
    state: str
    started_at: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    met_at: datetime | None = None
    breached_at: datetime | None = None
    elapsed_seconds: int = 0
    warned_at: datetime | None = None
    breach_fired_at: datetime | None = None


def _store(session: Session, ticket_id: int, clocks: SlaClocks | None,
           existing: dict[str, SlaClock], first_rows: list[FirstRow]) -> dict[str, SlaClock]:
    stored: dict[str, SlaClock] = {}
    for kind in ("first_response", "next_response", "resolution"):
        clock = getattr(clocks, kind) if clocks else None
        row = existing.get(kind)
        if clock is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = FirstRow(ticket_id=ticket_id, kind=kind, policy=clocks.policy, target_seconds=clock.target_seconds,
                           state=clock.state)
            first_rows.append(row)
        elif row.policy != clocks.policy or row.started_at != clock.started_at:
            row.warned_at = row.breach_fired_at = None  # a new clock: it may warn and breach anew
        _copy(row, clocks.policy, clock)
        stored[kind] = row
    return stored


def _copy(row: SlaClock, policy: str, clock: Clock) -> None:
    # only what differs is set: a recompute mostly finds the clock as it was, and each
    # set on a table model costs pydantic's and SQLAlchemy's bookkeeping (~5 µs)
    for name, value in (("policy", policy), ("target_seconds", clock.target_seconds), ("state", clock.state),
                        ("started_at", clock.started_at), ("due_at", clock.due_at), ("warn_at", clock.warn_at),
                        ("met_at", clock.met_at), ("breached_at", clock.breached_at),
                        ("elapsed_seconds", clock.target_seconds - clock.remaining_seconds)):
        if getattr(row, name) != value:
            setattr(row, name, value)


def _note_policy_change(session: Session, actor: Actor, ticket: Ticket, policy: Policy | None,
                        reason: str | None) -> None:
    _note_policy_change_plain(session, actor, ticket, policy, reason)
    ticket.sla_policy = policy.name if policy else None


# -- the ticket's summary ----------------------------------------------------------------

def summary(ticket: Ticket, rows: dict[str, SlaClock], config: SlaConfig | None,
            now: datetime) -> tuple[str | None, datetime | None, datetime | None]:
    """(sla_state, sla_due_at, sla_check_at) of a ticket from its stored clocks."""
    states = [shown_state(row, now) for row in rows.values()]
    state = max(states, key=STATE_RANK.__getitem__) if states else None
    due = min((row.due_at for row in rows.values()
               if row.due_at is not None and is_running(row, ticket, config)), default=None)
    return state, due, check_at(rows)


def shown_state(row: SlaClock, now: datetime) -> str:
    if row.state == "running" and row.due_at is not None and row.due_at <= now:
        return "breached"
    if row.state == "running" and row.warn_at is not None and row.warn_at <= now:
        return "warning"
    return row.state


def check_at(rows: dict[str, SlaClock]) -> datetime | None:
    """The earliest warning or breach of an unmet clock that was not fired yet."""
    return min((instant for row in rows.values() for instant in pending_instants(row)), default=None)


def pending_instants(row: SlaClock) -> list[datetime]:
    if row.met_at is not None:
        return []
    pending = []
    if row.warn_at is not None and row.warned_at is None:
        pending.append(row.warn_at)
    if row.due_at is not None and row.breach_fired_at is None and row.state in ("running", "breached"):
        pending.append(row.due_at)
    return pending

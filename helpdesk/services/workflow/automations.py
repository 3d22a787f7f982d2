"""Time-based automations: every ticket matching an automation's `when` gets its actions.

Run every minute by the worker and the app (`helpdesk rules run` on demand), in file
order, oldest status first. Each automation's actions make its own condition false
(checked at load), so a ticket is acted on once, and a run cut short leaves the
rest for the next minute: nothing is skipped, nothing done twice. With a `calendar`,
`status_age:` counts that SLA calendar's business time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.models import Event, Team, Ticket, TicketTag, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.rules import Automation, parse_when
from helpdesk.services.sla.tracking import one_recompute
from helpdesk.services.workflow.actions import fire, rule_actor
from helpdesk.services.workflow import batch
from helpdesk.services.workflow.batch import _Plan, fire_many
from helpdesk.services.workflow.stored import stored_rules

CHUNK = 500  # tickets per transaction: a long run never holds the write lock for long


@dataclass
class RunResult:
    matched: dict[str, int] = field(default_factory=dict)  # automation -> tickets acted on (or that would be)
    warnings: int = 0
    more: bool = False  # a chunk was full: call again
    tickets: dict[str, list[int]] = field(default_factory=dict)

    def add(self, other: RunResult) -> RunResult:
        for name, n in other.matched.items():
            self.matched[name] = self.matched.get(name, 0) + n
        for name, ids in other.tickets.items():
            self.tickets.setdefault(name, []).extend(ids)
        self.warnings += other.warnings
        self.more = other.more
        return self

    def to_dict(self) -> dict:
        return {"actions": sum(self.matched.values()), "by_rule": self.matched, "warnings": self.warnings,
                "tickets": self.tickets}


def run_now(session: Session, actor: Actor, *, now: datetime | None = None, dry_run: bool = False,
            ahead: dict[str, Ahead] | None = None) -> RunResult:
    """`helpdesk rules run`: agents run the automations ahead of the worker; anyone who may
    read the desk may see what they would do (`--dry-run`)."""
    require(actor, "viewer" if dry_run else "agent")
    return run_automations(session, now=now, dry_run=dry_run, ahead=ahead)


def run_automations(session: Session, *, now: datetime | None = None, dry_run: bool = False,
                    limit: int = CHUNK, ahead: dict[str, Ahead] | None = None) -> RunResult:
    """One chunk: up to `limit` tickets over all automations. `more` says call again.

    ahead: kept by a caller that runs chunk after chunk (`run_job`, `rules run`): the
    tickets one query found beyond this chunk, so the next chunks check just those
    rather than search the desk again (see Ahead)."""
    now = now or utcnow()
    result = RunResult()
    budget = limit
    for automation in stored_rules(session).automations:
        if budget <= 0:
            result.more = True
            break
        if dry_run or ahead is None:
            ids = matching_ids(session, automation, now, limit=budget + (1 if not dry_run else 0))
        else:
            ids = ahead.setdefault(automation.name, Ahead()).next(session, automation, now, budget + 1)
        if not dry_run and len(ids) > budget:
            ids, result.more = ids[:budget], True
        result.matched[automation.name] = len(ids)
        result.tickets[automation.name] = ids
        if dry_run:
            continue
        failed = _act(session, automation, ids, now)
        if ahead is not None:
            ahead[automation.name].taken(ids, failed)
        result.warnings += len(failed)
        budget -= len(ids)
    if dry_run:
        result.more = False
    return result


LOOKAHEAD = 20  # chunks' worth of tickets one search reads for the chunks after it


@dataclass
class Ahead:
    """One automation's matches read ahead, oldest first, for the next chunks of a run.

    Searching the desk costs the same for 501 tickets as for 10,001 (~0.1 s over 100k
    tickets: it walks every ticket in the status), and a run of 20,000 matches is 40
    chunks. So one search reads 20 chunks ahead, and each chunk checks its next
    tickets again by id (still matching, in a new transaction: none done twice); when
    they run out the desk is searched again, which also finds what began to match
    meanwhile, as the chunk-by-chunk search would at its end."""

    queue: list[int] = field(default_factory=list)
    # tickets whose actions failed this run (a warning each): they still match, and
    # without this the run would pick them again and again ("none twice")
    failed: set[int] = field(default_factory=set)

    def next(self, session: Session, automation: Automation, now: datetime, wanted: int) -> list[int]:
        """The oldest `wanted` tickets matching now (fewer when there are no more); they
        stay queued until `taken`."""
        found: list[int] = []
        while self.queue and len(found) < wanted:
            take, self.queue = self.queue[:wanted - len(found)], self.queue[wanted - len(found):]
            found += matching_ids(session, automation, now, among=take)
        if len(found) < wanted:  # the read-ahead ran out: search the desk, as each chunk did
            self.queue = matching_ids(session, automation, now, limit=wanted * LOOKAHEAD + 1,
                                      excluding=self.failed)
            return self.queue[:wanted]
        self.queue = found + self.queue
        return found

    def taken(self, ids: list[int], failed: list[int]) -> None:
        """These were acted on (`failed`: with a warning): they leave the queue for good."""
        self.failed.update(failed)
        done = set(ids)
        self.queue = [tid for tid in self.queue if tid not in done]


def _act(session: Session, automation: Automation, ids: list[int], now: datetime) -> list[int]:
    """Fire the automation on these tickets; returns those whose actions failed (a warning each)."""
    if not ids:
        return []
    # loaded in one query (and held: the session keeps them only weakly), and their
    # SLA clocks worked out once for the lot rather than once a ticket
    held = {t.id: t for t in session.execute(select(Ticket).where(Ticket.id.in_(ids))).scalars()}
    with one_recompute(session, now=now, actor=rule_actor(automation.name),
                       reason=f"after automation {automation.name}"):
        done = None
        if len(ids) >= 2 and batch.batchable(automation.actions):
            done = _act_set(session, automation, ids, held)
        if done is None:  # ticket by ticket (or workflow/batch.py's ORM set path)
            done = fire_many(session, ids, automation.name, automation.actions, kind="automation")
    del held
    return [tid for tid, changed in done.items() if changed is None]


def _act_set(session: Session, automation: Automation, ids: list[int],
             tickets: dict[int, Ticket]) -> dict[int, dict | None] | None:
    """`fire_many` for tags, priority and team, with plain statements: one UPDATE of the
    changed tickets (version, updated_at and the set fields: the same values for all),
    the tag rows and the events each in one executemany, the loaded objects brought up
    to date without being marked changed. Per ticket the rows, events (and their order)
    and `ticket.updated` are `fire`'s. None: the actions need the ticket-by-ticket path."""
    plan = _Plan.make(session, automation.actions)
    if plan is None:
        return None
    name, actor = automation.name, rule_actor(automation.name)
    out: dict[int, dict | None] = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        out.update(_set_chunk(session, part, name, actor, plan, tickets))
    return {tid: out[tid] for tid in ids}




def _set_chunk(session: Session, ids: list[int], name: str, actor, plan: _Plan,
               tickets: dict[int, Ticket]) -> dict[int, dict | None]:
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    from helpdesk.services.core import bus
    from helpdesk.services.core.audit import EVENT_COLUMNS, _text
    from helpdesk.services.core.bulk_sql import delete_rows, insert_rows, listed
    from helpdesk.services.tickets.lifecycle import tags_of_many

    session.flush()
    odd = [tid for tid in ids if tid not in tickets or tickets[tid].status == "closed"]
    tags = {tid: set(found) for tid, found in tags_of_many(session, ids).items()} if plan.add or plan.remove \
        else {tid: set() for tid in ids}
    team_names = dict(session.execute(select(Team.id, Team.name)).all()) if plan.sets_team else {}
    now = utcnow()
    out: dict[int, dict | None] = {}
    new_tags, gone_tags, events, published = [], [], [], []
    reason = f"rule {name}"
    for tid in ids:
        if tid in odd:
            continue
        before = tags[tid]
        diff, after = plan.diff(tickets[tid], before, team_names)
        if after != before:
            new_tags += [(tid, t) for t in sorted(after - before)]
            gone_tags += [(tid, t) for t in before - after]
        if diff:
            events += [(tid, "ticket", tid, now, actor.label, field, _text(old), _text(new), reason)
                       for field, (old, new) in diff.items()]
            published.append((tid, diff))
        out[tid] = diff
    changed = [tid for tid, _ in published]
    if changed:
        T = Ticket.__table__
        values = {"version": T.c.version + 1, "updated_at": now}
        if plan.priority is not None:
            values["priority"] = plan.priority
        if plan.sets_team:
            values["team_id"] = plan.team.id if plan.team else None
        session.execute(update(T).where(T.c.id.in_(listed(session, changed))).values(values)
                        .execution_options(synchronize_session=False))
        for tid in changed:
            ticket = tickets[tid]
            set_committed_value(ticket, "version", ticket.version + 1)
            set_committed_value(ticket, "updated_at", now)
            if plan.priority is not None:
                set_committed_value(ticket, "priority", plan.priority)
            if plan.sets_team:
                set_committed_value(ticket, "team_id", values["team_id"])
    delete_rows(session, TicketTag.__table__, ("ticket_id", "tag"), gone_tags)
    insert_rows(session, TicketTag.__table__, ("ticket_id", "tag"), new_tags)
    insert_rows(session, Event.__table__, EVENT_COLUMNS, events)
    for obj in [o for o in session.identity_map.values() if isinstance(o, TicketTag) and o.ticket_id in tags]:
        session.expunge(obj)  # rows just written around the ORM: none stale in the session
    for tid, diff in published:
        bus.publish(session, bus.DomainEvent("ticket.updated", tid, actor, changes=diff))
    now = utcnow()
    insert_rows(session, Event.__table__, EVENT_COLUMNS,
                [(tid, "ticket", tid, now, actor.label, "rule", None, _text(f"automation {name}"),
                  ", ".join(sorted(out[tid])) or "no change") for tid in ids if tid not in odd])
    for tid in odd:
        out[tid] = fire(session, tid, name, plan.actions, kind="automation")
    return out


def matching_ids(session: Session, automation: Automation, now: datetime, *, limit: int | None = None,
                 among: list[int] | None = None, excluding: set[int] = frozenset()) -> list[int]:
    """Tickets the automation acts on now, oldest status first; `among`: only of these."""
    from helpdesk.query_sql import Compiler

    compiler = Compiler(session, me=None, now=now, age_start=_age_start(session, automation, now))
    stmt = (select(Ticket.id).where(compiler.compile(parse_when(automation.when)), Ticket.status != "closed")
            .order_by(func.coalesce(Ticket.status_changed_at, Ticket.updated_at), Ticket.id))
    if among is not None:
        stmt = stmt.where(Ticket.id.in_(among))
    if excluding:  # few: only tickets whose actions failed earlier in this run
        stmt = stmt.where(Ticket.id.not_in(sorted(excluding)))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())


def _age_start(session: Session, automation: Automation, now: datetime):
    if not automation.calendar:
        return None
    from helpdesk.calendar import business_time_before
    from helpdesk.services.sla.policies import require_config

    calendar = require_config(session).calendars.get(automation.calendar)
    if calendar is None:
        from helpdesk.errors import Invalid

        raise Invalid(f"automation {automation.name!r}: the SLA calendar {automation.calendar!r} is gone; "
                      "load rules or SLA policies again")
    return lambda seconds: business_time_before(calendar, now, seconds)


def run_job(desk) -> dict:
    """The worker's minute: chunks until nothing is left (each its own transaction)."""
    total, ahead = RunResult(), {}
    while True:
        now = utcnow()
        part = desk.write(lambda s: run_automations(s, now=now, ahead=ahead, limit=CHUNK))
        total.add(part)
        if not part.more:
            return {"actions": sum(total.matched.values()), "warnings": total.warnings}

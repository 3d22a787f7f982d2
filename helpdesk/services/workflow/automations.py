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

from helpdesk.models import Ticket, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.rules import Automation, parse_when
from helpdesk.services.sla.tracking import one_recompute
from helpdesk.services.workflow.actions import rule_actor
from helpdesk.services.workflow.batch import fire_many
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
    held = list(session.execute(select(Ticket).where(Ticket.id.in_(ids))).scalars())
    with one_recompute(session, now=now, actor=rule_actor(automation.name),
                       reason=f"after automation {automation.name}"):
        # set-at-a-time where the actions allow it (workflow/batch.py), else ticket by ticket
        done = fire_many(session, ids, automation.name, automation.actions, kind="automation")
    del held
    return [tid for tid, changed in done.items() if changed is None]


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

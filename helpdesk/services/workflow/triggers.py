"""Triggers: rules that run after every change, in file order, inside its transaction.

A change (ticket created, updated, a message) is collected by the subscriber below;
just before the commit the triggers whose `on` and `changed` fit are checked
against the ticket as it is then (`when`, the query language, one SQL query for
many tickets and triggers at once) and fire in file order. A later trigger sees
what earlier ones changed: after a firing the rest are checked again. The changes
triggers make are a new link of the same chain: triggers not fired yet may fire on
them. A trigger fires at most once per ticket per chain; a chain stops at depth 10
with a warning event.

Imported history (`helpdesk import`) fires no triggers: a migration of last year's
tickets must not mail their customers again. Routing still serves what waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, true
from sqlmodel import Session

from helpdesk.models import Ticket, utcnow
from helpdesk.rules import RuleSet, Trigger
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.core.bulk_sql import listed
from helpdesk.services.workflow.actions import fire, rule_actor
from helpdesk.services.workflow.batch import fire_many
from helpdesk.services.workflow.reads import may_read, parsed, touched
from helpdesk.services.workflow.stored import stored_rules

DEPTH_MAX = 10
CHUNK = 5000  # tickets checked and fired together (see batch.CHUNK)
PENDING, STATE, HELD = "trigger_pending", "trigger_state", "trigger_held"


@dataclass
class Change:
    """What happened to one ticket since its triggers last ran."""

    on: set[str] = field(default_factory=set)  # created, updated, message
    changed: dict[str, object] = field(default_factory=dict)  # field -> its new value
    authors: set[str] = field(default_factory=set)  # customer / agent, for messages


@dataclass
class Chain:
    fired: set[str] = field(default_factory=set)
    depth: int = 0


# -- collecting changes ------------------------------------------------------------

def _pending(session: Session) -> dict[int, Change]:
    return session.info.setdefault(PENDING, {})


def _note(session: Session, ticket_id: int, on: str, changes: dict | None = None, author: str | None = None) -> None:
    if not stored_rules(session).triggers:
        return
    change = _pending(session).setdefault(ticket_id, Change())
    change.on.add(on)
    for name, (_old, new) in (changes or {}).items():
        change.changed[name] = new
    if author:
        change.authors.add(author)
    _hold(session, ticket_id)
    bus.at_commit(session, "triggers", run_pending)


def _hold(session: Session, ticket_id: int) -> None:
    """Keep the changed ticket's object (if the session has it) until this transaction ends.

    The identity map holds objects weakly, and the set-based firing never loads tickets:
    without this, what runs after the triggers (SLA clocks, routing) would load again a
    ticket its own command had in hand (a SELECT, and in a one-shot CLI process the
    compiling of the ticket's load). Firings keep held objects current
    (`batch._committed`)."""
    ticket = session.identity_map.get((Ticket, (ticket_id,), None))
    if ticket is None:
        return
    transaction, held = session.info.get(HELD, (None, None))
    if transaction is not session.get_transaction():
        held = []
        session.info[HELD] = (session.get_transaction(), held)
    held.append(ticket)


@bus.subscribe("ticket.created")
def on_created(session: Session, event: bus.DomainEvent) -> None:
    _note(session, event.ticket_id, "created")


QUIET = {"reply", "note", "customer_reply", "first_response_at"}  # changes no trigger runs on


@bus.subscribe("ticket.updated")
def on_updated(session: Session, event: bus.DomainEvent) -> None:
    if event.changes and not set(event.changes) <= QUIET:
        _note(session, event.ticket_id, "updated", event.changes)


@bus.many(on_updated)
def on_many_updated(session: Session, events: list[bus.DomainEvent]) -> None:
    if not stored_rules(session).triggers:
        return
    pending = _pending(session)
    for event in events:
        if event.changes and not set(event.changes) <= QUIET:
            change = pending.setdefault(event.ticket_id, Change())
            change.on.add("updated")
            for name, (_old, new) in event.changes.items():
                change.changed[name] = new
    bus.at_commit(session, "triggers", run_pending)


@bus.subscribe("message.added")
def on_message(session: Session, event: bus.DomainEvent) -> None:
    if event.data.get("kind") == "note":
        return
    _note(session, event.ticket_id, "message", None, event.data.get("by"))


@bus.subscribe("tickets.created")
def on_many_created(session: Session, event: bus.DomainEvent) -> None:
    if not stored_rules(session).triggers:
        return
    for tid in event.data.get("ids", ()):
        _pending(session).setdefault(tid, Change()).on.add("created")
    bus.at_commit(session, "triggers", run_pending)


# -- running them ------------------------------------------------------------------

def run_pending(session: Session, now: datetime | None = None) -> int:
    """Run the triggers for every change collected so far; returns the firings."""
    rules = stored_rules(session)
    chains: dict[int, Chain] = session.info.setdefault(STATE, {})
    now = now or utcnow()
    checker = Checker(session, rules, now)
    fired = 0
    with _clocks_once(session, rules, now):
        while _pending(session):
            batch = dict(sorted(_pending(session).items()))
            _pending(session).clear()
            _created_values(session, rules, batch)
            fired += _pass(session, rules, checker, batch, chains)
    return fired


def _created_values(session: Session, rules: RuleSet, batch: dict[int, Change]) -> None:
    """A value a ticket was created with counts as changed from nothing, as a Zendesk
    admin expects of "changed to": a ticket created urgent fits `changed = { priority =
    "urgent" }` on `created`. Read once for the batch, only the fields such triggers name;
    a change noted since the creation (same transaction) keeps its own value."""
    names = {name for t in rules.triggers if "created" in t.on for name in t.changed}
    ids = [tid for tid, change in batch.items() if "created" in change.on] if names else []
    if not ids:
        return
    for tid, values in _values_now(session, ids, names).items():
        for name, value in values.items():
            batch[tid].changed.setdefault(name, value)


def _values_now(session: Session, ids: list[int], names: set[str]) -> dict[int, dict[str, object]]:
    """{ticket: {field: value}} as diffs name them (team and assignee by name and email,
    tags as the sorted list), for the fields in `names` that hold a value."""
    from helpdesk.models import Agent, Team
    from helpdesk.services.tickets.lifecycle import IDS_PAGE, tags_of_many

    out: dict[int, dict[str, object]] = {tid: {} for tid in ids}
    for start in range(0, len(ids), IDS_PAGE):
        for row in session.execute(select(Ticket.id, Ticket.subject, Ticket.status, Ticket.priority, Ticket.type,
                                          Team.name.label("team"), Agent.email.label("assignee"), Ticket.fields)
                                   .outerjoin(Team, Team.id == Ticket.team_id)
                                   .outerjoin(Agent, Agent.id == Ticket.assignee_id)
                                   .where(Ticket.id.in_(listed(session, ids[start:start + IDS_PAGE])))):
            for name in names:
                value = (row.fields or {}).get(name[6:]) if name.startswith("field.") else getattr(row, name, None)
                if value is not None:
                    out[row.id][name] = value
    if "tags" in names:
        for tid, tags in tags_of_many(session, ids).items():
            if tags:
                out[tid]["tags"] = tags
    return out


def _clocks_once(session: Session, rules: RuleSet, now: datetime):
    """SLA clocks of the changed tickets worked out once, after all the firings, rather
    than after each; unless a trigger's `when` reads the clocks (`sla:`), which must
    then be current after every firing."""
    from contextlib import nullcontext

    from helpdesk.services.sla.tracking import one_recompute

    if any(term.field == "sla" for t in rules.triggers for term in parsed(t.when).terms):
        return nullcontext()
    return one_recompute(session, now=now, actor=rule_actor("triggers"), reason="after triggers")


def _pass(session: Session, rules: RuleSet, checker: Checker, batch: dict[int, Change], chains) -> int:
    plans: dict[int, list[Trigger]] = {}
    fitting: dict[tuple, list[Trigger]] = {}  # by what a change is: most of a batch's changes are alike
    for tid, change in batch.items():
        chain = chains.setdefault(tid, Chain())
        chain.depth += 1
        if chain.depth > DEPTH_MAX:
            record(session, rule_actor("chain"), "ticket", tid, "rule_warning", None, "trigger chain stopped",
                   reason=f"triggers changed this ticket {DEPTH_MAX} times in a row; the rest did not run")
            continue
        key = _kind(change)
        if key not in fitting:
            fitting[key] = [t for t in rules.triggers if fits(t, change)]
        candidates = [t for t in fitting[key] if t.name not in chain.fired]
        if candidates:
            plans[tid] = candidates
    fired = 0
    for group in _groups(plans):
        fired += _fire_group(session, checker, group, plans[group[0]], chains)
    return fired


def _kind(change: Change) -> tuple:
    """What `fits` reads of a change, as a key."""
    return (frozenset(change.on), frozenset(change.authors),
            tuple(sorted((name, repr(value)) for name, value in change.changed.items())))


def _groups(plans: dict[int, list[Trigger]]) -> list[list[int]]:
    """Tickets with the same candidate triggers, checked together in chunks."""
    by_plan: dict[tuple, list[int]] = {}
    for tid, candidates in plans.items():
        by_plan.setdefault(tuple(t.name for t in candidates), []).append(tid)
    return [ids[i:i + CHUNK] for ids in by_plan.values() for i in range(0, len(ids), CHUNK)]


def _fire_group(session: Session, checker: Checker, ids: list[int], candidates: list[Trigger], chains) -> int:
    """The candidates in file order over tickets that share them, trigger by trigger.

    Each ticket goes through exactly the sequence it would alone (a trigger's actions
    change only its own ticket): a trigger fires where its `when` holds now, and after
    a firing that changed something the later triggers are checked again, for the
    tickets it changed and only those whose `when` reads what changed. Done for the
    group at once, a firing is one `fire_many` and a re-check one query, not one per
    ticket (bench/README.md, "Rules and routing")."""
    matching = checker.matching(ids, candidates)
    stopped: set[int] = set()
    fired = 0
    for position, trigger in enumerate(candidates):
        hit = [tid for tid in ids if tid not in stopped and trigger.name in matching.get(tid, ())
               and trigger.name not in chains[tid].fired]
        if not hit:
            continue
        for tid in hit:
            chains[tid].fired.add(trigger.name)
        fired += len(hit)
        changed = fire_many(session, hit, trigger.name, trigger.actions)
        if trigger.stop:
            for tid in hit:  # nothing more in this chain
                chains[tid].fired.update(t.name for t in checker.rules.triggers)
                stopped.add(tid)
            continue
        _recheck(checker, candidates[position + 1:], trigger, changed, matching)
    return fired


def _recheck(checker: Checker, rest: list[Trigger], fired: Trigger, changed: dict[int, dict | None],
             matching: dict[int, set[str]]) -> None:
    """Later triggers see what a firing did: check again those whose `when` may read it."""
    by_keys: dict[frozenset | None, list[int]] = {}
    for tid, diff in changed.items():
        if diff:  # None: warned and rolled back; {}: nothing changed
            by_keys.setdefault(touched(fired, diff), []).append(tid)
    for keys, tids in by_keys.items():
        again = [t for t in rest if may_read(t, keys)]
        if not again:
            continue
        fresh = checker.matching(tids, again)
        names = {t.name for t in again}
        for tid in tids:
            matching[tid] = (matching.get(tid, set()) - names) | fresh.get(tid, set())


def fits(trigger: Trigger, change: Change) -> bool:
    """`on`, `author` and `changed` against one change (the `when` is SQL's)."""
    if not set(trigger.on) & change.on:
        return False
    if trigger.author and trigger.on == ("message",) and trigger.author not in change.authors:
        return False
    for name, wanted in trigger.changed.items():
        if name not in change.changed:
            return False
        if wanted is not None and not _is(change.changed[name], wanted):
            return False
    return True


def _is(value, wanted: str) -> bool:
    if isinstance(value, list):  # tags: changed to include it
        return wanted.lower() in [str(v).lower() for v in value]
    return str(value if value is not None else "none").lower() == wanted.lower()


FEW = 20  # tickets a check looks up one by one (see query_sql.Compiler's `few`)


class Checker:
    """Each trigger's `when` compiled once per run; checked for many tickets in one query.
    Two forms: for a few tickets (one new ticket, one change) text and tag terms look up
    each ticket's own rows; for a batch each term gathers its matching tickets once."""

    def __init__(self, session: Session, rules: RuleSet, now: datetime):
        from helpdesk.query_sql import Compiler

        self.session, self.rules = session, rules
        self.compilers = {few: Compiler(session, me=None, now=now, count_hits=False, few=few) for few in (True, False)}
        self._conditions: dict[tuple[str, bool], object] = {}

    def condition(self, trigger: Trigger, few: bool = False):
        key = (trigger.name, few)
        if key not in self._conditions:
            self._conditions[key] = (self.compilers[few].compile(parsed(trigger.when))
                                     if trigger.when else true())
        return self._conditions[key]

    def matching(self, ids: list[int], triggers: list[Trigger]) -> dict[int, set[str]]:
        few = len(ids) <= FEW
        columns = [self.condition(t, few).label(f"c{i}") for i, t in enumerate(triggers)]
        rows = self.session.execute(select(Ticket.id, *columns).where(Ticket.id.in_(listed(self.session, ids)))).all()
        return {row[0]: {t.name for t, hit in zip(triggers, row[1:]) if hit} for row in rows}


# -- rules test ----------------------------------------------------------------------

def rehearse_rule(session: Session, actor: Actor, name: str, ticket_id: int) -> dict:
    """`helpdesk rules test`: `try_rule` for anyone who may read the desk (the caller rolls back)."""
    require(actor, "viewer")
    return try_rule(session, name, ticket_id)


def try_rule(session: Session, name: str, ticket_id: int) -> dict:
    """Whether a trigger's condition holds for a ticket now, and what it would change.

    Runs the actions for real inside the caller's transaction, which the caller rolls
    back (`Desk.rehearse`), so the answer is exactly what firing would do."""
    from helpdesk.errors import NotFound
    from helpdesk.services.tickets.lifecycle import get_ticket

    rules = stored_rules(session)
    trigger = next((t for t in rules.triggers if t.name.lower() == name.strip().lower()), None)
    if trigger is None:
        automation = next((a for a in rules.automations if a.name.lower() == name.strip().lower()), None)
        if automation is None:
            raise NotFound(f"no rule {name!r}; see `helpdesk rules list`")
        trigger = Trigger(automation.name, ("updated",), automation.when, automation.actions)
    get_ticket(session, ticket_id)
    matches = trigger.name in Checker(session, rules, utcnow()).matching([ticket_id], [trigger]).get(ticket_id, set())
    result = {"rule": trigger.name, "ticket": ticket_id, "when": trigger.when, "matches": matches,
              "actions": trigger.actions.describe(), "changed": {}, "warning": None}
    if matches:
        changed = fire(session, ticket_id, trigger.name, trigger.actions, kind="test")
        if changed is None:
            from helpdesk.models import Event

            warning = session.execute(select(Event.reason).where(Event.ticket_id == ticket_id,
                                                                 Event.field == "rule_warning")
                                      .order_by(Event.id.desc())).scalar()
            result["warning"] = warning
        else:
            result["changed"] = {k: {"old": o, "new": n} for k, (o, n) in changed.items()}
    return result

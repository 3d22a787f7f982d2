"""Domain events: published by services, handled in the same transaction.

Subscribers register with `@subscribe("ticket.updated")`. Their modules are
listed in SUBSCRIBERS and imported on first publish, so start-up stays cheap
and nothing depends on import order."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

# Modules whose import registers subscribers (SLA clocks, rules, mail, ...).
SUBSCRIBERS: list[str] = ["helpdesk.services.types.fields", "helpdesk.services.types.stages",  # first: they refuse
                          "helpdesk.services.sla.tracking", "helpdesk.services.mail.outbox",
                          "helpdesk.services.workflow.triggers", "helpdesk.services.workflow.routing",
                          "helpdesk.services.collaboration.followers", "helpdesk.services.collaboration.mentions",
                          "helpdesk.services.customers.surveys",
                          "helpdesk.services.insight.columns"]

_handlers: dict[str, list[Callable]] = defaultdict(list)
_loaded = False


@dataclass
class DomainEvent:
    name: str  # ticket.created, ticket.updated, message.added, sla.warning, ...
    ticket_id: int | None = None
    actor: Any = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    _keys: Any = field(default=None, init=False, repr=False, compare=False)

    def changed_keys(self) -> frozenset[str] | None:
        """`query_reads.diff_keys` of its changes, worked out once: the SLA clocks, the
        report figures and routing each ask for every event of a rule's firing."""
        if self._keys is None:
            from helpdesk.query_reads import diff_keys

            self._keys = (diff_keys(self.changes),)
        return self._keys[0]


def subscribe(*names: str):
    def register(fn: Callable[[Session, DomainEvent], None]):
        for name in names:
            _handlers[name].append(fn)
        return fn

    return register


def many(single: Callable[[Session, DomainEvent], None]):
    """Register the batch form of the subscriber `single`: `publish_many` calls it once
    with all the events instead of `single` once each. It must leave what `single`
    would leave, called on each event in turn."""
    def register(fn: Callable[[Session, list[DomainEvent]], None]):
        single.many = fn
        return fn

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in SUBSCRIBERS:
            importlib.import_module(module)
        _loaded = True


def publish(session: Session, event: DomainEvent) -> None:
    _load()
    for handler in list(_handlers.get(event.name, ())) + list(_handlers.get("*", ())):
        handler(session, event)


def publish_many(session: Session, events: list[DomainEvent]) -> None:
    """Publish events of one name (one change to many tickets, e.g. a rule firing over
    a batch): each subscriber in turn gets them all, through its batch form (`many`)
    when it has one, else one by one. Subscribers keep only pending work per ticket,
    so taking them subscriber by subscriber rather than event by event changes nothing."""
    if not events:
        return
    _load()
    names = {event.name for event in events}
    if len(names) > 1:
        raise ValueError(f"publish_many takes events of one name, got {sorted(names)}")
    for handler in list(_handlers.get(events[0].name, ())) + list(_handlers.get("*", ())):
        batch = getattr(handler, "many", None)
        if batch is not None:
            batch(session, events)
        else:
            for event in events:
                handler(session, event)


def at_commit(session: Session, name: str, fn: Callable[[Session], None]) -> None:
    """Run `fn(session)` once, just before this transaction commits, still inside it.

    For work that should see a whole change first: routing after a bulk create, rules
    after all of a command's changes. `fn` may make changes that ask for more
    (`at_commit` again from inside it): they run before the commit too."""
    pending: dict[str, Callable] = session.info.setdefault("at_commit", {})
    pending.setdefault(name, fn)
    if not session.info.get("at_commit_listening"):
        from sqlalchemy import event

        session.info["at_commit_listening"] = True
        event.listen(session, "before_commit", _run_at_commit)


ROUNDS_MAX = 50  # work that keeps asking for more is a bug; stop rather than spin


def settle(session: Session) -> None:
    """Run the work waiting for the commit now (rules, routing), e.g. to show its result."""
    _run_at_commit(session)


def _run_at_commit(session: Session) -> None:
    # before_commit also fires when a savepoint is released (a rule's actions):
    # the work waits for the real commit.
    if session.in_nested_transaction():
        return
    pending: dict[str, Callable] = session.info.get("at_commit", {})
    for _ in range(ROUNDS_MAX):
        if not pending:
            return
        name = next(iter(pending))
        pending.pop(name)(session)
    raise RuntimeError(f"work before commit did not settle: {sorted(pending)}")

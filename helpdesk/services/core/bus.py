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
SUBSCRIBERS: list[str] = ["helpdesk.services.sla.tracking", "helpdesk.services.mail.outbox"]

_handlers: dict[str, list[Callable]] = defaultdict(list)
_loaded = False


@dataclass
class DomainEvent:
    name: str  # ticket.created, ticket.updated, message.added, sla.warning, ...
    ticket_id: int | None = None
    actor: Any = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


def subscribe(*names: str):
    def register(fn: Callable[[Session, DomainEvent], None]):
        for name in names:
            _handlers[name].append(fn)
        return fn

    return register


def publish(session: Session, event: DomainEvent) -> None:
    global _loaded
    if not _loaded:
        for module in SUBSCRIBERS:
            importlib.import_module(module)
        _loaded = True
    for handler in list(_handlers.get(event.name, ())) + list(_handlers.get("*", ())):
        handler(session, event)

"""`helpdesk sla load`: store new SLA policies and put every open ticket's clocks
under them. Apart from `policies` so that reading the stored policies never needs
the clock tracking that loading them sets off."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from helpdesk.models import Setting, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import SYSTEM, Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.sla.policies import (
    DEFAULT_FILE,
    SETTING_KEY,
    forget_config,
    check_matches,
    describe,
    stored_config,
)
from helpdesk.services.sla.tracking import recompute_open
from helpdesk.sla_config import load_sla_config


def load_policies(session: Session, actor: Actor, text: str, *, source: str | None = None,
                  recompute: bool = True, now: datetime | None = None) -> dict:
    """Validate and store SLA TOML (admins only); all or nothing. Returns a summary.

    With `recompute`, every ticket that is not closed gets its clocks again under
    the new policies now (otherwise on its next change)."""
    require(actor, "admin")
    config = load_sla_config(text)
    check_matches(session, config, now=now or utcnow())
    old = stored_config(session)
    row = session.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY, updated_at=utcnow())
    row.value, row.updated_at = config.to_dict(), utcnow()
    session.add(row)
    forget_config(session)
    record(session, actor, "setting", None, SETTING_KEY, describe(old) if old else None, describe(config),
           reason=f"loaded from {source}" if source else None)
    session.flush()
    recomputed = 0
    if recompute:
        recomputed = recompute_open(session, now=now or utcnow(), actor=actor, reason="SLA policies reloaded")
        bus.publish(session, bus.DomainEvent("sla.reloaded", None, actor))  # figures that follow the clocks
    return {"policies": len(config.policies), "calendars": len(config.calendars), "recomputed": recomputed}


def load_default_if_missing(session: Session) -> None:
    """`helpdesk init`: install data/sla.toml unless the desk already has SLA policies."""
    if session.get(Setting, SETTING_KEY) is None and DEFAULT_FILE.exists():
        load_policies(session, SYSTEM, DEFAULT_FILE.read_text(encoding="utf-8"), source=DEFAULT_FILE.name)

"""`helpdesk init`: a ready desk (schema, shipped defaults, optional demo data)."""

from __future__ import annotations

from helpdesk.db import Desk


def initialise(desk: Desk, *, demo: bool = False) -> dict:
    """Schema is migrated when the desk opens; this adds defaults and the demo."""
    from helpdesk import userconfig
    from helpdesk.services.desk import demo as demo_data

    summary: dict = {"demo": None, "acting_as": None}
    for hook in DEFAULTS:
        desk.write(hook)
    if demo:
        summary["demo"] = desk.write(demo_data.load)
        desk.write(_settle_history)
        fresh = not summary["demo"].startswith("skipped")  # its admin is the desk's first agent: you
        if userconfig.remember_agent(desk.url, demo_data.ADMIN_EMAIL, replace=fresh):
            summary["acting_as"] = demo_data.ADMIN_EMAIL
    return summary


# Functions (session) -> None that install shipped defaults when missing;
# later features (SLA policies, rules, templates) append theirs.
DEFAULTS: list = []


def _sla_defaults(session) -> None:
    from helpdesk.services.sla.loading import load_default_if_missing

    load_default_if_missing(session)


DEFAULTS.append(_sla_defaults)


def _settle_history(session) -> None:
    """The demo's past is past: fire its old SLA warnings and breaches now and mark
    them read, so the first look at the app is the desk, not a flood of alerts."""
    from sqlalchemy import update

    from helpdesk.models import Notification, utcnow
    from helpdesk.services.sla.escalations import sweep

    now = utcnow()
    for _ in range(20):  # escalations may change a policy, whose new clocks are overdue too
        if not sweep(session, now=now).fired:
            break
    session.execute(update(Notification).where(Notification.read_at.is_(None)).values(read_at=now))

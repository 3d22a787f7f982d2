"""`helpdesk init`: a ready desk (schema, shipped defaults, optional demo data)."""

from __future__ import annotations

from helpdesk.db import Desk


def initialise(desk: Desk, *, demo: bool = False) -> dict:
    """Schema is migrated when the desk opens; this adds defaults and the demo."""
    from helpdesk import userconfig
    from helpdesk.services import demo as demo_data

    summary: dict = {"demo": None, "acting_as": None}
    for hook in DEFAULTS:
        desk.write(hook)
    if demo:
        summary["demo"] = desk.write(demo_data.load)
        if userconfig.set_agent_if_unset(demo_data.ADMIN_EMAIL):
            summary["acting_as"] = demo_data.ADMIN_EMAIL
    return summary


# Functions (session) -> None that install shipped defaults when missing;
# later features (SLA policies, rules, templates) append theirs.
DEFAULTS: list = []


def _sla_defaults(session) -> None:
    from helpdesk.services.sla_policies import load_default_if_missing

    load_default_if_missing(session)


DEFAULTS.append(_sla_defaults)

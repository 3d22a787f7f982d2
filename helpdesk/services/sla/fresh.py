"""The SLA clocks of tickets created in bulk (imports, JSON Lines), straight to rows.

A ticket created in bulk has a timeline of its start alone: no status change and
no agent reply yet. Each of its clocks is then a start, two additions of business
time (the warning, the due instant) and the business time used up to now; the
next-response clock has not started. This is what `compute_clocks`, the staging of
fresh rows and `summary` give for that one case, without building their objects:
an import of a 100k-row ledger tracks 60k+ open tickets.
tests/services/sla/test_fresh.py checks it against them on random tickets, policies and
calendars.

    fresh = FreshClocks(config, now, settled_at=now)     # settled: imported history
    clock_rows, summary_row = fresh.rows(ticket_id, created_at, status, policy)
"""

from __future__ import annotations

import math
from datetime import datetime

from helpdesk.calendar import add_business_time, business_seconds_between
from helpdesk.sla import STOPPED, Policy
from helpdesk.sla_config import SlaConfig

# a row per clock, in the order of sla_clock's columns
COLUMNS = ("ticket_id", "kind", "policy", "target_seconds", "state", "started_at", "due_at", "warn_at",
           "met_at", "breached_at", "elapsed_seconds", "warned_at", "breach_fired_at")
# the ticket's summary columns, in the order of `rows`' summary after the ticket id
SUMMARY = ("sla_policy", "sla_state", "sla_due_at", "sla_check_at")
_RANK = {"paused": 1, "running": 2, "warning": 3, "breached": 4}  # sla_tracking.STATE_RANK's order


class FreshClocks:
    """Clock rows and summary columns of new tickets, all as of one `now`.

    settled_at: warnings and breaches already past count as fired then (imported
    history is shown as breached, never acted on)."""

    def __init__(self, config: SlaConfig, now: datetime, *, settled_at: datetime | None = None):
        self.config, self.now, self.settled_at = config, now, settled_at

    def rows(self, ticket_id: int, created: datetime, status: str,
             policy: Policy) -> tuple[list[tuple], tuple]:
        """(clock rows in COLUMNS order, (ticket_id, policy, sla_state, sla_due_at,
        sla_check_at)) for a ticket created at `created` with `status` (not solved or closed)."""
        if status in STOPPED:
            raise ValueError(f"ticket {ticket_id} is {status}: a fresh clock needs an open ticket")
        calendar = self.config.calendar_for(policy)
        now, settled = self.now, self.settled_at
        end = max(now, created)  # a creation time in the future: the clocks start then
        used: int | None = None
        rows, state, due_min, check = [], None, None, None
        for kind, target in (("first_response", policy.first_response), ("resolution", policy.resolution)):
            if target is None:
                continue
            if kind == "resolution" and status in policy.pause_on:  # waiting from the start
                rows.append((ticket_id, kind, policy.name, target, "paused", None, None, None,
                             None, None, 0, None, None))
                state = state if state and _RANK[state] > _RANK["paused"] else "paused"
                continue
            if used is None:
                used = business_seconds_between(calendar, created, end)
            warn = add_business_time(calendar, created, max(1, math.ceil(target * policy.warn_at)))
            due = add_business_time(calendar, created, target)
            breached = due if due <= end else None
            warned_at = fired_at = None
            if settled is not None:
                if breached is not None:
                    warned_at = fired_at = settled
                elif warn <= settled:
                    warned_at = settled
            rows.append((ticket_id, kind, policy.name, target, "breached" if breached else "running",
                         created, due, warn, None, breached, used, warned_at, fired_at))
            shown = "breached" if breached else "warning" if warn <= now else "running"
            if state is None or _RANK[shown] > _RANK[state]:
                state = shown
            due_min = due if due_min is None or due < due_min else due_min
            for instant, fired in ((warn, warned_at), (due, fired_at)):
                if fired is None and (check is None or instant < check):
                    check = instant
        return rows, (ticket_id, policy.name, state, due_min, check)



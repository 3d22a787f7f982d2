"""The clocks of tickets created in bulk (sla_fresh) are the ones the per-ticket path
computes: compute_clocks from the ticket's start, then the stored rows and summary."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.services.sla.fresh import COLUMNS, FreshClocks
from helpdesk.services.sla.tracking import ACTIVE, summary
from helpdesk.sla import Policy, SlaConfig, Timeline, compute_clocks
from tests.test_calendar import CALENDARS, instants

H = 3600
CONFIG = SlaConfig(calendars={f"c{i}": cal for i, cal in enumerate(CALENDARS)}, policies=[])
targets = st.one_of(st.none(), st.integers(min_value=1, max_value=60 * H))
policies = st.builds(
    Policy, name=st.sampled_from(["Standard", "VIP"]), match=st.just(""),
    calendar=st.sampled_from(sorted(CONFIG.calendars)), first_response=targets, next_response=targets,
    resolution=targets, warn_at=st.sampled_from([0.5, 0.75, 0.9, 1.0]),
    pause_on=st.sampled_from([(), ("pending",), ("pending", "on_hold"), ("new", "on_hold")]))
microseconds = st.integers(min_value=0, max_value=999_999)


def reference(config, tid, created, status, policy, now, settled_at):
    """compute_clocks, staged as the per-ticket path stores a new ticket's clocks."""
    clocks = compute_clocks(Timeline(created_at=created, status=status), policy,
                            CONFIG.calendar_for(policy), max(now, created))
    rows = {}
    for clock in clocks:
        if clock is None:
            continue
        row = SimpleNamespace(
            ticket_id=tid, kind=clock.kind, policy=policy.name, target_seconds=clock.target_seconds,
            state=clock.state, started_at=clock.started_at, due_at=clock.due_at, warn_at=clock.warn_at,
            met_at=clock.met_at, breached_at=clock.breached_at,
            elapsed_seconds=clock.target_seconds - clock.remaining_seconds, warned_at=None, breach_fired_at=None)
        if settled_at is not None and row.state == "breached":
            row.warned_at = row.breach_fired_at = settled_at
        elif settled_at is not None and row.warn_at is not None and row.warn_at <= settled_at:
            row.warned_at = settled_at
        rows[clock.kind] = row
    ticket = SimpleNamespace(id=tid, status=status)
    return ([tuple(getattr(row, name) for name in COLUMNS) for row in rows.values()],
            (tid, policy.name, *summary(ticket, rows, config, now)))


@settings(max_examples=400, deadline=None)
@given(policies, instants, microseconds, st.sampled_from(ACTIVE), instants, st.booleans())
def test_fresh_clocks_are_the_computed_ones(policy, created, micro, status, now, settle):
    created = created.replace(microsecond=micro)  # a ticket made by a script has them
    settled_at = now if settle else None
    config = SlaConfig(calendars=CONFIG.calendars, policies=[policy])
    fresh = FreshClocks(config, now, settled_at=settled_at)
    assert fresh.rows(7, created, status, policy) == reference(config, 7, created, status, policy, now, settled_at)


def test_old_open_ticket_is_breached_and_settled():
    policy = Policy(name="Standard", match="", calendar="c3", first_response=H, resolution=8 * H)  # 24x7
    created = _utc(2026, 1, 5)
    now = created + timedelta(days=3)
    rows, (tid, name, state, due, check) = FreshClocks(CONFIG, now, settled_at=now).rows(3, created, "open", policy)
    assert [(r[1], r[4], r[6], r[11], r[12]) for r in rows] == [
        ("first_response", "breached", created + timedelta(hours=1), now, now),
        ("resolution", "breached", created + timedelta(hours=8), now, now)]
    assert (name, state, due, check) == ("Standard", "breached", created + timedelta(hours=1), None)


def test_a_solved_ticket_has_no_fresh_clock():
    policy = Policy(name="Standard", match="", calendar="c3", first_response=H)
    with pytest.raises(ValueError, match="solved"):
        FreshClocks(CONFIG, _utc(2026, 1, 6)).rows(3, _utc(2026, 1, 5), "solved", policy)


def _utc(*parts):
    from datetime import UTC, datetime

    return datetime(*parts, tzinfo=UTC)


def test_a_warning_due_this_very_second_counts_as_fired_when_settled():
    policy = Policy(name="Standard", match="", calendar="c3", first_response=2 * H, warn_at=0.5)
    created = _utc(2026, 1, 5)
    now = created + timedelta(hours=1)  # the warning instant itself
    config = SlaConfig(calendars=CONFIG.calendars, policies=[policy])
    rows, (_, _, state, due, check) = FreshClocks(config, now, settled_at=now).rows(3, created, "new", policy)
    assert (rows[0][4], rows[0][7], rows[0][11], rows[0][12]) == ("running", now, now, None)
    assert (state, due, check) == ("warning", created + timedelta(hours=2), created + timedelta(hours=2))
    assert rows == reference(config, 3, created, "new", policy, now, now)[0]

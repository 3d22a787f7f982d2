"""SLA configuration and clocks (pure, no database, no sleeps)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.calendar import calendar_from_table
from helpdesk.errors import Invalid, NotFound
from helpdesk.sla import (
    Policy,
    SlaConfig,
    Timeline,
    TimelineEvent,
    advance,
    clock_to_json,
    clocks_to_json,
    compute_clocks,
    format_duration,
    load_sla_config,
    next_deadline,
    parse_duration,
)

UTC = timezone.utc
H, M = 3600, 60
DEFAULT_TOML = Path(__file__).resolve().parents[1] / "data" / "sla.toml"
OFFICE = calendar_from_table("office", {"timezone": "UTC", "hours": {
    d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}})
ALWAYS = calendar_from_table("always", {"timezone": "UTC", "hours": "24x7"})
POLICY = Policy(name="Default", match="", calendar="office", first_response=H,
                next_response=2 * H, resolution=8 * H)


def t(day, hour, minute=0, second=0):
    """January 2026: the 5th is a Monday."""
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


def status(at, value):
    return TimelineEvent(at=at, kind="status", status=value)


def reply(at):
    return TimelineEvent(at=at, kind="agent_reply")


def customer(at):
    return TimelineEvent(at=at, kind="customer_message")


def clocks(events=(), now=t(5, 9, 30), created=t(5, 9), policy=POLICY, calendar=OFFICE):
    return compute_clocks(Timeline(created_at=created, events=list(events)), policy, calendar, now)


# --- first response ------------------------------------------------------------


def test_first_response_running():
    fr = clocks().first_response
    assert (fr.state, fr.remaining_seconds, fr.due_at, fr.warn_at) == ("running", 30 * M, t(5, 10), t(5, 9, 45))
    assert fr.met_at is None and fr.breached_at is None


def test_first_response_met():
    fr = clocks([reply(t(5, 9, 40))], now=t(5, 12)).first_response
    assert (fr.state, fr.met_at, fr.remaining_seconds, fr.due_at) == ("met", t(5, 9, 40), 20 * M, t(5, 10))


def test_a_ticket_created_solved_is_answered_as_it_came_in():
    """History brought in already solved or closed: its clocks are met at the start, never
    running (else a reload of the policies would breach them and set off their actions)."""
    for state in ("solved", "closed"):
        done = compute_clocks(Timeline(created_at=t(5, 9), status=state), POLICY, OFFICE, t(9, 12))
        assert [(c.state, c.met_at, c.breached_at) for c in (done.first_response, done.resolution)] == [
            ("met", t(5, 9), None), ("met", t(5, 9), None)]
        assert done.next_response is None


def test_breach_exactly_at_the_due_second():
    assert clocks(now=t(5, 9, 59, 59)).first_response.state == "running"
    fr = clocks(now=t(5, 10)).first_response
    assert (fr.state, fr.remaining_seconds, fr.breached_at) == ("breached", 0, t(5, 10))
    late = clocks([reply(t(5, 10))], now=t(5, 11)).first_response  # a reply at the due second
    assert (late.state, late.met_at, late.breached_at) == ("breached", t(5, 10), t(5, 10))


def test_breached_clock_goes_negative_and_stays_breached_when_met():
    assert clocks(now=t(5, 11)).first_response.remaining_seconds == -H
    fr = clocks([reply(t(5, 11))], now=t(5, 15)).first_response
    assert (fr.state, fr.remaining_seconds, fr.met_at, fr.breached_at) == ("breached", -H, t(5, 11), t(5, 10))


def test_clock_started_outside_hours_and_due_at_period_end():
    saturday = clocks(created=t(10, 10), now=t(10, 12)).first_response
    assert (saturday.due_at, saturday.remaining_seconds) == (t(12, 10), H)
    late = clocks(created=t(5, 16), now=t(5, 16, 30)).first_response
    assert late.due_at == t(5, 17)  # not Tuesday 09:00
    assert clocks(created=t(5, 16), now=t(5, 17)).first_response.state == "breached"


def test_response_clocks_are_not_paused_by_pending():
    fr = clocks([status(t(5, 9, 10), "pending")], now=t(5, 9, 40)).first_response
    assert (fr.state, fr.remaining_seconds) == ("running", 20 * M)


def test_solving_without_a_reply_stops_the_response_clock():
    fr = clocks([status(t(5, 9, 30), "solved")], now=t(5, 12)).first_response
    assert (fr.state, fr.met_at) == ("met", t(5, 9, 30))


# --- next response ------------------------------------------------------------------


def test_next_response_starts_at_first_customer_message_after_a_reply():
    events = [customer(t(5, 9, 5)), reply(t(5, 9, 10)), customer(t(5, 10)), customer(t(5, 10, 30))]
    nr = clocks(events, now=t(5, 11)).next_response
    assert (nr.state, nr.remaining_seconds, nr.due_at) == ("running", H, t(5, 12))
    done = clocks([*events, reply(t(5, 11, 30))], now=t(5, 13)).next_response
    assert (done.state, done.met_at, done.remaining_seconds) == ("met", t(5, 11, 30), 30 * M)


def test_next_response_is_none_until_the_customer_waits_on_us_again():
    assert clocks([customer(t(5, 9, 5))]).next_response is None  # first response still running
    assert clocks([reply(t(5, 9, 10))]).next_response is None


def test_next_response_reports_the_latest_wait():
    events = [reply(t(5, 9, 10)), customer(t(5, 9, 20)), reply(t(5, 12)),  # breached 11:20
              customer(t(5, 13))]
    nr = clocks(events, now=t(5, 13, 30)).next_response
    assert (nr.state, nr.due_at, nr.remaining_seconds) == ("running", t(5, 15), 90 * M)


def test_customer_message_on_a_solved_ticket_starts_next_response_when_reopened():
    events = [reply(t(5, 9, 10)), status(t(5, 9, 20), "solved"), customer(t(5, 10)),
              status(t(5, 10), "open")]
    nr = clocks(events, now=t(5, 11)).next_response
    assert (nr.state, nr.due_at) == ("running", t(5, 12))
    agent_reopens = [reply(t(5, 9, 10)), status(t(5, 9, 20), "solved"), status(t(5, 10), "open")]
    assert clocks(agent_reopens, now=t(5, 11)).next_response is None


# --- resolution ------------------------------------------------------------------------


def test_resolution_pauses_while_pending_and_resumes():
    events = [status(t(5, 10), "pending"), status(t(5, 14), "open")]
    paused = clocks(events[:1], now=t(5, 12)).resolution
    assert (paused.state, paused.due_at, paused.remaining_seconds, paused.running) == ("paused", None, 7 * H, False)
    resumed = clocks(events, now=t(5, 15)).resolution
    assert (resumed.state, resumed.remaining_seconds, resumed.due_at) == ("running", 6 * H, t(6, 13))


def test_on_hold_pauses_too_and_pause_on_is_configurable():
    events = [status(t(5, 10), "on_hold")]
    assert clocks(events, now=t(5, 12)).resolution.state == "paused"
    never = Policy(name="x", match="", calendar="office", resolution=8 * H, pause_on=())
    assert clocks(events, now=t(5, 12), policy=never).resolution.remaining_seconds == 5 * H


def test_reopen_resumes_the_resolution_clock_where_it_stopped():
    events = [status(t(5, 11), "solved")]
    solved = clocks(events, now=t(5, 12)).resolution
    assert (solved.state, solved.met_at, solved.remaining_seconds) == ("met", t(5, 11), 6 * H)
    reopened = clocks([*events, status(t(6, 9), "open")], now=t(6, 10)).resolution
    assert (reopened.state, reopened.met_at, reopened.remaining_seconds) == ("running", None, 5 * H)
    assert reopened.due_at == t(6, 15)


def test_resolution_breached_then_solved_stays_breached():
    events = [status(t(6, 12), "solved"), status(t(6, 13), "closed")]
    res = clocks(events, now=t(7, 9)).resolution
    assert (res.state, res.breached_at, res.met_at, res.remaining_seconds) == ("breached", t(5, 17), t(6, 12), -3 * H)


def test_breach_during_a_pause_is_not_possible_but_remains_after_one():
    events = [status(t(5, 16), "pending"), status(t(6, 10), "open")]
    assert clocks(events, now=t(6, 9, 30)).resolution.state == "paused"
    breached = clocks([status(t(5, 17, 30), "pending")], now=t(6, 10)).resolution
    assert (breached.state, breached.breached_at, breached.due_at, breached.running) == (
        "breached", t(5, 17), t(5, 17), False)


def test_policy_change_recomputes_from_creation():
    events = [reply(t(5, 9, 45))]
    office = clocks(events, now=t(5, 10)).first_response
    vip = Policy(name="VIP", match="", calendar="always", first_response=30 * M)
    strict = clocks(events, now=t(5, 10), policy=vip, calendar=ALWAYS)
    assert office.state == "met"
    assert (strict.policy, strict.first_response.state, strict.first_response.breached_at) == (
        "VIP", "breached", t(5, 9, 30))
    assert strict.resolution is None and strict.next_response is None  # no targets


def test_events_after_now_are_ignored_and_now_before_creation_refused():
    assert clocks([reply(t(5, 9, 40))], now=t(5, 9, 30)).first_response.state == "running"
    with pytest.raises(ValueError):
        clocks(now=t(5, 8))
    with pytest.raises(ValueError):
        clocks(now=datetime(2026, 1, 5, 10))
    with pytest.raises(Invalid):
        TimelineEvent(at=t(5, 9), kind="status", status="archived")
    with pytest.raises(Invalid):
        TimelineEvent(at=t(5, 9), kind="note")


# --- deadlines, advancing, JSON --------------------------------------------------------------


def test_next_deadline_is_the_earliest_future_warning_or_breach():
    assert next_deadline(clocks(now=t(5, 9, 30))) == t(5, 9, 45)  # first response warning
    assert next_deadline(clocks(now=t(5, 9, 50))) == t(5, 10)  # its breach
    later = clocks([reply(t(5, 9, 55))], now=t(5, 10))
    assert next_deadline(later) == t(5, 15)  # resolution warning: 6h of 8h
    paused = clocks([reply(t(5, 9, 55)), status(t(5, 9, 56), "pending")], now=t(5, 10))
    assert next_deadline(paused) is None


def test_warning_instant_rounds_up_to_whole_seconds():
    odd = Policy(name="x", match="", calendar="office", first_response=7, warn_at=0.5)
    assert clocks(now=t(5, 9), policy=odd).first_response.warn_at == t(5, 9, 0, 4)


def test_advancing_a_clock_matches_recomputing_it():
    start = clocks(now=t(5, 9, 30))
    for now in (t(5, 9, 59, 59), t(5, 10), t(5, 17, 30), t(6, 10)):
        assert advance(start.first_response, now) == clocks(now=now).first_response
        assert advance(start.resolution, now) == clocks(now=now).resolution
    with pytest.raises(ValueError):
        advance(start.first_response, t(5, 9))


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=5 * 86400), st.integers(min_value=0, max_value=5 * 86400))
def test_advance_property(first, second):
    a, b = t(5, 9) + timedelta(seconds=first), t(5, 9) + timedelta(seconds=first + second)
    events = [status(t(5, 9) + timedelta(seconds=first // 2), "open")]
    assert advance(clocks(events, now=a).resolution, b) == clocks(events, now=b).resolution


def test_clock_json_shape():
    sla = clocks([reply(t(5, 9, 40))], now=t(5, 9, 50))
    assert clock_to_json(sla.first_response, t(5, 9, 50)) == {
        "target_seconds": 3600, "due_at": "2026-01-05T10:00:00+00:00", "state": "met",
        "remaining_seconds": 1200, "met_at": "2026-01-05T09:40:00+00:00", "breached_at": None}
    whole = clocks_to_json(sla, t(5, 18))  # later: resolution keeps counting business time
    assert whole["policy"] == "Default" and whole["next_response"] is None
    assert whole["resolution"]["remaining_seconds"] == 0 and whole["resolution"]["state"] == "breached"
    json.dumps(whole)


# --- configuration -----------------------------------------------------------------------


def test_default_config_loads():
    config = load_sla_config(DEFAULT_TOML.read_text())
    assert [p.name for p in config.policies] == ["VIP urgent", "Urgent", "High", "Default"]
    assert set(config.calendars) == {"office", "always"}
    assert config.policies[-1].match == ""
    vip = config.policy("VIP urgent")
    assert (vip.first_response, vip.match, vip.pause_on) == (30 * M, "priority:urgent org.tier:vip", ("pending", "on_hold"))
    assert config.calendar_for(vip).always
    with pytest.raises(NotFound):
        config.policy("Gold")


DESIGN_EXAMPLE = """
[calendars.office]
timezone = "Asia/Shanghai"
hours = { mon = "09:00-12:00,13:00-18:00", tue = "09:00-18:00", wed = "09:00-18:00", thu = "09:00-18:00", fri = "09:00-18:00" }
holidays = ["2026-10-01", "2026-10-02"]
holiday_country = "CN"
workdays = ["2026-09-27"]

[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "VIP urgent"
match = "priority:urgent org.tier:vip"
calendar = "always"
first_response = "30m"
next_response = "2h"
resolution = "8h"
warn_at = 0.75
on_warning = { notify = ["assignee", "team", "agent:alice@example.com"] }
on_breach = { set_priority = "urgent", add_tags = ["escalated"], reassign = "lead@example.com", team = "tier2" }
"""


def test_round_trip_through_json_keeps_everything():
    config = load_sla_config(DESIGN_EXAMPLE)
    stored = json.loads(json.dumps(config.to_dict()))
    again = SlaConfig.from_dict(stored)
    assert again == config and again.source == DESIGN_EXAMPLE
    breach = again.policies[0].on_breach
    assert (breach.set_priority, breach.add_tags, breach.reassign, breach.team) == (
        "urgent", ("escalated",), "lead@example.com", "tier2")
    with pytest.raises(Invalid, match="calendars.office: timezone"):
        SlaConfig.from_dict({**stored, "calendars": {"office": {"hours": "24x7"}}})


def test_toml_syntax_error_has_line_and_column():
    with pytest.raises(Invalid, match=r"TOML syntax error: .*line 2, column"):
        load_sla_config("[calendars.office]\ntimezone = \n")


@pytest.mark.parametrize("text, seconds", [
    ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("90s", 90), ("1d 4h", 100800),
    (" 1h 30m ", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text, "x") == seconds
    assert parse_duration(format_duration(seconds), "x") == seconds


@pytest.mark.parametrize("text", ["", "3x", "h", "1m1h", "-1h", "1.5h", 30, "0m", "1 d x"])
def test_bad_durations(text):
    with pytest.raises(Invalid):
        parse_duration(text, "x")


def policy_toml(**fields):
    lines = [f"{k} = {json.dumps(v) if not isinstance(v, str) or not v.startswith('{') else v}"
             for k, v in {"name": "VIP urgent", "calendar": "always", **fields}.items()]
    return ('[calendars.always]\ntimezone = "UTC"\nhours = "24x7"\n'
            '[[policies]]\nname = "First"\ncalendar = "always"\n'
            "[[policies]]\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize("fields, message", [
    ({"first_response": "3x"},
     "policies[2] \"VIP urgent\": first_response: bad duration '3x' (use 30m, 2h, 1d 4h)"),
    ({"calendar": "ofice"}, "policies[2] \"VIP urgent\": calendar: unknown calendar 'ofice' (known: always)"),
    ({"resolutoin": "8h"}, "unknown key 'resolutoin' (did you mean 'resolution'?)"),
    ({"warn_at": 0}, "warn_at: must be a fraction between 0 and 1"),
    ({"warn_at": 1}, "warn_at: must be a fraction"),
    ({"warn_at": True}, "warn_at: must be a fraction"),
    ({"warn_at": "0.5"}, "warn_at: must be a fraction"),
    ({"pause_on": ["waiting"]}, "pause_on: unknown status 'waiting'"),
    ({"pause_on": "pending"}, "pause_on: must be a list"),
    ({"match": 3}, "match: must be a query string"),
    ({"name": "First"}, "policies[2]: duplicate policy name 'First'"),
    ({"name": " "}, "policies[2]: name: missing name"),
    ({"on_breach": '{ set_priority = "critical" }'}, "on_breach: set_priority: unknown priority 'critical'"),
    ({"on_breach": '{ notify = ["boss"] }'}, "on_breach: notify: unknown recipient 'boss'"),
    ({"on_breach": '{ notify = ["agent:bob"] }'}, "unknown recipient 'agent:bob'"),
    ({"on_breach": '{ notify = "assignee" }'}, "on_breach: notify: must be a list of strings"),
    ({"on_warning": '{ reassign = "bob" }'}, "on_warning: reassign: must be an agent email"),
    ({"on_warning": '{ team = "" }'}, "on_warning: team: must be a team name"),
    ({"on_warning": '{ add_tags = ["two words"] }'}, "add_tags: bad tag 'two words'"),
    ({"on_warning": '{ escalate = true }'}, "on_warning: unknown key 'escalate'"),
    ({"on_warning": "{}"}, "on_warning: must be a table with at least one of"),
])
def test_invalid_policies_name_section_and_key(fields, message):
    with pytest.raises(Invalid) as caught:
        load_sla_config(policy_toml(**fields))
    assert message in str(caught.value)


def test_unknown_top_level_key_and_bad_shapes():
    with pytest.raises(Invalid, match="unknown key 'policy' \\(did you mean 'policies'\\?\\)"):
        load_sla_config('[[policy]]\nname = "x"\n')
    with pytest.raises(Invalid, match="calendars.office: hours.mon: range '18:00-09:00' ends before"):
        load_sla_config('[calendars.office]\ntimezone = "UTC"\nhours = { mon = "18:00-09:00" }\n')
    with pytest.raises(Invalid, match="policies: must be an array of tables"):
        load_sla_config('policies = "all"\n')
    assert load_sla_config("").policies == []

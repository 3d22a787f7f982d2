"""The report definitions on hand-built histories (docs/reports.md), the issue's examples verbatim."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpdesk.services.insight.satisfaction import Counts, csat_json, nps
from tests.services.insight.support import UTC, Story, local, shanghai_desk

H, MIN, DAY = 3600, 60, 86400


@pytest.fixture
def story(desk, crew):
    shanghai_desk(desk, crew)
    return Story(desk, crew)


def test_first_reply_friday_evening_to_monday_morning_in_calendar_and_business_time(story):
    tid = story.create(local("2026-03-06 17:00"))  # a Friday
    story.reply(local("2026-03-09 10:00"), tid)  # Monday
    row = story.row(tid)
    assert row.first_reply_seconds == 3900 * MIN
    assert row.first_reply_business == 120 * MIN
    out = story.report(period="2026-03", now=local("2026-03-20 12:00"))
    assert out["first_reply"]["median"] == 3900 * MIN
    assert out["first_reply"]["median_business"] == 120 * MIN
    assert out["first_reply"]["count"] == 1 and out["first_reply"]["no_reply"] == 0


def test_notes_automatic_replies_and_phone_logs_do_not_count_as_first_replies(story, crew):
    from helpdesk.services.core.actors import Actor

    rule = Actor(None, "rule:ack", "ack", "admin")
    t0 = local("2026-03-02 10:00")
    noted = story.create(t0)
    story.reply(t0 + timedelta(minutes=5), noted, kind="note")
    story.reply(t0 + timedelta(minutes=6), noted, actor=rule)  # an automatic acknowledgement
    story.reply(t0 + timedelta(minutes=30), noted)
    phone = story.create(t0, body=None, requester=None)  # logged by the agent: their reply comes first
    story.reply(t0 + timedelta(minutes=1), phone)
    waiting = story.create(t0)
    assert story.row(noted).first_reply_seconds == 30 * MIN
    assert story.row(noted).agent_replies == 1
    assert story.row(phone).first_reply_at is None and story.row(phone).agent_replies == 1
    out = story.report(period="2026-03", now=local("2026-03-02 12:00"))["first_reply"]
    assert (out["count"], out["median"], out["no_reply"]) == (1, 30 * MIN, 1)
    assert waiting


def test_ten_solved_tickets_give_fcr_four_of_eight_and_one_touch_seven_of_ten(story):
    t = local("2026-03-02 10:00")
    ids = [story.create(t) for _ in range(10)]
    later = t + timedelta(hours=1)
    for tid in ids[:4]:  # exactly one reply, never reopened
        story.reply(later, tid)
        story.status(later + timedelta(minutes=1), tid, "solved")
    reopened = ids[4]  # one reply, reopened, solved again
    story.reply(later, reopened)
    story.status(later + timedelta(minutes=1), reopened, "solved")
    story.reopen(later + timedelta(minutes=2), reopened)
    story.status(later + timedelta(minutes=3), reopened, "solved")
    for tid in ids[5:8]:  # two or more replies
        story.reply(later, tid)
        story.reply(later + timedelta(minutes=1), tid)
        story.status(later + timedelta(minutes=2), tid, "solved")
    for tid in ids[8:]:  # none
        story.status(later, tid, "solved")
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"))
    assert out["solved"] == 10
    assert out["fcr"] == {"rate": 0.5, "count": 4, "of": 8, "zero_reply": 2,
                          "one_touch": {"rate": 0.7, "count": 7, "of": 10}}
    assert out["reopen"] == {"rate": 0.1, "tickets": 1, "events": 1}
    assert story.row(reopened).reopens == 1


def test_csat_response_rate_and_nps_arithmetic():
    c = Counts(surveyed=12, rated=10, good=8, promoters=5, passives=3, detractors=2)
    assert csat_json(c) == {"rated": 10, "good": 8, "surveyed": 12, "rate": 0.8, "response_rate": 10 / 12}
    assert nps(c) == 30
    assert csat_json(None) is None and nps(None) is None


def test_period_months_are_cut_at_midnight_in_the_desk_time_zone(story):
    inside = story.create(datetime(2026, 2, 28, 16, 0, tzinfo=UTC))
    outside = story.create(datetime(2026, 3, 31, 16, 0, tzinfo=UTC))
    out = story.report(period="2026-03", now=local("2026-04-10 12:00"))
    assert out["created"] == 1
    assert out["period"]["from"] == "2026-02-28T16:00:00+00:00" and out["period"]["to"] == "2026-03-31T16:00:00+00:00"
    april = story.report(period="2026-04", now=local("2026-04-10 12:00"))
    assert april["created"] == 1
    assert inside != outside


def test_all_of_the_history_counts_only_solved_tickets_as_solved(story):
    t = local("2026-03-02 10:00")
    done, waiting = story.create(t), story.create(t)
    story.status(t + timedelta(hours=1), done, "solved")
    out = story.report(now=local("2026-03-10 12:00"))
    assert out["period"]["label"] == "all time"
    assert (out["created"], out["solved"], out["backlog"]["total"]) == (2, 1, 1)
    assert waiting


def test_no_surveys_on_this_desk_reports_csat_and_nps_as_null(story):
    out = story.report(now=local("2026-03-10 12:00"))
    assert out["csat"] is None and out["nps"] is None
    assert out["satisfaction"] == "no surveys on this desk"


def test_resolution_first_and_full_in_calendar_and_business_time(story):
    tid = story.create(local("2026-03-02 09:00"))  # Monday, office opens
    story.reply(local("2026-03-02 09:30"), tid)
    story.status(local("2026-03-02 11:00"), tid, "solved")  # first solve: 2h
    story.reopen(local("2026-03-02 20:00"), tid)
    story.status(local("2026-03-03 10:00"), tid, "solved")  # last solve: 25h later, 10 business hours
    row = story.row(tid)
    assert (row.first_resolution_seconds, row.first_resolution_business) == (2 * H, 2 * H)
    assert (row.resolution_seconds, row.resolution_business) == (25 * H, 10 * H)
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"))["resolution"]
    assert (out["median"], out["median_business"]) == (25 * H, 10 * H)


def test_requester_wait_agent_work_pending_and_on_hold_from_the_status_history(story):
    t = local("2026-03-02 09:00")
    tid = story.create(t)
    story.reply(t + timedelta(hours=1), tid)  # new -> open at 1h
    story.status(t + timedelta(hours=2), tid, "pending")  # new/open 2h
    story.customer(t + timedelta(hours=5), tid)  # pending 3h, back to open
    story.status(t + timedelta(hours=6), tid, "on_hold")  # open 1h
    story.status(t + timedelta(hours=10), tid, "open")  # on hold 4h
    story.status(t + timedelta(hours=11), tid, "solved")  # open 1h
    row = story.row(tid)
    assert (row.open_seconds, row.pending_seconds, row.on_hold_seconds) == (4 * H, 3 * H, 4 * H)
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"))["time_in_status"]
    assert out == {"requester_wait_mean": 8 * H, "agent_work_mean": 4 * H, "pending_mean": 3 * H,
                   "on_hold_mean": 4 * H}


def test_sla_attainment_edges_met_at_target_counts_achieved_past_due_running_breached_in_time_left_out(story):
    t = local("2026-03-02 10:00")
    on_time = story.create(t, tags=["fast"])
    story.reply(t + timedelta(hours=1), on_time)  # exactly at the 1h target
    late = story.create(t, tags=["fast"])
    story.reply(t + timedelta(hours=1, seconds=1), late)
    overdue = story.create(t, tags=["fast"])  # never answered: past due at now
    fresh = story.create(t + timedelta(hours=1, minutes=30), tags=["fast"])  # still in time at now
    out = story.report(period="2026-03", now=t + timedelta(hours=2), query="tag:fast")["sla"]["first_response"]
    assert out == {"achieved": 1, "breached": 2, "rate": 1 / 3}
    assert overdue and fresh


def test_backlog_rebuilt_at_a_moment_from_the_history_with_age_buckets(story):
    t = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    tid = story.create(t)
    story.status(t + timedelta(days=2), tid, "solved")
    story.reopen(t + timedelta(days=5), tid)
    old = story.create(t - timedelta(days=10))
    story.status(t + timedelta(hours=1), old, "solved")
    now = t + timedelta(days=9)

    def at(delta):
        return story.report("backlog", now=now, at=t + delta)["backlog"]

    assert at(timedelta(hours=12)) == {"total": 1, "under_24h": 1, "d1_3": 0, "d3_7": 0, "over_7d": 0}
    assert at(-timedelta(hours=1))["over_7d"] == 1  # the old one, before it was solved
    assert at(timedelta(days=1, hours=1)) == {"total": 1, "under_24h": 0, "d1_3": 1, "d3_7": 0, "over_7d": 0}
    assert at(timedelta(days=3))["total"] == 0  # solved then
    assert at(timedelta(days=6)) == {"total": 1, "under_24h": 0, "d1_3": 0, "d3_7": 1, "over_7d": 0}
    assert story.report("backlog", now=now)["backlog"]["over_7d"] == 1  # now: reopened, 9 days old


def test_volume_by_channel_priority_team_type_and_heatmap_in_desk_time(story):
    monday_930 = local("2026-03-02 09:30")  # 01:30Z
    story.create(monday_930, channel="email", priority="high", team="billing", type="incident")
    story.create(local("2026-03-08 23:50"), channel="phone")  # Sunday night in Shanghai, 15:50Z
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"))
    assert out["by_channel"] == {"email": 1, "phone": 1}
    assert out["by_priority"] == {"high": 1, "normal": 1}
    assert out["by_team"] == {"billing": 1, "(none)": 1}
    assert out["by_type"] == {"incident": 1, "(none)": 1}
    heat = story.report("heatmap", period="2026-03", now=local("2026-03-10 12:00"))
    assert heat["cells"][0][9] == 1 and heat["cells"][6][23] == 1 and heat["total"] == 2


def test_a_query_narrows_every_figure(story, desk, crew):
    from helpdesk.services.types.catalog import load_types_file

    desk.write(lambda s: load_types_file(s, crew.admin, '[[types]]\nname = "退货退款"\n'))
    t = local("2026-03-02 10:00")
    story.create(t, team="billing", type="退货退款")
    story.create(t, team="support")
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"), query="team:billing type:退货退款")
    assert out["created"] == 1 and out["backlog"]["total"] == 1


def test_agents_replies_solved_and_first_replies(story, crew):
    t = local("2026-03-02 10:00")
    a = story.create(t, assignee="bob@example.com")
    story.reply(t + timedelta(minutes=10), a)
    story.reply(t + timedelta(minutes=20), a)
    story.status(t + timedelta(minutes=30), a, "solved")
    b = story.create(t)
    story.reply(t + timedelta(minutes=30), b, actor=crew.admin)
    out = story.report("agents", period="2026-03", now=local("2026-03-10 12:00"))["agents"]
    by = {r["agent"]: r for r in out}
    assert by["bob@example.com"]["replies"] == 2 and by["bob@example.com"]["solved"] == 1
    assert by["bob@example.com"]["first_replies"] == 1 and by["bob@example.com"]["first_reply_mean"] == 10 * MIN
    assert by["ada@example.com"]["first_reply_mean"] == 30 * MIN and by["ada@example.com"]["solved"] == 0


def test_percentiles_median_of_an_even_count_and_p90_nearest_rank(story):
    t = local("2026-03-02 10:00")
    for minutes in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        story.reply(t + timedelta(minutes=minutes), story.create(t, tags=["fast"]))
    out = story.report(period="2026-03", now=local("2026-03-10 12:00"))["first_reply"]
    assert out["median"] == 55 * MIN and out["p90"] == 90 * MIN and out["mean"] == 55 * MIN
    # 10:00 on a Monday is office time: business time is the same here
    assert out["median_business"] == 55 * MIN and out["p90_business"] == 90 * MIN

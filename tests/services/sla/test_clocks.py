"""SLA clocks kept by the services: business hours, pauses, reopen, policy change (moved clock, no sleeps)."""

from __future__ import annotations

from datetime import timedelta

from sla_support import H, M, local, shanghai, sla_desk, utc  # noqa: F401  (sla_desk is a fixture)


def iso(dt) -> str:
    return dt.isoformat()


# --- business time in the product ---------------------------------------------------------------


def test_weekend_is_skipped(sla_desk):
    tid = sla_desk.create(shanghai(2026, 1, 9, 17))  # Friday 17:00, one hour before closing
    due = shanghai(2026, 1, 12, 10)  # 1h on Friday + 1h on Monday
    assert sla_desk.ticket(tid).sla_due_at == due
    first = sla_desk.sla(tid, shanghai(2026, 1, 10, 12))["first_response"]  # Saturday: nothing counts
    assert (first["state"], first["remaining_seconds"], first["due_at"]) == ("running", H, iso(due))


def test_lunch_break_is_skipped(sla_desk):
    tid = sla_desk.create(shanghai(2026, 1, 5, 11))
    first = sla_desk.sla(tid, shanghai(2026, 1, 5, 12, 30))["first_response"]
    assert first["due_at"] == iso(shanghai(2026, 1, 5, 14)) and first["remaining_seconds"] == H


def test_holidays_are_skipped(sla_desk):
    tid = sla_desk.create(shanghai(2026, 9, 30, 17))  # Oct 1-2, 5-7 are holidays, 3-4 the weekend
    assert sla_desk.ticket(tid).sla_due_at == shanghai(2026, 10, 8, 10)


def test_make_up_working_day_counts(sla_desk):
    tid = sla_desk.create(shanghai(2026, 10, 9, 17))  # Friday; Saturday the 10th is a working day
    assert sla_desk.ticket(tid).sla_due_at == shanghai(2026, 10, 10, 10)


def test_dst_change_over_the_weekend(sla_desk):
    # Berlin leaves CET for CEST on Sunday 29 March 2026: Monday opens at 07:00 UTC, not 08:00.
    tid = sla_desk.create(local("Europe/Berlin", 2026, 3, 27, 16), tags=["berlin"])
    assert sla_desk.ticket(tid).sla_policy == "Berlin"
    assert sla_desk.ticket(tid).sla_due_at == utc(2026, 3, 30, 8)
    first = sla_desk.sla(tid, utc(2026, 3, 30, 7, 30))["first_response"]
    assert first["remaining_seconds"] == 30 * M


def test_created_outside_hours_starts_at_the_next_opening(sla_desk):
    tid = sla_desk.create(shanghai(2026, 1, 5, 20))
    assert sla_desk.ticket(tid).sla_due_at == shanghai(2026, 1, 6, 11)
    assert sla_desk.sla(tid, shanghai(2026, 1, 6, 8))["first_response"]["remaining_seconds"] == 2 * H


# --- clocks over a ticket's life ------------------------------------------------------------------


def test_reply_meets_first_response_and_customer_starts_next_response(sla_desk):
    tid = sla_desk.create(shanghai(2026, 1, 5, 9))
    sla_desk.note(shanghai(2026, 1, 5, 9, 30), tid)  # an internal note is no answer
    assert sla_desk.sla(tid, shanghai(2026, 1, 5, 9, 30))["first_response"]["state"] == "running"
    sla_desk.reply(shanghai(2026, 1, 5, 10), tid)
    sla = sla_desk.sla(tid, shanghai(2026, 1, 5, 15))
    assert sla["first_response"] == {
        "target_seconds": 2 * H, "due_at": iso(shanghai(2026, 1, 5, 11)), "state": "met",
        "remaining_seconds": H, "met_at": iso(shanghai(2026, 1, 5, 10)), "breached_at": None}
    assert sla["next_response"] is None
    sla_desk.customer(shanghai(2026, 1, 5, 16), tid)
    nxt = sla_desk.sla(tid, shanghai(2026, 1, 5, 17))["next_response"]
    assert (nxt["state"], nxt["remaining_seconds"], nxt["due_at"]) == ("running", 3 * H, iso(shanghai(2026, 1, 6, 11)))


def test_pending_pauses_resolution_and_open_resumes_it(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")  # Urgent: always, resolution 4h
    sla_desk.reply(utc(2026, 1, 5, 10, 30), tid)
    sla_desk.status(utc(2026, 1, 5, 11), tid, "pending")
    paused = sla_desk.sla(tid, utc(2026, 1, 5, 14))["resolution"]
    assert (paused["state"], paused["remaining_seconds"], paused["due_at"]) == ("paused", 3 * H, None)
    ticket = sla_desk.ticket(tid)
    assert (ticket.sla_state, ticket.sla_due_at, ticket.sla_check_at) == ("paused", None, None)
    assert sla_desk.query("sla:paused", utc(2026, 1, 5, 14)) == [tid]
    sla_desk.status(utc(2026, 1, 5, 15), tid, "open")
    running = sla_desk.sla(tid, utc(2026, 1, 5, 16))["resolution"]
    assert (running["state"], running["remaining_seconds"], running["due_at"]) == (
        "running", 2 * H, iso(utc(2026, 1, 5, 18)))


def test_on_hold_pauses_and_the_ticket_shows_paused(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    sla_desk.status(utc(2026, 1, 5, 10, 20), tid, "on_hold")
    ticket = sla_desk.ticket(tid)
    assert ticket.sla_state == "running"  # first response still runs: on_hold does not stop reply clocks
    sla_desk.reply(utc(2026, 1, 5, 10, 40), tid)
    assert sla_desk.ticket(tid).sla_state == "paused"
    assert sla_desk.query("sla:paused", utc(2026, 1, 5, 11)) == [tid]


def test_reopen_resumes_resolution_where_it_stopped(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    sla_desk.reply(utc(2026, 1, 5, 10, 30), tid)
    sla_desk.status(utc(2026, 1, 5, 12), tid, "solved")
    met = sla_desk.sla(tid, utc(2026, 1, 5, 13))["resolution"]
    assert (met["state"], met["remaining_seconds"], met["met_at"]) == ("met", 2 * H, iso(utc(2026, 1, 5, 12)))
    assert sla_desk.ticket(tid).sla_check_at is None
    sla_desk.reopen(utc(2026, 1, 6, 9), tid)
    again = sla_desk.sla(tid, utc(2026, 1, 6, 9, 30))["resolution"]
    assert (again["state"], again["remaining_seconds"], again["due_at"], again["met_at"]) == (
        "running", 90 * M, iso(utc(2026, 1, 6, 11)), None)


def test_customer_message_on_a_solved_ticket_reopens_it_and_starts_next_response(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    sla_desk.reply(utc(2026, 1, 5, 10, 30), tid)
    sla_desk.status(utc(2026, 1, 5, 11), tid, "solved")
    sla_desk.customer(utc(2026, 1, 5, 13), tid)
    sla = sla_desk.sla(tid, utc(2026, 1, 5, 13, 15))
    assert sla["next_response"]["state"] == "running"
    assert sla["next_response"]["due_at"] == iso(utc(2026, 1, 5, 14))
    assert sla["resolution"]["remaining_seconds"] == 3 * H - 15 * M


def test_priority_change_recomputes_from_the_start_and_records_an_event(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 2))  # Office: 2h of Shanghai office time
    assert sla_desk.ticket(tid).sla_due_at == shanghai(2026, 1, 5, 12)
    before = sla_desk.ticket(tid).version
    sla_desk.change(utc(2026, 1, 5, 2, 30), tid, priority="urgent")
    ticket = sla_desk.ticket(tid)
    assert ticket.sla_policy == "Urgent" and ticket.version == before + 1  # one bump: the priority change
    assert ticket.sla_due_at == utc(2026, 1, 5, 3)  # 1h from creation, round the clock
    assert sla_desk.events(tid) == [("sla_policy", "Office", "Urgent")]
    first = sla_desk.sla(tid, utc(2026, 1, 5, 2, 45))["first_response"]
    assert (first["target_seconds"], first["remaining_seconds"]) == (H, 15 * M)


def test_tier_change_moves_the_ticket_to_the_vip_policy(sla_desk):
    from helpdesk.services.people import contacts

    tid = sla_desk.create(utc(2026, 1, 5, 2), requester="vip@acme.example")
    assert sla_desk.ticket(tid).sla_policy == "VIP"
    sla_desk.at(utc(2026, 1, 5, 2, 10), lambda s: contacts.get_or_create_org(s, "Acme", "gold"))
    sla_desk.note(utc(2026, 1, 5, 2, 20), tid)  # the next change of the ticket picks the tier up
    assert sla_desk.ticket(tid).sla_policy == "Office"
    assert sla_desk.events(tid) == [("sla_policy", "VIP", "Office")]


def test_a_tag_a_policy_matches_moves_the_clocks_and_other_tags_leave_them(sla_desk):
    """Only changes a clock can see are worked out again: `tag:berlin` switches the policy
    (and its calendar); a tag, a field or an assignee no policy reads moves nothing, and
    the clocks stay exactly those a full recomputation gives."""
    from helpdesk.models import SlaClock
    from helpdesk.services.sla.tracking import track
    from sqlalchemy import select

    def clocks(tid):
        with sla_desk.desk.read() as s:
            return {(c.kind, c.policy, c.due_at, c.state) for c in s.execute(
                select(SlaClock).where(SlaClock.ticket_id == tid)).scalars()}

    tid = sla_desk.create(utc(2026, 1, 5, 2))
    office = clocks(tid)
    sla_desk.change(utc(2026, 1, 5, 2, 10), tid, add_tags=["printer"], assignee=None)
    assert clocks(tid) == office and sla_desk.events(tid) == []
    sla_desk.change(utc(2026, 1, 5, 2, 20), tid, add_tags=["berlin"])
    assert sla_desk.ticket(tid).sla_policy == "Berlin"
    assert sla_desk.events(tid) == [("sla_policy", "Office", "Berlin")]
    berlin = clocks(tid)
    assert {c[1] for c in berlin} == {"Berlin"}
    sla_desk.at(utc(2026, 1, 5, 2, 30), lambda s: track(s, [tid], now=utc(2026, 1, 5, 2, 30)))
    assert clocks(tid) == berlin  # what was skipped would have changed nothing
    sla_desk.change(utc(2026, 1, 5, 2, 40), tid, remove_tags=["berlin"])
    assert sla_desk.ticket(tid).sla_policy == "Office"


def test_clock_tracking_does_not_bump_version_or_updated_at(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    ticket = sla_desk.ticket(tid)
    sla_desk.sweep(utc(2026, 1, 5, 10, 45))  # the first-response warning (75% of 1h)
    after = sla_desk.ticket(tid)
    assert (after.version, after.updated_at) == (ticket.version, ticket.updated_at)
    assert after.sla_state == "warning"


# --- the due second, and the summary columns queries use ------------------------------------------------


def test_breach_exactly_at_the_due_second(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    due = utc(2026, 1, 5, 11)
    early = sla_desk.sla(tid, due - timedelta(seconds=1))["first_response"]
    assert (early["state"], early["remaining_seconds"]) == ("running", 1)
    assert sla_desk.sweep(due - timedelta(seconds=1)).breaches == 0
    on_time = sla_desk.sla(tid, due)["first_response"]
    assert (on_time["state"], on_time["remaining_seconds"], on_time["breached_at"]) == ("breached", 0, iso(due))
    assert sla_desk.sweep(due).breaches == 1
    assert sla_desk.ticket(tid).sla_state == "breached"
    late = sla_desk.sla(tid, due + timedelta(minutes=5))["first_response"]
    assert late["remaining_seconds"] == -5 * M
    sla_desk.reply(due + timedelta(minutes=10), tid)
    met_late = sla_desk.sla(tid, due + timedelta(hours=1))["first_response"]
    assert (met_late["state"], met_late["remaining_seconds"], met_late["met_at"]) == (
        "breached", -10 * M, iso(due + timedelta(minutes=10)))


def test_reply_one_second_before_due_is_met(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    sla_desk.reply(utc(2026, 1, 5, 10, 59, 59), tid)
    first = sla_desk.sla(tid, utc(2026, 1, 5, 12))["first_response"]
    assert (first["state"], first["remaining_seconds"]) == ("met", 1)


def test_query_terms_use_the_summary_columns(sla_desk):
    soon = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")  # first response due 11:00
    later = sla_desk.create(utc(2026, 1, 5, 10))  # 18:00 in Shanghai: due Tuesday 11:00 there
    paused = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    sla_desk.reply(utc(2026, 1, 5, 10, 5), paused)
    sla_desk.status(utc(2026, 1, 5, 10, 6), paused, "pending")
    now = utc(2026, 1, 5, 10, 10)
    assert sla_desk.query("sla:due<2h", now) == [soon]
    assert sla_desk.query("sla:due<1d", now) == [soon, later]
    assert sla_desk.query("sla:paused", now) == [paused]
    assert sla_desk.query("sla:running", now) == [soon, later]
    sla_desk.sweep(utc(2026, 1, 5, 10, 50))
    assert sla_desk.query("sla:warning", utc(2026, 1, 5, 10, 50)) == [soon]
    sla_desk.sweep(utc(2026, 1, 5, 11))
    assert sla_desk.query("sla:breached", utc(2026, 1, 5, 11)) == [soon]
    assert sla_desk.query("sla:due<5m", utc(2026, 1, 5, 11)) == [soon]  # overdue counts as due


def test_no_policies_means_no_clocks(sla_desk):
    from helpdesk.models import Setting

    def drop(s):
        s.delete(s.get(Setting, "sla.config"))

    sla_desk.at(utc(2026, 1, 5, 9), drop)
    tid = sla_desk.create(utc(2026, 1, 5, 10))
    ticket = sla_desk.ticket(tid)
    assert (ticket.sla_policy, ticket.sla_state, ticket.sla_check_at) == (None, None, None)
    assert sla_desk.sla(tid, utc(2026, 1, 5, 11)) == {
        "policy": None, "first_response": None, "next_response": None, "resolution": None}

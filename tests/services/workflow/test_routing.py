"""Automatic assignment, as DESIGN.md's workflow contract and issue 12's examples say."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.models import Agent, Event, Ticket, TicketSkill, utcnow
from helpdesk.services.people import agents
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, update_ticket
from helpdesk.services.workflow.routing import route


@pytest.fixture
def billing(desk, crew):
    """Team billing routing round robin; agents A, B, C with capacity 2."""

    def make(s):
        for n in "abc":
            agents.add_agent(s, crew.admin, f"{n}@example.com", n.upper(), team="billing", capacity=2)
        agents.update_team(s, crew.admin, "billing", routing="round_robin")

    desk.write(make)
    return crew


def new(desk, actor, subject, **kw):
    return desk.write(lambda s: create_ticket(s, actor, NewTicket(subject=subject, team=kw.pop("team", "billing"), **kw)).id)


def holders(desk) -> list[str | None]:
    with desk.read() as s:
        rows = s.execute(select(Ticket.id, Agent.email).outerjoin(Agent, Agent.id == Ticket.assignee_id)
                         .order_by(Ticket.id)).all()
    return [email.split("@")[0] if email else None for _, email in rows]


def test_round_robin_fills_capacity_then_waits_and_a_solve_serves_the_next(desk, billing):
    ids = [new(desk, billing.admin, f"bill {i}") for i in range(7)]
    assert holders(desk) == ["a", "b", "c", "a", "b", "c", None]
    with desk.read() as s:
        a = s.execute(select(Agent).where(Agent.email == "a@example.com")).scalar_one()
        mine = s.execute(select(Ticket.id).where(Ticket.assignee_id == a.id)).scalars().first()
    desk.write(lambda s: update_ticket(s, billing.admin, mine, TicketChanges(status="solved")))
    assert holders(desk)[ids[-1] - 1] == "a"


def test_an_away_agent_gets_nothing_new_and_keeps_their_own(desk, billing):
    first = new(desk, billing.admin, "before")  # goes to A
    desk.write(lambda s: update_ticket(s, billing.admin, first, TicketChanges(assignee="b@example.com")))
    desk.write(lambda s: agents.update_agent(s, billing.admin, "b@example.com", away=True))
    for i in range(6):
        new(desk, billing.admin, f"bill {i}")
    got = holders(desk)
    assert got[0] == "b"  # still his
    assert got[1:].count("a") == 2 and got[1:].count("c") == 2 and got[1:].count(None) == 2
    desk.write(lambda s: agents.update_agent(s, billing.admin, "b@example.com", away=False))
    assert holders(desk).count(None) == 1  # back: his one free slot served at once


def test_urgent_is_served_first_then_oldest(desk, billing):
    desk.write(lambda s: [agents.update_agent(s, billing.admin, f"{n}@example.com", capacity=0) for n in "abc"])
    with time_machine.travel(utcnow() - timedelta(hours=3), tick=False):
        old = [new(desk, billing.admin, f"normal {i}") for i in range(3)]
    urgent = new(desk, billing.admin, "urgent", priority="urgent")
    desk.write(lambda s: agents.update_agent(s, billing.admin, "a@example.com", capacity=2))
    with desk.read() as s:
        assigned = {t.id for t in s.execute(select(Ticket).where(Ticket.assignee_id.is_not(None))).scalars()}
    assert assigned == {urgent, old[0]}


def test_least_loaded_prefers_the_most_room(desk, billing):
    def make(s):
        agents.update_team(s, billing.admin, "billing", routing="least_loaded")
        agents.update_agent(s, billing.admin, "a@example.com", capacity=5)
    desk.write(make)
    got = [new(desk, billing.admin, f"t{i}") for i in range(3)]
    assert [holders(desk)[i - 1] for i in got] == ["a", "a", "a"]  # 5 > 2 room, then 4, 3 (ties: longest ago)
    fourth = new(desk, billing.admin, "t4")
    assert holders(desk)[fourth - 1] == "b"  # all have room 2 now: the one served longest ago (never) first


def test_skills_are_ignored_after_the_team_timeout(desk, billing):
    def make(s):
        agents.update_agent(s, billing.admin, "c@example.com", skills=["vip"], away=True)
        agents.update_team(s, billing.admin, "billing", skills_timeout=1800)
    desk.write(make)

    def skilled(s, subject):
        t = create_ticket(s, billing.admin, NewTicket(subject=subject, team="support"))
        s.add(TicketSkill(ticket_id=t.id, skill="vip"))
        s.flush()
        return t.id
    with time_machine.travel(utcnow() - timedelta(hours=1), tick=False):
        old = desk.write(lambda s: skilled(s, "waited an hour"))
    fresh = desk.write(lambda s: skilled(s, "just in"))
    for tid in (fresh, old):
        desk.write(lambda s: update_ticket(s, billing.admin, tid, TicketChanges(team="billing")))
    got = holders(desk)
    assert got[fresh - 1] is None  # only C holds vip, and C is away
    assert got[old - 1] == "a"  # past the 30m timeout: anyone with room


def test_a_skilled_ticket_waits_for_a_skilled_agent(desk, billing):
    desk.write(lambda s: agents.update_agent(s, billing.admin, "c@example.com", skills=["vip"]))

    def make(s):
        t = create_ticket(s, billing.admin, NewTicket(subject="vip", team="support"))
        s.add(TicketSkill(ticket_id=t.id, skill="vip"))
        s.flush()
        update_ticket(s, billing.admin, t.id, TicketChanges(team="billing"))
        return t.id
    tid = desk.write(make)
    assert holders(desk)[tid - 1] == "c"


def test_every_assignment_is_an_event_naming_the_strategy(desk, billing):
    tid = new(desk, billing.admin, "x")
    with desk.read() as s:
        event = s.execute(select(Event).where(Event.ticket_id == tid, Event.field == "assignee")).scalar_one()
    assert event.actor == "routing" and event.reason == "routed: round_robin" and event.new == "a@example.com"


def test_manual_assignment_may_exceed_capacity(desk, billing):
    for i in range(3):
        tid = new(desk, billing.admin, f"m{i}", team="support")
        desk.write(lambda s: update_ticket(s, billing.admin, tid, TicketChanges(assignee="a@example.com")))
    with desk.read() as s:
        assert len(s.execute(select(Ticket).where(Ticket.assignee_id.is_not(None))).all()) == 3


def test_json_lines_create_routes_in_the_same_transaction(desk, billing):
    lines = [(i, f'{{"subject": "line {i}", "team": "billing"}}') for i in range(1, 8)]
    desk.write(lambda s: create_from_lines(s, billing.admin, lines))
    got = holders(desk)
    assert sorted(x for x in got if x) == ["a", "a", "b", "b", "c", "c"] and got.count(None) == 1


def test_dry_run_assigns_nothing(desk, billing):
    from helpdesk.models import Team

    desk.write(lambda s: agents.update_team(s, billing.admin, "billing", routing="manual"))
    new(desk, billing.admin, "wait 1")
    new(desk, billing.admin, "wait 2")

    def preview(s):
        s.execute(select(Team).where(Team.name == "billing")).scalar_one().routing = "round_robin"
        s.flush()
        return [a.to_dict() for a in route(s, dry_run=True)]
    shown = desk.rehearse(preview)
    assert [a["agent"] for a in shown] == ["a@example.com", "b@example.com"]
    assert holders(desk) == [None, None]


def test_only_admins_change_routing_but_anyone_may_go_away(desk, billing):
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        desk.write(lambda s: agents.update_team(s, billing.agent, "billing", routing="manual"))
    desk.write(lambda s: agents.update_agent(s, billing.agent, "bob@example.com", away=True))
    with pytest.raises(Forbidden):
        desk.write(lambda s: agents.update_agent(s, billing.agent, "bob@example.com", capacity=9))


def test_unknown_routing_is_refused_naming_the_choices(desk, billing):
    from helpdesk.errors import Invalid

    with pytest.raises(Invalid, match="round_robin"):
        desk.write(lambda s: agents.update_team(s, billing.admin, "billing", routing="random"))


def test_two_desks_routing_at_once_never_exceed_capacity(desk, db_url, billing):
    """Two processes' connections create tickets concurrently: no agent ends above 2."""
    import threading

    from helpdesk.db import open_desk

    other = open_desk(db_url)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def burst(d, prefix):
        try:
            start.wait()
            for i in range(8):
                d.write(lambda s: create_ticket(s, billing.admin, NewTicket(subject=f"{prefix}{i}", team="billing")))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=burst, args=(d, p)) for d, p in ((desk, "x"), (other, "y"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    other.close()
    assert not errors
    held = holders(desk)
    assert sorted(h for h in held if h) == ["a", "a", "b", "b", "c", "c"]
    assert held.count(None) == 10

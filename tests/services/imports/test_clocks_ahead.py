"""Which SLA policy a new ticket gets, decided in Python (sla_match) before it is
stored, is the database's answer (sla_policies.policy_index) for the same ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from helpdesk.models import Contact, Team, Ticket, TicketTag, utcnow
from helpdesk.services.imports.clocks_ahead import NewTicket, PolicyMatcher
from helpdesk.services.people import contacts as contact_book
from helpdesk.services.sla.policies import policy_index
from helpdesk.sla import Policy, SlaConfig
from tests.test_calendar import CALENDARS

NOW = datetime(2026, 1, 20, 12, tzinfo=UTC)
TERMS = [
    "status:open", "status:new,pending", "status:active", "priority:urgent", "priority:>=high",
    "priority:<normal", "type:incident", "type:question,task", "channel:email", "channel:import",
    "tag:vpn", "tag:VPN", "tag:退款", "assignee:bob@example.com", "assignee:none", "assignee:none,bob agent",
    "team:support", "team:none", "team:billing,none", "org:acme", "org:none", "org:acme,none",
    'org:"ünïcode gmbh"', 'org:"ÜNÏCODE GMBH"', "org.tier:vip", "tier:gold", "requester:joe@example.com", "requester:ann",
    "requester:LEE", "requester:zoë", "field.product:widget", "field.product:widget,gadget",
    "sla:breached", "sla:due<2h", "created:>2026-01-01", "created:<7d", "created:2026-01-10",
    "solved:<2026-01-15", "closed:>2025-12-30", "updated:>=2026-01-19",
    "assignee:nobody@example.com",  # unknown: that policy matches nothing, here and in SQL
]
REQUESTERS = ["joe", "ann", "zoe", "new", None]
ORGS = ["acme", "globex", "unicode", None]
TAGS = ["vpn", "VPN", "printer", "退款"]
times = st.datetimes(min_value=datetime(2025, 12, 20), max_value=datetime(2026, 1, 20),
                     timezones=st.just(UTC))


@pytest.fixture
def db_url(db_path):
    return db_path  # SQLite: the fast path it checks exists there only


@pytest.fixture
def world(desk, crew):
    """Agents and teams (crew), organizations and contacts with and without tiers."""
    def make(s):
        orgs = {"acme": contact_book.get_or_create_org(s, "Acme", "vip"),
                "globex": contact_book.get_or_create_org(s, "Globex"),
                "unicode": contact_book.get_or_create_org(s, "ÜNÏCODE GmbH", "Gold")}
        contacts = {}
        for key, email, name, tier, org in (("joe", "Joe@Example.com", "Joe Bloggs", None, "acme"),
                                            ("ann", None, "Ann LEE", "VIP", None),
                                            ("zoe", "zoe@example.com", "ZOË Smith", None, "globex")):
            contact = Contact(email=email, name=name, tier=tier, organization_id=orgs[org].id if org else None,
                              created_at=utcnow())
            s.add(contact)
            s.flush()
            contacts[key] = SimpleNamespace(id=contact.id, name=name, email=email)
        teams = {t.name: t.id for t in s.execute(select(Team)).scalars()}
        return SimpleNamespace(orgs={k: SimpleNamespace(id=o.id, name=o.name) for k, o in orgs.items()},
                               contacts=contacts, teams=teams, bob=crew.agent.agent_id, ada=crew.admin.agent_id)
    return desk.write(make)


def tickets(world):
    return st.builds(
        dict, status=st.sampled_from(["new", "open", "pending", "on_hold", "solved", "closed"]),
        priority=st.sampled_from(["low", "normal", "high", "urgent"]),
        type=st.sampled_from([None, "incident", "question", "task"]),
        channel=st.sampled_from(["import", "email", "phone"]), created_at=times,
        later=st.sampled_from([None, timedelta(hours=5), timedelta(days=3)]),
        assignee_id=st.sampled_from([None, world.bob, world.ada]),
        team_id=st.sampled_from([None, *world.teams.values()]),
        requester=st.sampled_from(REQUESTERS), organization=st.sampled_from(ORGS),
        tags=st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
        fields=st.sampled_from([{}, {"product": "Widget"}, {"product": "WIDGET"}, {"product": "gadget x"},
                                {"other": "widget"}]))


matches = st.lists(st.lists(st.tuples(st.booleans(), st.sampled_from(TERMS)), min_size=0, max_size=3)
                   .map(lambda terms: " ".join(("-" if neg else "") + t for neg, t in terms)),
                   min_size=1, max_size=4)


def config_of(texts: list[str]) -> SlaConfig:
    return SlaConfig(calendars={"c": CALENDARS[3]},
                     policies=[Policy(name=f"p{i}", match=text, calendar="c", first_response=3600)
                               for i, text in enumerate(texts)])


def stored_answer(s, world, spec: dict, config: SlaConfig) -> tuple[int, int]:
    """(the database's policy index, the Python one) for the ticket `spec` describes."""
    requester = _requester(s, world, spec["requester"])
    org = world.orgs[spec["organization"]] if spec["organization"] else None
    later = spec["created_at"] + spec["later"] if spec["later"] else None
    solved = later if spec["status"] in ("solved", "closed") else None
    closed = later if spec["status"] == "closed" else None
    ticket = NewTicket(status=spec["status"], priority=spec["priority"], channel=spec["channel"],
                       created_at=spec["created_at"], updated_at=later or spec["created_at"], type=spec["type"],
                       solved_at=solved, closed_at=closed, assignee_id=spec["assignee_id"], team_id=spec["team_id"],
                       requester=requester, organization=org, tags=spec["tags"], fields=spec["fields"])
    tid = s.execute(insert(Ticket).values(
        subject="s", status=ticket.status, priority=ticket.priority, type=ticket.type, channel=ticket.channel,
        requester_id=requester.id if requester else None, organization_id=org.id if org else None,
        assignee_id=ticket.assignee_id, team_id=ticket.team_id, fields=ticket.fields,
        created_at=ticket.created_at, updated_at=ticket.updated_at, solved_at=solved, closed_at=closed,
        version=1).returning(Ticket.id)).scalar_one()
    for tag in ticket.tags:
        s.execute(insert(TicketTag).values(ticket_id=tid, tag=tag))
    index = policy_index(s, config, NOW)
    in_sql = s.execute(select(index).where(Ticket.id == tid)).scalar_one() if index is not None else -1
    return in_sql, PolicyMatcher.build(s, config, NOW).index(ticket)


def _requester(s, world, key):
    if key != "new":
        return world.contacts.get(key) if key else None
    contact = Contact(name="Ann Newcomer", email="new@example.com", created_at=utcnow())  # made by the import
    s.add(contact)
    s.flush()
    return SimpleNamespace(id=contact.id, name=contact.name, email=contact.email)


def test_python_and_database_pick_the_same_policy(desk, world):
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(tickets(world), matches)
    def check(spec, texts):
        in_sql, in_python = desk.rehearse(lambda s: stored_answer(s, world, spec, config_of(texts)))
        assert in_python == in_sql, texts
    check()


@pytest.mark.parametrize("match", ['"printer jam"', "id:>5", "requester:a_b", "requester:10%"])
def test_terms_only_the_database_can_judge_leave_it_to_the_database(desk, world, match):
    config = config_of(["priority:urgent", match])
    assert desk.rehearse(lambda s: PolicyMatcher.build(s, config, NOW)) is None


SPEC = dict(status="open", priority="normal", type=None, channel="import", created_at=NOW - timedelta(days=2),
            later=None, assignee_id=None, team_id=None, requester=None, organization=None, tags=[], fields={})


@pytest.mark.parametrize("requester, organization, match, expected", [
    (None, None, "-org.tier:vip", -1),  # NULL IN (vip ids) is unknown, and NOT unknown too
    ("zoe", None, "-org.tier:vip", -1),  # not vip OR unknown: still unknown
    ("zoe", "globex", "-org.tier:vip", 0),
    ("ann", None, "org.tier:vip", 0),  # her own tier, in capitals
    (None, None, "-type:incident -assignee:bob@example.com -field.product:x", 0),  # NULL is "not x"
    (None, None, "-sla:breached", 0),
])
def test_unknowns_follow_sql(desk, world, requester, organization, match, expected):
    spec = dict(SPEC, requester=requester, organization=organization)
    assert desk.rehearse(lambda s: stored_answer(s, world, spec, config_of([match]))) == (expected, expected)

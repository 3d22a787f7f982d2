"""Demo desk: three agents, two teams, 40 contacts, 200 tickets in English and Chinese.

Made relative to now and consistent with itself: tickets came in over the past
three weeks (ids in that order), each with a history told by `demo_plan` and done
through the same services as real work (`demo_build`), so events, the search
index and the SLA clocks are what a real desk would hold. The SLA picture is a
healthy small team's: most open work within target, a handful due within two
hours, a few breached. Seeded: the same desk for the same moment."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.models import Contact, Ticket, utcnow
from helpdesk.services.core.actors import SYSTEM, Actor, actor_of
from helpdesk.services.customers import articles as kb
from helpdesk.services.desk import demo_build as build
from helpdesk.services.desk import demo_plan as plan
from helpdesk.services.desk.demo_content import (  # noqa: F401  (ADMIN_EMAIL: `init` reads it here)
    ADMIN_EMAIL,
    AGENTS,
    ARTICLES,
    CN_NAMES,
    CONTACTS,
    FIRST,
    ORGS,
    REPAIR_TAGS,
    TEAMS,
    TOPICS,
    WORDS,
)
from helpdesk.services.people import agents as agent_book
from helpdesk.services.people import contacts as contact_book
from helpdesk.services.sla.policies import policies_for, stored_config
from helpdesk.services.sla.tracking import one_recompute
from helpdesk.services.tickets import indexing
from helpdesk.services.tickets.lifecycle import NewTicket

PRIORITY_MIX = ["low"] * 2 + ["normal"] * 5 + ["high"] * 3 + ["urgent"] * 1
TICKETS = 200
SEED = 2026
UNTRIAGED = 3  # the newest tickets wait in "Unassigned", as do most from the last three hours


@dataclass
class Person:
    contact: Contact
    lang: str  # "en" | "zh"


def load(session: Session) -> str:
    """Load the demo desk once; a desk that already has tickets is left alone."""
    if session.execute(select(func.count()).select_from(Ticket)).scalar_one():
        return "skipped: the desk already has tickets"
    now = utcnow()  # also the mark of what the services write during the load (see demo_build)
    rng = random.Random(SEED)
    _people(session)
    agents = {email: actor_of(agent_book.get_agent(session, email)) for email, *_ in AGENTS}
    people = _contacts(session, agents[ADMIN_EMAIL])
    arrivals = plan.arrivals(rng, now, TICKETS)
    latest = [n for n, a in enumerate(arrivals) if a.fate == plan.ACTIVE and not a.hot][-UNTRIAGED:]
    drafts = [_draft(rng, n, arrival, people, now, n in latest) for n, arrival in enumerate(arrivals)]
    with one_recompute(session, now=now, reason="demo"), indexing.deferred(session):
        tickets = [build.create(session, agents[d.assignee or ADMIN_EMAIL], d, since=now) for d in drafts]
        terms = _terms(session, [t.id for t in tickets], now)
        told = plan.tell(rng, now, [(a, terms[t.id], d.assignee is not None)
                                    for a, t, d in zip(arrivals, tickets, drafts)])
        for n, (ticket, draft, (steps, _)) in enumerate(zip(tickets, drafts, told)):
            person = people[n % len(people)]
            agent = agents[draft.assignee or ADMIN_EMAIL]
            for step in steps:
                build.act(session, agent, ticket, step, _text(rng, person.lang, step), person.contact, since=now)
    build.settle_escalations(session, now)
    build.backdate_people(session, now - 60 * plan.DAY, since=now)
    _articles(session, agents[ADMIN_EMAIL])
    return f"{len(AGENTS)} agents, {len(people)} contacts, {TICKETS} tickets, {len(ARTICLES)} articles"


def _people(session: Session) -> None:
    for name in TEAMS:
        if not agent_book.find_team(session, name):
            agent_book.add_team(session, SYSTEM, name)
    for email, name, role, team in AGENTS:
        if not agent_book.find_agent(session, email):
            agent_book.add_agent(session, SYSTEM, email, name, role, team)


def _articles(session: Session, author: Actor) -> None:
    """The knowledge base the portal and ctrl+o show: through the same service as an agent's."""
    for title, category, state, body in ARTICLES:
        article = kb.add_article(session, author, title, body, category=category, internal=state == "internal")
        if state == "published":
            kb.publish_article(session, author, article.id)


def _contacts(session: Session, admin: Actor) -> list[Person]:
    out = []
    for i in range(CONTACTS):
        chinese = i % 2 == 1
        name = CN_NAMES[i // 2 % len(CN_NAMES)] if chinese else f"{FIRST[i // 2 % len(FIRST)]} {chr(65 + i % 26)}."
        org, tier = ORGS[i % len(ORGS)]
        email = f"customer{i + 1}@{'example.cn' if chinese else 'example.com'}"
        contact = contact_book.find_contact(session, email)
        if contact is None:
            contact = contact_book.add_contact(session, admin, email, name, org=org,
                                               phone=f"+86 138 0000 {i:04d}" if chinese else None)
            if tier:
                contact_book.get_or_create_org(session, org, tier)
        out.append(Person(contact, "zh" if chinese else "en"))
    return out


def _draft(rng: random.Random, n: int, arrival: plan.Arrival, people: list[Person], now: datetime,
           latest: bool) -> NewTicket:
    person = people[n % len(people)]
    subject, body, tag = rng.choice(TOPICS[person.lang])
    repairs = tag in REPAIR_TAGS
    agent = rng.choice(["li@demo.helpdesk"] * 4 + [ADMIN_EMAIL]) if repairs else rng.choice(
        [ADMIN_EMAIL, "tom@demo.helpdesk", "tom@demo.helpdesk"])
    fresh = arrival.fate == plan.ACTIVE and not arrival.hot and now - arrival.created < timedelta(hours=3)
    untriaged = latest or (fresh and rng.random() < 0.6)
    return NewTicket(
        subject=subject, body=body, requester=person.contact.email,
        priority="urgent" if arrival.hot else rng.choice(PRIORITY_MIX), tags=[tag],
        type=rng.choice(["question", "incident", "problem", "task"]), channel=rng.choice(["email", "phone", "chat", "web"]),
        assignee=None if untriaged else agent,
        team="repairs" if repairs else "support", created_at=arrival.created,
    )


def _terms(session: Session, ids: list[int], now: datetime) -> dict[int, plan.Terms]:
    """Each ticket's SLA policy, as the desk decides it (the shipped policies unless others were loaded)."""
    config = stored_config(session)
    return {tid: plan.Terms(policy, config.calendar_for(policy)) if policy else plan.Terms()
            for tid, policy in policies_for(session, config, ids, now=now).items()}


def _text(rng: random.Random, lang: str, step: plan.Step) -> str:
    return rng.choice(WORDS[lang][step.word]) if step.action != "status" else ""

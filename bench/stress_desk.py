"""The desk `bench/stress.py` runs on: teams that route, agents with capacities,
SLA policies short enough to warn and breach during a run, triggers and automations.

Every target is in seconds on a 24x7 calendar, so a run of a minute or two sees
first responses, next responses and resolutions warn and breach, and the worker's
sweeps fire them while the drivers keep changing the same tickets.
"""

from __future__ import annotations

import uuid

from helpdesk.db import open_desk

TEAMS = {"support": "round_robin", "billing": "least_loaded"}
AGENTS = [  # (email, name, team, capacity)
    ("s1@stress.test", "Sam One", "support", 3),
    ("s2@stress.test", "Sue Two", "support", 3),
    ("s3@stress.test", "Sid Three", "support", 2),
    ("b1@stress.test", "Bea One", "billing", 2),
    ("b2@stress.test", "Bob Two", "billing", 4),
]
ADMIN = "admin@stress.test"
LEAD = "lead@stress.test"

SLA = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "urgent"
match = "priority:urgent"
calendar = "always"
first_response = "15s"
next_response = "20s"
resolution = "45s"
warn_at = 0.5
on_warning = { notify = ["assignee"] }
on_breach = { notify = ["assignee", "team"], add_tags = ["sla-breached"] }

[[policies]]
name = "standard"
match = ""
calendar = "always"
first_response = "25s"
next_response = "40s"
resolution = "90s"
warn_at = 0.6
on_warning = { notify = ["team"] }
on_breach = { set_priority = "high", add_tags = ["escalated"], notify = ["agent:lead@stress.test"] }
"""

RULES = """
[[triggers]]
name = "printers to billing"
on = ["created"]
when = "printer -tag:printer"
actions = { team = "billing", add_tags = ["printer"] }

[[triggers]]
name = "urgent is hot"
on = ["created", "updated"]
when = "priority:urgent -tag:hot"
actions = { add_tags = ["hot"] }

[[triggers]]
name = "solved thanks"
on = ["updated"]
when = "status:solved -tag:thanked"
changed = { status = "solved" }
actions = { add_tags = ["thanked"] }

[[triggers]]
name = "customer wrote"
on = ["message"]
when = "status:open -tag:customer-wrote"
actions = { add_tags = ["customer-wrote"] }

[[automations]]
name = "pending reminder"
when = "status:pending status_age:>20s -tag:reminded"
actions = { add_tags = ["reminded"] }

[[automations]]
name = "stale high"
when = "priority:high status:open status_age:>30s -tag:stale"
actions = { add_tags = ["stale"] }
"""


def fresh_postgres(server_url: str) -> str:
    """A new, empty database on the server `server_url` names; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"helpdesk_stress_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    admin.dispose()


def build(url: str) -> None:
    """Schema, people, teams, SLA policies, rules and mail settings."""
    from helpdesk.services.core.actors import ANONYMOUS, actor_of
    from helpdesk.services.core.settings import set_setting
    from helpdesk.services.people import agents
    from helpdesk.services.sla.loading import load_policies
    from helpdesk.services.workflow.stored import load_rules_file

    desk = open_desk(url)
    try:
        def people(s):
            agents.add_agent(s, ANONYMOUS, ADMIN, "Ada Admin")
            admin = actor_of(agents.get_agent(s, ADMIN))
            for team, routing in TEAMS.items():
                agents.add_team(s, admin, team)
            agents.add_agent(s, admin, LEAD, "Lee Lead", "agent")
            for email, name, team, capacity in AGENTS:
                agents.add_agent(s, admin, email, name, "agent", team)
                agents.update_agent(s, admin, email, capacity=capacity)
            for team, routing in TEAMS.items():
                agents.update_team(s, admin, team, routing=routing)
            set_setting(s, admin, "mail.from", "desk@stress.test")
            set_setting(s, admin, "portal.url", "http://testserver")
            set_setting(s, admin, "survey.delay", "0s")
            load_policies(s, admin, SLA, source="stress-sla.toml")
            load_rules_file(s, admin, RULES, source="stress-rules.toml")
        desk.write(people)
    finally:
        desk.close()

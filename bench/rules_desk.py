"""The rules, teams and tickets `bench/bench_rules.py` runs on.

50 triggers as a busy desk writes them (topic tags and words to teams and tags,
priority and organization tiers, a few `changed`, a couple of notifies), a team
`frontline` routing round robin over 10 agents with capacity, and 20 automations
(reminders, escalations, auto-solve) of which one matches a given set of tickets.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from bench import dataset

ROUTED_TEAM = "frontline"
ROUTED_AGENTS = 10
CAPACITY = 100
NOTIFY_AGENT = "alice.smith@desk.example"


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _table(kind: str, rule: dict) -> str:
    return f"[[{kind}]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in rule.items()) + "\n"


def triggers(n: int = 50) -> list[dict]:
    out: list[dict] = []
    teams = [*dataset.TEAMS, ROUTED_TEAM]
    for i, (tag, en, cn) in enumerate(dataset.TOPICS):  # 30: one per topic
        if i % 3 == 0:
            when = en.split()[1]  # a topic word, free text
        elif i % 5 == 1:
            when = cn.split()[0]  # a Chinese topic word
        else:
            when = f"tag:{tag}"
        actions: dict = {"add_tags": [f"auto-{tag}"]}
        if i % 2 == 0:
            actions["team"] = teams[i % len(teams)]
        if i % 7 == 0:
            actions["priority"] = "high"
        out.append({"name": f"topic {tag}", "on": ["created"], "when": when, "actions": actions})
    out += [
        {"name": "vip first", "on": ["created"], "when": "org.tier:vip", "actions": {"priority": "high", "add_tags": ["vip"], "team": ROUTED_TEAM}},
        {"name": "vip contact", "on": ["created"], "when": "org.tier:vip -tag:vip", "actions": {"add_tags": ["vip"]}},
        {"name": "business tier", "on": ["created"], "when": "org.tier:business priority:low", "actions": {"priority": "normal"}},
        {"name": "urgent to frontline", "on": ["created"], "when": "priority:urgent team:none", "actions": {"team": ROUTED_TEAM}},
        {"name": "urgent tag", "on": ["created"], "when": "priority:urgent", "actions": {"add_tags": ["urgent"]}},
        {"name": "web channel", "on": ["created"], "when": "channel:web", "actions": {"add_tags": ["web"]}},
        {"name": "api channel", "on": ["created"], "when": "channel:api -tag:api", "actions": {"add_tags": ["api-in"]}},
        {"name": "unrouted to frontline", "on": ["created"], "when": "team:none assignee:none", "actions": {"team": ROUTED_TEAM}},
        {"name": "low priority", "on": ["created"], "when": "priority:low -tag:vip", "actions": {"add_tags": ["backlog"]}},
        {"name": "security urgent", "on": ["created"], "when": "tag:security priority:>=high", "actions": {"priority": "urgent"}},
        {"name": "outage words", "on": ["created"], "when": "outage", "actions": {"priority": "high", "add_tags": ["outage"]}},
        {"name": "complaint", "on": ["created"], "when": "投诉", "actions": {"add_tags": ["complaint"]}},
        {"name": "emea region", "on": ["created"], "when": "field.region:emea", "actions": {"add_tags": ["emea"]}},
        {"name": "no type", "on": ["created"], "when": "-type:incident -type:problem", "actions": {"add_tags": ["triage"]}},
    ]
    out += [  # on what the rules above change
        {"name": "notify urgent", "on": ["created", "updated"], "changed": {"priority": "urgent"}, "when": "",
         "actions": {"notify": ["team"]}},
        {"name": "notify vip", "on": ["updated"], "changed": {"tags": "vip"}, "when": "",
         "actions": {"notify": [NOTIFY_AGENT]}},
        {"name": "raised to high", "on": ["updated"], "changed": {"priority": "high"}, "when": "-tag:raised",
         "actions": {"add_tags": ["raised"]}},
        {"name": "team changed", "on": ["updated"], "changed": {"team": ROUTED_TEAM}, "when": "",
         "actions": {"add_tags": ["dispatched"]}},
        {"name": "solved tidy", "on": ["updated"], "changed": {"status": "solved"}, "when": "tag:triage",
         "actions": {"remove_tags": ["triage"]}},
        {"name": "reopened", "on": ["updated"], "changed": {"status": "open"}, "when": "tag:backlog",
         "actions": {"priority": "normal"}},
    ]
    return out[:n]


def automations(n: int = 20) -> list[dict]:
    """The first one is the reminder the "many" run matches; the rest need more than 1 day
    in a status, a tag or a word none of the measured tickets has."""
    rules = [
        ("pending reminder", "status:pending status_age:>72h -tag:reminded", {"add_tags": ["reminded"]}),
        ("solve after reminder", "status:pending tag:reminded status_age:>144h", {"status": "solved", "add_tags": ["auto-solved"]}),
        ("open idle", "status:open status_age:>48h -tag:stale", {"add_tags": ["stale"]}),
        ("stale to high", "status:open tag:stale status_age:>96h priority:normal", {"priority": "high"}),
        ("urgent unattended", "status:open priority:urgent status_age:>24h -tag:escalated", {"add_tags": ["escalated"], "notify": ["team"]}),
        ("new unassigned", "status:new assignee:none status_age:>24h -tag:unclaimed", {"add_tags": ["unclaimed"]}),
        ("on hold check", "status:on_hold status_age:>168h -tag:hold-check", {"add_tags": ["hold-check"]}),
        ("vip idle", "status:open org.tier:vip status_age:>24h -tag:vip-chase", {"add_tags": ["vip-chase"], "notify": ["team"]}),
        ("refund chase", "status:open 退款 status_age:>48h -tag:refund-chase", {"add_tags": ["refund-chase"]}),
        ("invoice chase", "status:pending invoice status_age:>48h -tag:invoice-chase", {"add_tags": ["invoice-chase"]}),
        ("solved close", "status:solved status_age:>168h -tag:closing", {"add_tags": ["closing"]}),
        ("billing pending", "status:pending team:billing status_age:>96h -tag:billing-chase", {"add_tags": ["billing-chase"]}),
        ("it pending", "status:pending team:it status_age:>96h -tag:it-chase", {"add_tags": ["it-chase"]}),
        ("sales open", "status:open team:sales status_age:>72h -tag:sales-chase", {"add_tags": ["sales-chase"]}),
        ("support open", "status:open team:support status_age:>72h -tag:support-chase", {"add_tags": ["support-chase"]}),
        ("frontline waiting", f"status:open team:{ROUTED_TEAM} assignee:none status_age:>24h -tag:waiting-long", {"add_tags": ["waiting-long"]}),
        ("security idle", "status:open tag:security status_age:>24h -tag:sec-chase", {"add_tags": ["sec-chase"], "priority": "urgent"}),
        ("high idle", "status:open priority:high status_age:>48h -tag:high-chase", {"add_tags": ["high-chase"]}),
        ("office hours pending", "status:pending status_age:>80h -tag:office-chase tag:vpn", {"add_tags": ["office-chase"]}),
        ("low auto-solve", "status:pending priority:low tag:reminded status_age:>240h", {"status": "solved"}),
    ]
    out = [{"name": name, "when": when, "actions": actions} for name, when, actions in rules[:n]]
    if len(out) >= 2:
        out[-2]["calendar"] = "office"  # business time, as a real desk would for one of them
    return out


def rules_toml(n_triggers: int, n_automations: int = 0) -> str:
    return ("".join(_table("triggers", t) for t in triggers(n_triggers))
            + "".join(_table("automations", a) for a in automations(n_automations)))


def prepare(path: Path, *, rules: str | None, routing: str) -> None:
    """Add the routed team and its agents, set its routing, load `rules` (TOML)."""
    from sqlalchemy import select

    from helpdesk.db import open_desk
    from helpdesk.models import Agent
    from helpdesk.services.core.actors import actor_of
    from helpdesk.services.people import agents
    from helpdesk.services.workflow.stored import load_rules_file

    desk = open_desk(str(path), migrate=False)

    def setup(s):
        admin = actor_of(s.execute(select(Agent).order_by(Agent.id)).scalars().first())
        agents.add_team(s, admin, ROUTED_TEAM)
        for i in range(ROUTED_AGENTS):
            agents.add_agent(s, admin, f"front{i}@desk.example", f"Front {i}", team=ROUTED_TEAM, capacity=CAPACITY)
        agents.update_team(s, admin, ROUTED_TEAM, routing=routing)
        if rules:
            load_rules_file(s, admin, rules, source="bench")

    desk.write(setup)
    desk.close()


def bulk_lines(desk: Path, count: int, seed: int = 5) -> list[dict]:
    """Half to the routed team unassigned, a fifth assigned by hand, the rest left to rules."""
    rng = random.Random(seed)
    writer = dataset.Writer(rng, pool=50)
    conn = sqlite3.connect(desk)
    agents = conn.execute("SELECT email, team_id FROM agent WHERE email LIKE '%@desk.example' ORDER BY id").fetchall()
    contacts = [e for (e,) in conn.execute("SELECT email FROM contact ORDER BY id")]
    conn.close()
    out = []
    for n in range(count):
        topic, lang = rng.randrange(len(dataset.TOPICS)), rng.choice(("en", "en", "cn"))
        line = {"subject": writer.subject(lang, topic), "body": writer.body(lang, topic),
                "requester": rng.choice(contacts) if rng.random() < 0.5 else f"new{n}@bulk.example",
                "priority": rng.choice(dataset.PRIORITIES), "tags": [dataset.TOPICS[topic][0]],
                "channel": rng.choice(("email", "web", "api"))}
        roll = rng.random()
        if roll < 0.5:
            line["team"] = ROUTED_TEAM
        elif roll < 0.7:
            email, team_id = rng.choice([a for a in agents if a[1]])
            line["assignee"], line["team"] = email, dataset.TEAMS[team_id - 1]
        out.append(line)
    return out


def open_everything(path: Path, now: datetime, *, many: int = 0, seed: int = 9) -> None:
    """Every ticket open (60%) or pending (40%), its status set in the last 20 hours; then
    `many` pending ones set 4 days ago, which the pending reminder matches."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    ids = [i for (i,) in conn.execute("SELECT id FROM ticket ORDER BY id")]
    rows = []
    for i in ids:
        at = dataset.stamp(now - timedelta(seconds=rng.randrange(20 * 3600)))
        rows.append(("open" if rng.random() < 0.6 else "pending", at, at, i))
    for i in rng.sample(range(len(rows)), many):
        at = dataset.stamp(now - timedelta(hours=84, seconds=rng.randrange(3600)))
        rows[i] = ("pending", at, at, rows[i][3])
    conn.execute("BEGIN")
    conn.executemany("UPDATE ticket SET status = ?, status_changed_at = ?, updated_at = ?, "
                     "solved_at = NULL, closed_at = NULL WHERE id = ?", rows)
    conn.execute("DELETE FROM ticket_tag WHERE tag = 'reminded'")
    conn.execute("COMMIT")
    conn.close()

"""Random rule sets: the set-based firing (workflow/batch.py row writes, bus.publish_many,
set-at-a-time routing) leaves exactly what the ticket-by-ticket path leaves, for any
triggers hypothesis makes up: same tickets, tags, notifications and, ticket by ticket
in order, the same events. Later triggers see earlier changes, a trigger fires once
per ticket per chain, `stop` ends a chain, the depth cap holds."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk.db import open_desk
from helpdesk.errors import HelpdeskError
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from helpdesk.services.workflow.stored import load_rules_file

from tests.services.workflow.test_set_based import NOW, one_by_one, snapshot, staffed_desk

TAGS = ["red", "blue", "hw", "vip"]
WHENS = ["", "printer", "tag:hw", "-tag:hw", "tag:red tag:blue", "-tag:red", "tag:vip", "priority:urgent",
         "priority:>=high", "priority:low", "team:none", "team:billing", "-team:support", "assignee:none",
         "org.tier:vip", "status:open", "登录"]
CHANGED = [None, {"priority": "high"}, {"priority": "urgent"}, {"priority": "*"}, {"tags": "red"},
           {"tags": "vip"}, {"team": "billing"}, {"team": "*"}]
ON = [["created"], ["created"], ["created", "updated"], ["updated"]]


@st.composite
def actions(draw) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["add_tags"] = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        out["remove_tags"] = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 2)) == 0:
        out["priority"] = draw(st.sampled_from(["low", "normal", "high", "urgent"]))
    if draw(st.integers(0, 2)) == 0:
        out["team"] = draw(st.sampled_from(["billing", "support"]))
    if draw(st.integers(0, 4)) == 0:  # the named agent may be gone: a warning on every ticket
        out["notify"] = draw(st.sampled_from([["team"], ["assignee"], ["b@example.com"], ["nobody@example.com"],
                                              ["team", "a@example.com"]]))
    if draw(st.integers(0, 7)) == 0:  # not set-based: `fire`, ticket by ticket, among set-based ones
        out["status"] = draw(st.sampled_from(["open", "pending"]))
    if not out:
        out["add_tags"] = [draw(st.sampled_from(TAGS))]
    return out


@st.composite
def trigger_sets(draw) -> str:
    text = ""
    for n in range(draw(st.integers(1, 7))):
        on = draw(st.sampled_from(ON))
        changed = draw(st.sampled_from(CHANGED)) if "updated" in on else None
        rule = {"name": f"rule {n}", "on": on, "when": draw(st.sampled_from(WHENS)), "actions": draw(actions())}
        if changed:
            rule["changed"] = changed
        if draw(st.integers(0, 9)) == 0:
            rule["stop"] = True
        text += "[[triggers]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in rule.items()) + "\n"
    return text


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


@st.composite
def ticket_lines(draw) -> list[tuple[int, str]]:
    out = []
    for i in range(draw(st.integers(1, 14))):
        line = {"subject": draw(st.sampled_from(["printer jammed", "无法登录", "invoice", "printer and 登录"])),
                "priority": draw(st.sampled_from(["low", "normal", "high", "urgent"])),
                "tags": draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))}
        if draw(st.integers(0, 3)) == 0:
            line["requester"] = "ann@acme.com"
        if draw(st.integers(0, 4)) == 0:
            line["team"] = draw(st.sampled_from(["billing", "support"]))
        if draw(st.integers(0, 7)) == 0:
            line["status"] = "closed"  # every action on it is a warning
        out.append((i + 1, json.dumps(line, ensure_ascii=False)))
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("random-rules") / "template.db"
    desk, _ = staffed_desk(str(path))
    desk.close()
    return path


def run(template: Path, folder: Path, name: str, rules: str, lines, raised: list[int]):
    path = folder / f"{name}.db"
    shutil.copyfile(template, path)
    desk = open_desk(str(path), migrate=False)
    try:
        from sqlalchemy import select

        from helpdesk.models import Agent
        from helpdesk.services.core.actors import actor_of

        with desk.read() as s:
            admin = actor_of(s.execute(select(Agent).where(Agent.email == "ada@example.com")).scalar_one())
        with time_machine.travel(NOW, tick=False):
            try:
                desk.write(lambda s: load_rules_file(s, admin, rules))
            except HelpdeskError:
                return None  # a set the loader refuses: nothing to compare
            ids = desk.write(lambda s: create_from_lines(s, admin, lines))

            def raise_some(s):  # an update chain on a few of them, in one transaction
                for tid in (ids[i % len(ids)] for i in raised):
                    update_ticket(s, admin, tid, TicketChanges(priority="urgent", add_tags=["red"]))

            try:
                desk.write(raise_some)
            except HelpdeskError:
                pass  # a closed ticket refuses the update: rolled back, the same on both paths
        return snapshot(desk)
    finally:
        desk.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(rules=trigger_sets(), lines=ticket_lines(), raised=st.lists(st.integers(0, 20), max_size=3))
def test_random_triggers_set_based_match_the_per_ticket_path(template, rules, lines, raised):
    with tempfile.TemporaryDirectory() as tmp:
        got = run(template, Path(tmp), "set", rules, lines, raised)
        with pytest.MonkeyPatch.context() as mp:
            one_by_one(mp)
            want = run(template, Path(tmp), "reference", rules, lines, raised)
    assert got == want

"""The insight columns on the ticket row stay right through reply, reopen, merge and import:
what the services wrote equals what the history gives when worked out again from scratch."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from helpdesk.models import Ticket
from helpdesk.services.insight.columns import COLUMNS, refresh_all
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import merge_tickets
from tests.services.insight.support import UTC, Story, local, shanghai_desk

H = 3600


@pytest.fixture
def story(desk, crew):
    shanghai_desk(desk, crew)
    return Story(desk, crew)


def columns(desk) -> dict:
    with desk.read() as s:
        rows = s.execute(select(Ticket.id, *(getattr(Ticket, c) for c in COLUMNS)).order_by(Ticket.id)).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def same(desk) -> None:
    before = columns(desk)
    after = recomputed(desk)
    diff = {(t, c): (x, y) for t in before for c, x, y in zip(COLUMNS, before[t], after[t]) if x != y}
    assert diff == {}


def recomputed(desk) -> dict:
    """Spoil every column, then work them all out again (what migration 0010 does)."""
    desk.write(lambda s: s.execute(update(Ticket).values(agent_replies=99, reopens=99, first_reply_seconds=-1,
                                                         resolution_seconds=-1, open_seconds=-1)))
    desk.write(refresh_all)
    return columns(desk)


def test_reply_reopen_and_customer_messages_keep_the_columns_right(story, desk):
    t = local("2026-03-02 10:00")
    tid = story.create(t)
    assert story.row(tid).agent_replies == 0 and story.row(tid).first_reply_at is None
    story.reply(t + timedelta(hours=1), tid)
    assert story.row(tid).agent_replies == 1 and story.row(tid).first_reply_seconds == H
    story.status(t + timedelta(hours=2), tid, "solved")
    assert story.row(tid).resolution_seconds == 2 * H
    story.customer(t + timedelta(hours=3), tid)  # reopens a solved ticket
    row = story.row(tid)
    assert row.reopens == 1 and row.resolution_seconds is None and row.first_resolution_seconds == 2 * H
    story.reply(t + timedelta(hours=4), tid)
    story.status(t + timedelta(hours=5), tid, "closed")
    row = story.row(tid)
    assert (row.agent_replies, row.reopens, row.resolution_seconds) == (2, 1, 5 * H)
    same(desk)


def test_merge_moves_the_replies_and_the_first_reply_to_the_target(story, desk, crew):
    t = local("2026-03-02 10:00")
    source, target = story.create(t), story.create(t + timedelta(hours=2))
    story.reply(t + timedelta(hours=1), source)
    story.at(t + timedelta(hours=3), lambda s: merge_tickets(s, crew.agent, source, target))
    row = story.row(target)
    assert row.agent_replies == 1
    # the source's request came first, so the target's conversation starts with a customer message
    assert story.row(source).agent_replies == 0 and story.row(source).first_reply_at is None
    same(desk)


def test_json_lines_import_of_solved_history_fills_resolution(story, desk, crew):
    lines = [(1, json.dumps({"subject": "old", "status": "solved", "created_at": "2026-01-05T02:00:00Z"})),
             (2, json.dumps({"subject": "new one", "created_at": "2026-01-05T02:00:00Z"}))]
    with __import__("time_machine").travel(datetime(2026, 1, 5, 5, 0, tzinfo=UTC), tick=False):
        ids = desk.write(lambda s: create_from_lines(s, crew.agent, lines))
    old, fresh = story.row(ids[0]), story.row(ids[1])
    assert old.first_solved_at is not None and old.resolution_seconds == 0
    assert fresh.resolution_seconds is None and fresh.agent_replies == 0
    same(desk)


def test_spreadsheet_import_keeps_the_columns_right(story, desk, crew, tmp_path):
    import csv

    from helpdesk.services.imports.run import open_import, run_import

    path = tmp_path / "tickets.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["编号", "标题", "状态", "创建时间", "解决时间"],
                                 ["A1", "打印机卡纸", "已解决", "2026-03-02 10:00", "2026-03-02 12:30"],
                                 ["A2", "无法登录", "处理中", "2026-03-02 11:00", ""]])
    with __import__("time_machine").travel(local("2026-03-05 10:00"), tick=False):
        run_import(desk, crew.admin, open_import(path, tz=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")))
    with desk.read() as s:
        rows = {t.subject: t for t in s.execute(select(Ticket)).scalars()}
    solved = rows["打印机卡纸"]
    assert solved.status == "solved"
    assert solved.resolution_seconds == int((solved.solved_at - solved.created_at).total_seconds())
    assert rows["无法登录"].resolution_seconds is None
    same(desk)


def test_loading_new_sla_policies_works_business_times_out_again(story, desk, crew):
    from helpdesk.services.sla.loading import load_policies

    tid = story.create(local("2026-03-06 17:00"))  # Friday evening, office calendar
    story.reply(local("2026-03-09 10:00"), tid)
    assert story.row(tid).first_reply_business == 2 * H
    always = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "Always"
match = ""
calendar = "always"
first_response = "1h"
"""
    story.at(local("2026-03-10 10:00"), lambda s: load_policies(s, crew.admin, always, source="always.toml"))
    assert story.row(tid).first_reply_business == 65 * H
    same(desk)


def test_migration_0010_backfills_an_existing_desk_from_its_history(tmp_path):
    """A desk at 0005 with history (rows written as that schema had them) upgraded to head:
    every ticket's figures are worked out from its messages and status changes."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from helpdesk.db import alembic_config

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agent (id, email, name, role, skills, active, created_at, away, routed_turn) "
                          "VALUES (1, 'bob@example.com', 'Bob', 'agent', '[]', 1, '2026-03-01 00:00:00', 0, 0)"))
        conn.execute(text("INSERT INTO ticket (id, subject, status, priority, channel, fields, created_at, updated_at, "
                          "version) VALUES (1, 'x', 'open', 'normal', 'email', '{}', '2026-03-02 01:00:00', "
                          "'2026-03-02 05:00:00', 4)"))
        for mid, agent, at in ((1, None, "2026-03-02 01:00:00"), (2, 1, "2026-03-02 02:00:00")):
            conn.execute(text("INSERT INTO message (id, ticket_id, kind, author_agent_id, author_contact_id, body, "
                              "headers, created_at) VALUES (:id, 1, 'reply', :agent, NULL, 'b', '{}', :at)"),
                         {"id": mid, "agent": agent, "at": at})
        for old, new, at in (("new", "open", "2026-03-02 02:00:00"), ("open", "solved", "2026-03-02 03:00:00"),
                             ("solved", "open", "2026-03-02 05:00:00")):
            conn.execute(text("INSERT INTO event (ticket_id, entity, entity_id, at, actor, field, old, new) "
                              "VALUES (1, 'ticket', 1, :at, 'bob', 'status', :old, :new)"),
                         {"old": old, "new": new, "at": at})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT agent_replies, reopens, first_reply_seconds, first_resolution_seconds, "
                                "resolution_seconds, open_seconds FROM ticket WHERE id = 1")).one()
    assert tuple(row) == (1, 1, H, 2 * H, None, 2 * H)
    engine.dispose()

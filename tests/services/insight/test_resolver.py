"""`report agents` credits a solved ticket to the agent who held it when it was solved
(ticket.resolver_id), not to whoever holds it now: through reassignment after the
solve, a reopen, an unassigned solve, imports and JSON Lines, and the 0015 backfill."""

from __future__ import annotations

import csv
import json
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.models import Ticket
from helpdesk.services.people import agents
from helpdesk.services.tickets.bulk import update_many
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from tests.pg_support import needs_pg, throwaway_database
from tests.services.insight.support import Story, local, shanghai_desk
from tests.services.insight.test_columns import same

T0 = local("2026-03-02 10:00")
NOW = local("2026-03-10 12:00")


@pytest.fixture
def story(desk, crew):
    shanghai_desk(desk, crew)
    desk.write(lambda s: agents.add_agent(s, crew.admin, "ann@example.com", "Ann Agent", "agent", "support"))
    return Story(desk, crew)


def assign(story, when, tid, who) -> None:
    story.at(when, lambda s: update_ticket(s, story.crew.admin, tid, TicketChanges(assignee=who)))


def solved_by(story) -> dict:
    """agent email -> tickets solved in March, as `report agents` shows them (zeros left out)."""
    out = story.report("agents", period="2026-03", now=NOW)["agents"]
    return {r["agent"]: r["solved"] for r in out if r["solved"]}


def test_a_ticket_solved_by_ann_then_given_to_bob_stays_anns(story, desk):
    tid = story.create(T0, assignee="ann@example.com")
    story.status(T0 + timedelta(hours=1), tid, "solved")
    assign(story, T0 + timedelta(hours=2), tid, "bob@example.com")
    assert solved_by(story) == {"ann@example.com": 1}
    story.status(T0 + timedelta(hours=3), tid, "closed")  # closing a solved ticket is not a new solve
    assert solved_by(story) == {"ann@example.com": 1}
    same(desk)  # a recompute from the history agrees


def test_reopened_reassigned_and_solved_again_is_the_new_holders(story, desk):
    tid = story.create(T0, assignee="ann@example.com")
    story.status(T0 + timedelta(hours=1), tid, "solved")
    story.reopen(T0 + timedelta(hours=2), tid)
    assign(story, T0 + timedelta(hours=3), tid, "bob@example.com")
    assert solved_by(story) == {}  # reopened: nobody's solve for now
    story.status(T0 + timedelta(hours=4), tid, "solved")
    assign(story, T0 + timedelta(hours=5), tid, "ann@example.com")
    assert solved_by(story) == {"bob@example.com": 1}
    same(desk)


def test_a_solve_and_a_reassignment_in_one_change_credit_the_new_assignee(story, desk, crew):
    tid = story.create(T0, assignee="ann@example.com")
    story.at(T0 + timedelta(hours=1), lambda s: update_many(s, crew.admin, [tid], TicketChanges(
        status="solved", assignee="bob@example.com")))
    assign(story, T0 + timedelta(hours=2), tid, "ann@example.com")
    assert solved_by(story) == {"bob@example.com": 1}
    same(desk)


def test_an_unassigned_solve_is_nobodys(story, desk):
    tid = story.create(T0)
    story.status(T0 + timedelta(hours=1), tid, "solved")
    assign(story, T0 + timedelta(hours=2), tid, "bob@example.com")
    assert solved_by(story) == {}
    assert story.row(tid).resolver_id is None
    same(desk)


def test_a_ticket_imported_solved_is_its_assignees(story, desk, crew, tmp_path):
    from helpdesk.services.imports.run import open_import, run_import

    path = tmp_path / "tickets.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["编号", "标题", "状态", "创建时间", "解决时间", "处理人"],
                                 ["A1", "打印机卡纸", "已解决", "2026-03-02 10:00", "2026-03-02 12:30",
                                  "ann@example.com"],
                                 ["A2", "无法登录", "已解决", "2026-03-02 11:00", "2026-03-02 12:00", ""],
                                 ["A3", "网络很慢", "处理中", "2026-03-02 11:00", "", "bob@example.com"]])
    with time_machine.travel(local("2026-03-05 10:00"), tick=False):
        run_import(desk, crew.admin, open_import(path, tz=ZoneInfo("Asia/Shanghai")))
    with desk.read() as s:
        ids = dict(s.execute(select(Ticket.external_id, Ticket.id)).all())
    assign(story, local("2026-03-06 09:00"), ids["A1"], "bob@example.com")  # ann's solve stays hers
    assert solved_by(story) == {"ann@example.com": 1}
    story.status(local("2026-03-06 10:00"), ids["A3"], "solved")
    assert solved_by(story) == {"ann@example.com": 1, "bob@example.com": 1}
    same(desk)


def test_an_import_row_that_solves_it_for_a_new_assignee_credits_them(story, desk, crew, tmp_path):
    from helpdesk.services.imports.run import open_import, run_import

    def run(rows, when):
        path = tmp_path / f"log{when.day}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["编号", "标题", "状态", "创建时间", "更新时间", "处理人"], *rows])
        with time_machine.travel(when, tick=False):
            run_import(desk, crew.admin, open_import(path, tz=ZoneInfo("Asia/Shanghai")))

    for day, status, updated, who in ((3, "处理中", "2026-03-02 10:00", "ann@example.com"),
                                      (4, "已解决", "2026-03-03 12:00", "bob@example.com"),  # solved for bob
                                      (5, "已解决", "2026-03-04 12:00", "ann@example.com")):  # then given back
        run([["B1", "打印机卡纸", status, "2026-03-02 10:00", updated, who]], local(f"2026-03-0{day} 10:00"))
    assert solved_by(story) == {"bob@example.com": 1}
    same(desk)


def test_json_lines_created_solved_is_its_assignees(story, desk, crew):
    lines = [(1, json.dumps({"subject": "old", "status": "solved", "assignee": "ann@example.com",
                             "created_at": "2026-03-02T02:00:00Z"})),
             (2, json.dumps({"subject": "new", "assignee": "bob@example.com", "created_at": "2026-03-02T02:00:00Z"}))]
    with time_machine.travel(T0, tick=False):
        ids = desk.write(lambda s: create_from_lines(s, crew.agent, lines))
    assign(story, T0 + timedelta(hours=1), ids[0], "bob@example.com")
    assert solved_by(story) == {"ann@example.com": 1}
    same(desk)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=needs_pg)])
def test_migration_0015_backfills_who_solved_from_the_history(tmp_path, backend):
    """A desk at 0014 where Ann solved ticket 1 and Bob holds it now, ticket 2 was solved
    unassigned and given to Bob, ticket 3 came solved with Bob (no assignee event), and
    ticket 4 Ann solved, was reopened, and is Bob's unsolved: upgraded to head."""
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else stack.enter_context(throwaway_database())
        assert backfilled(url) == {1: 1, 2: None, 3: 2, 4: None}


def backfilled(url: str) -> dict:
    from alembic import command
    from sqlalchemy import DateTime, bindparam, create_engine, text

    from helpdesk.db import alembic_config

    engine = create_engine(url)
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0014")
    with engine.begin() as conn:
        for aid, email in ((1, "ann@example.com"), (2, "bob@example.com")):
            conn.execute(text("INSERT INTO agent (id, email, name, role, skills, active, created_at, away, routed_turn) "
                              "VALUES (:id, :email, 'x', 'agent', '[]', :yes, '2026-03-01 00:00:00', :no, 0)"),
                         {"id": aid, "email": email, "yes": True, "no": False})
        for tid, status, assignee in ((1, "solved", 2), (2, "solved", 2), (3, "closed", 2), (4, "open", 2)):
            conn.execute(text("INSERT INTO ticket (id, subject, status, priority, channel, fields, created_at, "
                              "updated_at, solved_at, version, assignee_id) VALUES (:id, 'x', :status, 'normal', "
                              "'email', '{}', '2026-03-02 01:00:00', '2026-03-02 05:00:00', '2026-03-02 03:00:00', "
                              "4, :assignee)"), {"id": tid, "status": status, "assignee": assignee})
        history = [(1, "status", "open", "solved", "03"),
                   (1, "assignee", "ann@example.com", "bob@example.com", "04"),
                   (2, "status", "open", "solved", "03"), (2, "assignee", None, "bob@example.com", "04"),
                   (4, "assignee", None, "ann@example.com", "02"), (4, "status", "open", "solved", "03"),
                   (4, "status", "solved", "open", "04"), (4, "assignee", "ann@example.com", "bob@example.com", "05")]
        for n, (tid, field, old, new, hour) in enumerate(history, 1):
            conn.execute(text("INSERT INTO event (id, ticket_id, entity, entity_id, at, actor, field, old, new) "
                              "VALUES (:n, :tid, 'ticket', :tid, :at, 'ada', :field, :old, :new)")
                         .bindparams(bindparam("at", type_=DateTime(timezone=True))),
                         {"n": n, "tid": tid, "field": field, "old": old, "new": new,
                          "at": datetime(2026, 3, 2, int(hour), tzinfo=timezone.utc)})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, resolver_id FROM ticket ORDER BY id")).all())
    engine.dispose()
    return rows

"""The report figures an import writes with its new rows (insight.columns.FreshFigures)
are the ones the insight subscriber works out after the insert, and the ones a full
recompute from the history gives: solved and open rows, with and without a description
or a requester, under a business-hour policy and a 24x7 one, a log repeating a number."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from types import SimpleNamespace

import time_machine
from sqlalchemy import select

from helpdesk.db import open_desk
from helpdesk.models import SlaClock, Ticket
from helpdesk.services.core.actors import ANONYMOUS, actor_of
from helpdesk.services.imports import batch
from helpdesk.services.imports.run import open_import, run_import
from helpdesk.services.insight.columns import COLUMNS, FreshFigures
from helpdesk.services.people import agents
from tests.services.insight.support import local, shanghai_desk
from tests.services.insight.test_columns import same

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATES = ["处理中", "已解决", "已关闭", "新建", "待处理", "挂起"]


def sheet(path, seed: int = 3, rows: int = 60):
    rng = random.Random(seed)
    out = [["编号", "标题", "问题描述", "状态", "客户邮箱", "创建时间", "解决时间", "标签"]]
    start = datetime(2026, 3, 2, 8, 0)
    for n in range(rows):
        created = start + timedelta(minutes=rng.randrange(5 * 24 * 60))
        state = rng.choice(STATES)
        solved = created + timedelta(minutes=rng.randrange(3 * 24 * 60)) if state in STATES[1:3] and rng.random() < .7 else None
        out.append([f"N{n % 50}",  # ten numbers twice: a log, the later row wins
                    f"工单 {n}", "打印机卡纸" if rng.random() < 0.6 else "",
                    state, f"c{rng.randrange(9)}@example.com" if rng.random() < 0.8 else "",
                    created.strftime("%Y-%m-%d %H:%M"), solved.strftime("%Y-%m-%d %H:%M") if solved else "",
                    "fast" if rng.random() < 0.3 else ""])
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)
    return path


def stored(desk) -> dict:
    with desk.read() as s:
        tickets = {r[0]: tuple(r[1:]) for r in s.execute(select(
            Ticket.external_id, Ticket.status, Ticket.sla_policy, Ticket.sla_state,
            *(getattr(Ticket, c) for c in COLUMNS)))}
        clocks = sorted(tuple(r) for r in s.execute(select(SlaClock.__table__)))
    return {"tickets": tickets, "clocks": clocks}


def imported(desk, crew, path) -> dict:
    shanghai_desk(desk, crew)
    with time_machine.travel(local("2026-03-09 10:00"), tick=False):
        report = run_import(desk, crew.admin, open_import(path, tz=SHANGHAI))
    assert report.created == 50
    return stored(desk)


def test_figures_written_with_the_rows_are_the_subscribers(tmp_path, monkeypatch):
    path = sheet(tmp_path / "sheet.csv")
    results, figured = [], []
    original_row = FreshFigures.row
    monkeypatch.setattr(FreshFigures, "row", lambda self, *a: (figured.append(a), original_row(self, *a))[1])
    for way in ("ahead", "subscriber"):
        if way == "subscriber":
            original = batch._clocks_ahead

            def without_figures(session, b, *args):  # the subscriber's pass after the insert, as before
                summaries, clocks, _ = original(session, b, *args)
                b.figured.clear()
                return summaries, clocks, []

            monkeypatch.setattr(batch, "_clocks_ahead", without_figures)
        desk = open_desk(str(tmp_path / f"{way}.db"))
        admin = desk.write(lambda s: actor_of(agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")))
        results.append(imported(desk, SimpleNamespace(admin=admin), path))
        same(desk)  # both are what a recompute from the history gives
        desk.close()
        if way == "ahead":
            worked_out = len(figured)
    ahead, reference = results
    assert worked_out == 40  # the ahead run worked them all out but the ten numbers a later row changes
    assert ahead == reference
    done = [t for t in ahead["tickets"].values() if t[0] in ("solved", "closed")]
    assert done and all(t[3 + COLUMNS.index("resolution_seconds")] is not None for t in done)
    assert any(t[3 + COLUMNS.index("sla_reply_due_at")] is not None for t in ahead["tickets"].values())


def test_fresh_figures_follow_the_history_rules_for_any_replies():
    """Rows with agent replies (JSON Lines and future doors may carry them): the same as
    `history.figures` on the same posts, the first automatic message counted as a person's."""
    from datetime import UTC

    from helpdesk.services.insight.history import Post, figures

    created = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    wall = lambda a, b: max(0, int((b - a).total_seconds()))  # noqa: E731  (no policy: calendar seconds)
    cases = [
        ("open", None, [(created + hour, None, True), (created + 2 * hour, 7, False)]),
        ("solved", created + 5 * hour, [(created + 3 * hour, 7, False), (created + hour, None, True)]),
        ("open", None, [(created, None, False), (created + hour, None, False), (created + 2 * hour, 8, False)]),
        ("closed", None, [(created + hour, 9, False)]),  # an agent first (a phone log): no first reply
    ]
    fresh = FreshFigures(None)
    for status, solved, replies in cases:
        order = sorted(range(len(replies)), key=lambda i: replies[i][0])
        posts = [Post(replies[i][0], replies[i][1], replies[i][1] is None and not replies[i][2] and n > 0)
                 for n, i in enumerate(order)]
        want = figures(created, status, solved, posts, [], wall)
        want.update({name: None for name in ("sla_reply_due_at", "sla_reply_met_at", "sla_resolve_due_at",
                                             "sla_resolve_met_at", "resolver_id")})
        assert fresh.row(created, status, solved, replies, None, ()) == tuple(want[name] for name in COLUMNS)

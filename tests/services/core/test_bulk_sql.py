"""helpdesk.services.core.bulk_sql: rows written now or queued as one JSON statement are
stored exactly as SQLAlchemy would store them (times, JSON, one value for all rows)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpdesk.models import Message, Ticket
from helpdesk.services.core import bulk_sql

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = ("id", "subject", "status", "priority", "channel", "fields", "created_at", "updated_at", "version")


def ticket_rows(first: int) -> list[tuple]:
    return [
        (first, "打印机卡纸 'quoted' \"twice\"", "open", "high", "phone", {"product": "小工具", "n": 3},
         datetime(2025, 3, 5, 9, 30, 0, 250, tzinfo=SHANGHAI), datetime(2025, 3, 5, 1, 30, tzinfo=UTC), 1),
        (first + 1, "VPN drops", "new", "normal", "email", {}, datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
         datetime(2025, 1, 1, tzinfo=UTC), 2),
    ]


def write(desk, first: int, queued: bool) -> None:
    def go(session):
        queue = [] if queued else None
        bulk_sql.insert_rows(session, Ticket.__table__, NAMES, ticket_rows(first), queue,
                             same={"type": "incident", "sla_due_at": datetime(2026, 1, 1, tzinfo=UTC)})
        bulk_sql.insert_rows(session, Message.__table__, ("ticket_id", "kind", "body", "created_at"),
                             [(first, "reply", "你好\nline two", datetime(2025, 3, 5, 9, 31, tzinfo=UTC))],
                             queue, same={"headers": {"x": "y"}})
        bulk_sql.update_rows(session, Ticket.__table__, "id", ("sla_state", "sla_check_at"),
                             [(first + 1, "breached", datetime(2025, 2, 1, 8, tzinfo=SHANGHAI))], queue)
        if queue:
            bulk_sql.run_queued(session, queue)
    desk.write(go)


def stored(desk, first: int) -> list:
    with desk.read() as s:
        tickets = s.execute(select(Ticket).where(Ticket.id.in_([first, first + 1])).order_by(Ticket.id)).scalars()
        out = [tuple(getattr(t, n) for n in (*NAMES[1:], "type", "sla_due_at", "sla_state", "sla_check_at"))
               for t in tickets]
        message = s.execute(select(Message).where(Message.ticket_id == first)).scalar_one()
        return [*out, (message.body, message.headers, message.created_at)]


def test_now_and_queued_store_the_same_values_as_sqlalchemy(desk):
    write(desk, 1, queued=False)
    write(desk, 11, queued=True)
    now, queued = stored(desk, 1), stored(desk, 11)
    assert now == queued
    subject, status, _, _, fields, created, *_ , sla_due, _, _ = now[0]
    assert (subject, status, fields) == ("打印机卡纸 'quoted' \"twice\"", "open", {"product": "小工具", "n": 3})
    assert created == datetime(2025, 3, 5, 1, 30, 0, 250, tzinfo=UTC) and sla_due == datetime(2026, 1, 1, tzinfo=UTC)
    assert now[1][-2:] == ("breached", datetime(2025, 2, 1, 0, tzinfo=UTC))
    assert now[2] == ("你好\nline two", {"x": "y"}, datetime(2025, 3, 5, 9, 31, tzinfo=UTC))


def test_columns_with_one_value_for_all_rows_are_stored_like_the_rest(desk):
    """Queued, a column whose rows all agree is sent once: JSON, times, None, text alike."""
    if desk.backend != "sqlite":
        pytest.skip("statements are queued on SQLite only")
    names = ("id", "subject", "status", "priority", "type", "channel", "fields", "created_at",
             "updated_at", "version")
    at = datetime(2025, 3, 5, 9, 30, 0, 250, tzinfo=SHANGHAI)
    rows = [(first, f"ticket {first}", "open", "high", None, "phone", {}, at,
             datetime(2025, 3, 5, first, tzinfo=UTC), 1) for first in (21, 22, 23)]
    rows += [(24, "equal, not the same", "open", "high", None, "phone", {"n": True}, at,
              datetime(2025, 3, 5, 4, tzinfo=UTC), True)]  # True == 1, {"n": True} == {"n": 1}
    rows += [(25, "equal, not the same", "open", "high", None, "phone", {"n": 1}, at,
              datetime(2025, 3, 5, 5, tzinfo=UTC), 1)]

    def go(session):
        queue = []
        bulk_sql.insert_rows(session, Ticket.__table__, names, rows[:3], queue)
        assert "json_extract(value, '$[6]')" not in queue[0][0]  # fields: sent once
        assert "json_extract(value, '$[8]')" in queue[0][0]  # updated_at differs
        bulk_sql.insert_rows(session, Ticket.__table__, names, rows[3:], queue)
        assert "json_extract(value, '$[6]')" in queue[1][0] and "json_extract(value, '$[9]')" in queue[1][0]
        bulk_sql.run_queued(session, queue)
    desk.write(go)
    with desk.read() as s:
        got = [tuple(getattr(t, n) for n in names) for t in s.execute(
            select(Ticket).where(Ticket.id.in_([21, 22, 23, 24, 25])).order_by(Ticket.id)).scalars()]
    assert got == [(*row[:7], at.astimezone(UTC), *row[8:]) for row in rows]
    with desk.read() as s:  # as stored: Python's == would not tell true from 1
        raw = s.connection().exec_driver_sql("SELECT fields FROM ticket WHERE id IN (24, 25) ORDER BY id").scalars().all()
    assert [json.loads(text) for text in raw] == [{"n": True}, {"n": 1}] and "true" in raw[0] and "true" not in raw[1]

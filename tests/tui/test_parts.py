"""The pure parts and the read-only services behind the app: cells, window, column widths, queues, changes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.style import Style
from rich.text import Text
from sqlalchemy import select, update

from helpdesk.models import Ticket
from helpdesk.services.core import changes
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.tickets import queues
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from helpdesk.services.sla.clocks import Countdown
from helpdesk.widgets.cells import Palette, clock_line, duration, relative, sla_cell
from helpdesk.widgets.ticket_table import (
    COLUMNS,
    column_widths,
    line_segments,
    line_text,
)
from helpdesk.widgets.window import Window
from tests.tui.conftest import ADMIN, TOM

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (45, "45s"), (125, "2m05s"), (3725, "1h02m"),
                                           (90000, "1d01h"), (-61, "-1m01s")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def _clock(state="running", due=None, warn=None, running=True, met=False, target=3600, elapsed=0):
    return Countdown("resolution", state, target, elapsed, due, warn, running, met, None)


def test_sla_cell_colours_by_state(monkeypatch):
    p = Palette()
    due = NOW + timedelta(minutes=5)
    assert sla_cell(_clock(due=due), NOW, p).style == p.running
    assert sla_cell(_clock(due=due, warn=NOW - timedelta(minutes=1)), NOW, p).style == p.warning
    late = sla_cell(_clock(due=NOW - timedelta(seconds=61)), NOW, p)
    assert late.style == p.breached and str(late).startswith("-1m01s ")
    paused = sla_cell(_clock("paused", running=False, elapsed=600), NOW, p)
    assert str(paused) == "paused 50m00s" and paused.style == p.paused
    assert str(sla_cell(_clock("met", running=False, met=True), NOW, p)) == "met"
    assert str(sla_cell(None, NOW, p)) == ""


def test_sla_cell_and_detail_line_name_the_due_moment(utc):
    p = Palette()  # NOW is Monday 2026-03-02 09:30 UTC
    today = _clock(due=NOW + timedelta(hours=3))
    assert str(sla_cell(today, NOW, p)).endswith(" 12:30")  # due today: the time is enough
    assert str(clock_line(today, NOW, p)) == "3h 00m left · Mon 12:30"
    far = _clock(due=NOW + timedelta(days=10))
    assert str(sla_cell(far, NOW, p)).endswith(" Mar 12")
    assert str(clock_line(far, NOW, p)).endswith(" left · Mar 12")
    late = _clock(due=NOW - timedelta(days=2, hours=14))  # Fri 19:30, 62 hours ago by the wall
    assert str(sla_cell(late, NOW, p)) == "-2d14h Fri 19:30"
    assert str(clock_line(late, NOW, p)) == "2d 14h overdue · Fri 19:30"
    wide = _clock(due=NOW - timedelta(hours=14))  # "-14h00m Sun 19:30" is wider than the column
    assert str(sla_cell(wide, NOW, p)) == "-14h00m Sun"


@pytest.fixture
def utc(monkeypatch):
    """Local time is UTC, so due moments read the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_relative():
    assert [relative(NOW - timedelta(seconds=s), NOW) for s in (5, 300, 7200, 3 * 86400, 20 * 86400)] == \
        ["now", "5m", "2h", "3d", "2w"]


@given(st.integers(min_value=20, max_value=400))
def test_columns_always_fit(width):
    widths = column_widths(width)
    shown = [w for w in widths if w]
    assert sum(shown) + len(shown) - 1 <= max(width, 56)  # below 56 columns the subject keeps its minimum
    assert widths[5] >= 10


@pytest.mark.parametrize("width, subject, requester, assignee", [
    (79, 19, 6, 6),    # 80 columns: everything shown, the subject shrinks first
    (93, 40, 6, 0),    # 120 columns beside the sidebar: a whole subject, assignee left out
    (87, 41, 0, 0),    # 160 columns beside sidebar and detail pane (which shows both names)
    (119, 43, 16, 12),
])
def test_subject_takes_what_the_others_leave(width, subject, requester, assignee):
    widths = dict(zip((c.key for c in COLUMNS), column_widths(width)))
    assert (widths["subject"], widths["requester"], widths["assignee"]) == (subject, requester, assignee)


class R:
    def __init__(self, i):
        self.id = i


def test_window_keeps_a_bounded_slice():
    w = Window(limit=5)
    w.reset([R(i) for i in range(3)], 20, more_below=True)
    assert w.append([R(i) for i in range(3, 6)], more=True) == 1
    assert (w.offset, [r.id for r in w.rows], w.more_above) == (1, [1, 2, 3, 4, 5], True)
    assert w.prepend([R(0)], more=False) == 1
    assert (w.offset, [r.id for r in w.rows], w.more_above, w.more_below) == (0, [0, 1, 2, 3, 4], False, True)


@pytest.mark.parametrize("sort", ["updated", "created", "priority", "due", "status", "id"])
@pytest.mark.parametrize("descending", [True, False])
def test_pages_forward_and_backward_give_the_same_order(demo_desk, sort, descending):
    # some tickets get SLA due times (ties included), the rest none: NULLs go last either way
    demo_desk.write(lambda s: s.execute(update(Ticket).where(Ticket.id % 3 == 0)
                                        .values(sla_due_at=NOW + timedelta(hours=1), sla_state="running")))
    demo_desk.write(lambda s: s.execute(update(Ticket).where(Ticket.id % 7 == 0)
                                        .values(sla_due_at=NOW + timedelta(minutes=10), sla_state="warning")))
    with demo_desk.read() as s:
        me = resolve_actor(s, ADMIN)
        kw = dict(sort=sort, descending=descending)
        everything = [r.id for r in queues.read_rows(s, me, "status:active", limit=1000, **kw).rows]
        forward, after = [], None
        while True:
            page = queues.read_rows(s, me, "status:active", after=after, limit=9, **kw)
            forward += [r.id for r in page.rows]
            if not page.more:
                break
            after = page.rows[-1].position
        page = queues.read_rows(s, me, "status:active", before=(), limit=9, **kw)
        backward = [r.id for r in page.rows]
        while page.more:
            page = queues.read_rows(s, me, "status:active", before=page.rows[0].position, limit=9, **kw)
            backward = [r.id for r in page.rows] + backward
        assert forward == backward == everything
        assert len(everything) == queues.count_tickets(s, me, "status:active")
        k = len(everything) // 2
        middle = queues.read_rows(s, me, "status:active", start=queues.read_rows(
            s, me, "status:active", limit=1000, **kw).rows[k].position, limit=5, **kw)
        assert [r.id for r in middle.rows] == everything[k:k + 5]
        assert queues.count_before(s, me, "status:active", middle.rows[0].position, **kw) == k


def test_queue_letters_and_saved_views(demo_desk):
    from helpdesk.services.tickets.views import add_view

    demo_desk.write(lambda s: add_view(s, resolve_actor(s, ADMIN), "Support urgent", "priority:urgent"))
    with demo_desk.read() as s:
        found = queues.list_queues(s, resolve_actor(s, ADMIN))
    letters = [q.letter for q in found]
    assert len(set(letters)) == len(letters) and None not in letters
    assert found[-1].title == "Support urgent" and found[-1].query == "priority:urgent"


def test_stamp_changes_with_every_write_and_names_the_tickets(demo_desk):
    with demo_desk.read() as s:
        before = changes.desk_stamp(s)
        tid = s.execute(select(Ticket.id).where(Ticket.status == "open", Ticket.priority != "urgent")
                        .order_by(Ticket.id)).scalars().first()
    demo_desk.write(lambda s: update_ticket(s, resolve_actor(s, TOM), tid, TicketChanges(priority="urgent")))
    with demo_desk.read() as s:
        after = changes.desk_stamp(s)
        assert after != before
        assert changes.changed_tickets(s, before.last_event) == {tid}
        assert changes.desk_stamp(s) == after  # reading changes nothing


def test_sla_alerts_list_my_warnings_and_breaches(demo_desk):
    with demo_desk.read() as s:
        me = resolve_actor(s, ADMIN)
        mine = s.execute(select(Ticket.id).where(Ticket.assignee_id == me.agent_id, Ticket.status == "open")).first()[0]
    demo_desk.write(lambda s: s.execute(update(Ticket).where(Ticket.id == mine).values(sla_state="breached")))
    with demo_desk.read() as s:
        assert changes.sla_alerts(s, me.agent_id)[mine][0] == "breached"


def test_docs_list_every_key_id():
    from pathlib import Path

    from helpdesk.app import key_sections

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tui.md").read_text(encoding="utf-8")
    for _, bindings in key_sections():
        for b in bindings:
            assert not b.id or f"`{b.id}`" in doc, b.id


_CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab #-…") + ["无", "法", "登"]), max_size=30)
_CELL_STYLE = st.sampled_from(["", "bold", Style(color="red"), Style(dim=True)])


@given(st.lists(st.tuples(_CELL_TEXT, _CELL_STYLE), min_size=len(COLUMNS), max_size=len(COLUMNS)),
       st.integers(40, 200), st.booleans())
def test_a_drawn_row_reads_like_its_line_text(cells, total, inner_span):
    """The table's fast drawing gives the very characters and styles rich would (wide CJK included)."""
    console = Console()
    widths = column_widths(total)
    row = {c.key: Text(text, style) for c, (text, style) in zip(COLUMNS, cells)}
    if inner_span:
        row["subject"].stylize("italic", 0, 2)
    base = Style(bgcolor="blue")
    expected = [(ch, base + s.style if s.style else base) for s in line_text(row, widths).render(console)
                if s.text != "\n" for ch in s.text]
    drawn = [(ch, s.style) for s in line_segments(row, widths, base, console) for ch in s.text]
    assert drawn == expected


def test_a_burst_of_sla_alerts_becomes_one_summary_toast():
    from helpdesk.app import alert_toasts

    assert alert_toasts(["a", "b"]) == ["a", "b"]
    burst = alert_toasts([f"SLA breached on #{i}" for i in range(40)])
    assert burst[:2] == ["SLA breached on #0", "SLA breached on #1"]
    assert len(burst) == 3 and "38 more" in burst[2]

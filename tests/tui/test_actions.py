"""Every ticket action by key: pickers, compose, close/reopen/merge/link, batch, collisions."""

from __future__ import annotations

from helpdesk.models import Message, Ticket, TicketLink
from helpdesk.screens.compose import ComposeScreen
from helpdesk.screens.confirm import ConfirmScreen
from helpdesk.screens.picker import PickerScreen
from helpdesk.screens.queue import QueueScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.tickets import lifecycle as ticket_service
from helpdesk.services.tickets.lifecycle import TicketChanges
from tests.tui.conftest import TOM, settle


def ticket(desk, tid: int) -> Ticket:
    with desk.read() as s:
        return s.get(Ticket, tid)


def tags(desk, tid: int) -> list[str]:
    with desk.read() as s:
        return ticket_service.tags_of(s, tid)


def messages(desk, tid: int) -> list[Message]:
    from sqlmodel import select

    with desk.read() as s:
        return list(s.exec(select(Message).where(Message.ticket_id == tid).order_by(Message.id)))


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_queue(pilot, letter: str = "a") -> QueueScreen:
    from helpdesk.widgets.ticket_table import TicketTable

    await settle(pilot)
    await pilot.press("g", letter)
    for _ in range(20):  # under load the new screen may still be composing its table
        await settle(pilot)
        if isinstance(pilot.app.screen, QueueScreen) and pilot.app.screen.query(TicketTable):
            break
    return pilot.app.screen


async def test_assign_with_type_to_filter(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, "u")
        tid = screen.table.current
        await pilot.press("a")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"tom", "enter")
        await settle(pilot)
        with demo_desk.read() as s:
            assert ticket_service.get_ticket(s, tid).assignee_id == resolve_actor(s, TOM).agent_id
        assert any(f"#{tid}: assignee → {TOM}" in t for t in toasts(app))


async def test_status_and_priority_pickers(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("s", *"pend", "enter")
        await settle(pilot)
        assert ticket(demo_desk, tid).status == "pending"
        await pilot.press("p", *"urg", "enter")
        await settle(pilot)
        assert ticket(demo_desk, tid).priority == "urgent"
        row = app.screen.rows_by_id[tid]
        assert (row.status, row.priority) == ("pending", "urgent")  # the table shows it at once


async def test_escape_leaves_a_picker_without_change(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        before = ticket(demo_desk, tid).version
        await pilot.press("s", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert ticket(demo_desk, tid).version == before


async def test_tags_add_new_and_remove(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("t", *"brandnew", "enter")
        await settle(pilot)
        assert "brandnew" in tags(demo_desk, tid)
        await pilot.press("t", *"-brandnew", "enter")
        await settle(pilot)
        assert "brandnew" not in tags(demo_desk, tid)


async def test_reply_is_sent_with_ctrl_s(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("r")
        assert isinstance(app.screen, ComposeScreen) and app.screen.kind == "reply"
        await pilot.press(*"Hello there", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        last = messages(demo_desk, tid)[-1]
        assert (last.kind, last.body) == ("reply", "Hello there")


async def test_internal_note_and_discard_asks_first(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        before = len(messages(demo_desk, tid))
        await pilot.press("n", *"draft")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # keep writing
        assert isinstance(app.screen, ComposeScreen) and app.screen.draft == "draft"
        await pilot.press("escape", "enter")  # discard
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("n", *"only agents see this", "ctrl+s")
        await settle(pilot)
        notes = messages(demo_desk, tid)
        assert len(notes) == before + 1 and notes[-1].kind == "note"


async def test_close_then_reopen(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("x")
        await settle(pilot)
        assert ticket(demo_desk, tid).status == "closed"
        await pilot.press("g", "s")  # recently solved and closed
        await settle(pilot)
        screen = app.screen
        screen.table.cursor = screen.window.index_of(tid)
        await pilot.press("R")
        await settle(pilot)
        assert ticket(demo_desk, tid).status == "open"


async def test_merge_and_link_ask_for_a_number(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        first, second, third = [r.id for r in screen.window.rows[:3]]
        await pilot.press("L", *str(third), "enter")
        await settle(pilot)
        with demo_desk.read() as s:
            assert s.get(TicketLink, (first, third)) is not None
        await pilot.press("M", *f"#{second}", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        merged = ticket(demo_desk, first)
        assert (merged.status, merged.merged_into_id) == ("closed", second)


async def test_batch_marks_confirm_and_one_change(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        ids = [r.id for r in screen.window.rows[:3]]
        await pilot.press("space", "space", "space")
        assert screen.marked == set(ids)
        assert str(screen.table.cells[ids[0]]["mark"]) == "●"
        await pilot.press("s", *"solved", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "3 marked tickets" in app.screen.question
        await pilot.press("enter")
        await settle(pilot)
        assert {ticket(demo_desk, i).status for i in ids} == {"solved"}
        assert any("status → solved on 3 tickets" in t for t in toasts(app))
        assert screen.marked == set()


async def test_star_marks_the_whole_view_and_batch_close(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot, "p")
        total = screen.window.total
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(screen.marked) == total
        await pilot.press("x")
        assert f"{total} marked tickets" in app.screen.question
        await pilot.press("enter")
        await settle(pilot)
        assert screen.window.total == 0
        await pilot.press("asterisk")
        await settle(pilot)
        assert screen.marked == set()


async def test_escape_clears_marks(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        await pilot.press("space", "escape")
        assert screen.marked == set()


async def test_collision_is_refused_with_who_changed_what(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        demo_desk.write(lambda s: ticket_service.update_ticket(s, resolve_actor(s, TOM), tid,
                                                               TicketChanges(priority="low")))
        await pilot.press("p", *"urgent", "enter")
        await settle(pilot)
        assert ticket(demo_desk, tid).priority == "low"  # never silently overwritten
        message = toasts(app)[-1]
        assert f"ticket #{tid} changed since version" in message and TOM in message and "priority" in message
        assert app.screen.rows_by_id[tid].priority == "low"  # and the table now shows the other change
        await pilot.press("p", *"urgent", "enter")  # retrying against what is shown works
        await settle(pilot)
        assert ticket(demo_desk, tid).priority == "urgent"


async def test_batch_collision_skips_the_changed_ticket(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        ids = [r.id for r in screen.window.rows[:2]]
        await pilot.press("space", "space")
        demo_desk.write(lambda s: ticket_service.update_ticket(s, resolve_actor(s, TOM), ids[0],
                                                               TicketChanges(status="on_hold")))
        await pilot.press("p", *"high", "enter", "enter")
        await settle(pilot)
        assert ticket(demo_desk, ids[1]).priority == "high"
        assert ticket(demo_desk, ids[0]).status == "on_hold"
        assert any("1 skipped" in t and f"#{ids[0]}" in t for t in toasts(app))


async def test_reply_collision_keeps_the_draft(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("r", *"my answer")
        demo_desk.write(lambda s: ticket_service.update_ticket(s, resolve_actor(s, TOM), tid,
                                                               TicketChanges(priority="low")))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.draft == "my answer"
        assert TOM in toasts(app)[-1]
        await pilot.press("ctrl+s")  # told; send anyway
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_a_viewer_is_told_no(make_app, demo_desk):
    from helpdesk.services.core.actors import SYSTEM
    from helpdesk.services.people import agents

    demo_desk.write(lambda s: agents.add_agent(s, SYSTEM, "viv@demo.helpdesk", "Viv", "viewer"))
    app = make_app(who="viv@demo.helpdesk")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("p", *"low", "enter")
        await settle(pilot)
        assert "only agents may" in toasts(app)[-1]
        assert ticket(demo_desk, tid).version == screen.rows_by_id[tid].version

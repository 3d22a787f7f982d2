"""Opening the app, queues, jumping, moving, sorting, the detail pane, the full-screen ticket."""

from __future__ import annotations

from helpdesk.screens.queue import QueueScreen
from helpdesk.screens.ticket import TicketScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.tickets import queues
from helpdesk.widgets.queue_list import QueueList
from helpdesk.widgets.ticket_table import TableHeader, TicketTable
from helpdesk.widgets.ticket_view import TicketView
from tests.tui.conftest import ADMIN, settle


async def test_opens_the_cli_database_with_no_arguments(demo_db, monkeypatch):
    from helpdesk.app import HelpdeskApp

    monkeypatch.setenv("HELPDESK_DB", demo_db)
    monkeypatch.setenv("HELPDESK_AGENT", ADMIN)
    app = HelpdeskApp()
    app.background = False
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.actor.email == ADMIN
        assert app.screen.view.title == "My open"
        assert app.screen.table.row_count > 0


async def test_sidebar_lists_queues_with_live_counts(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(QueueList)
        with demo_desk.read() as s:
            actor = resolve_actor(s, ADMIN)
            expected = queues.queue_counts(s, actor, queues.list_queues(s, actor))
        titles = [q.title for q in sidebar.queues]
        assert titles[:7] == ["My open", "Unassigned", "Due soon", "Breached", "All open", "Pending", "Recently solved"]
        assert "Team support" in titles and "Team repairs" in titles
        assert sidebar.counts == expected


async def test_g_then_a_letter_jumps_to_a_queue(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g", "u")
        await settle(pilot)
        screen = app.screen
        assert screen.view.key == "unassigned"
        assert all(r.assignee is None for r in screen.window.rows)
        assert screen.window.total == len(screen.window.rows) > 0


async def test_choosing_a_queue_in_the_sidebar_with_the_mouse(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = app.screen.query_one(QueueList)
        index = [q.key for q in sidebar.queues].index("pending")
        await pilot.click(QueueList, offset=(3, index))
        await settle(pilot)
        assert app.screen.view.key == "pending"
        assert {r.status for r in app.screen.window.rows} == {"pending"}


async def test_keys_move_the_cursor(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g", "a")
        await settle(pilot)
        table = app.screen.table
        await pilot.press("j", "j", "down")
        assert table.cursor == 3
        await pilot.press("k")
        assert table.cursor == 2
        await pilot.press("pagedown")
        assert table.cursor > 20
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor == table.row_count - 1
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor == 0


async def test_clicking_a_row_moves_the_cursor_and_a_header_sorts(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.table
        await pilot.click(TicketTable, offset=(10, 4))
        assert table.cursor == 4
        await pilot.click(TableHeader, offset=(2, 0))  # the number column
        await settle(pilot)
        assert (app.screen.view.sort, app.screen.view.descending) == ("id", True)
        ids = [r.id for r in app.screen.window.rows]
        assert ids == sorted(ids, reverse=True)
        await pilot.click(TableHeader, offset=(2, 0))
        await settle(pilot)
        ids = [r.id for r in app.screen.window.rows]
        assert ids == sorted(ids)


async def test_sort_picker_and_reverse(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.press(*"prio", "enter")
        await settle(pilot)
        assert app.screen.view.sort == "priority"
        order = ["low", "normal", "high", "urgent"]
        ranks = [order.index(r.priority) for r in app.screen.window.rows]
        assert ranks == sorted(ranks, reverse=True)
        await pilot.press("O")
        await settle(pilot)
        ranks = [order.index(r.priority) for r in app.screen.window.rows]
        assert ranks == sorted(ranks)


async def test_detail_pane_follows_the_cursor_on_a_wide_terminal(make_app):
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        view = app.screen.query_one(TicketView)
        assert view.display and view.ticket["id"] == app.screen.table.current
        await pilot.press("j")
        await pilot.pause(0.2)
        await settle(pilot)
        assert view.ticket["id"] == app.screen.table.current
        await pilot.press("enter")  # focuses the pane rather than leaving the queue
        assert isinstance(app.screen, QueueScreen) and view.has_focus
        await pilot.press("escape")
        assert app.screen.table.has_focus


async def test_enter_opens_the_ticket_full_screen_on_a_narrow_terminal(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(QueueList).display  # no room for the sidebar
        current = app.screen.table.current
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket["id"] == current
        text = app.screen.query_one("#detail-body").content
        assert "Conversation" in str(text.renderables[1])
        await pilot.press("e")
        assert app.screen.show_events
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("b")
        assert app.screen.query_one(QueueList).display


async def test_timeline_toggle_in_the_pane(make_app):
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert not app.screen.show_events
        await pilot.press("e")
        assert app.screen.show_events


async def test_the_status_line_changes_with_the_cursor_not_a_message_later(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.table.cursor = 4  # no message handled in between: drawn in the cursor's frame
        assert str(screen.query_one("#status-line").content).startswith(f"5 of {screen.window.total:,}")


async def test_the_sidebar_bolds_only_the_open_queue(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g", "u")
        await settle(pilot)
        sidebar = app.screen.query_one(QueueList)

        def bold(key: str) -> bool:
            prompt = sidebar.get_option(key).prompt
            return any(span.style.bold for span in prompt.spans if not isinstance(span.style, str))

        assert bold("unassigned") and not bold("mine")


async def test_paging_through_a_window_keeps_marks_and_drawn_rows(make_app, monkeypatch):
    import helpdesk.screens.queue as queue_screen
    import helpdesk.widgets.ticket_table as ticket_table

    monkeypatch.setattr(queue_screen, "PAGE", 8)  # small pages: the demo has a few dozen open tickets
    monkeypatch.setattr(ticket_table, "MARGIN", 3)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.window.limit = 16
        await pilot.press("g", "a")
        await settle(pilot)
        table, total = screen.table, screen.window.total
        assert total > 24 and len(screen.window.rows) == 8
        await pilot.press("space")
        marked = set(screen.marked)
        kept = table.keys[2]
        cells = table.cells[kept]
        table.cursor = 6  # near the bottom edge: the next page is read below
        await settle(pilot)
        assert len(screen.window.rows) == 16 and table.cells[kept] is cells  # only the new rows were formatted
        await pilot.press("end")
        await settle(pilot)
        assert screen.window.offset > 0 and screen.window.offset + table.cursor + 1 == total
        await pilot.press("home")
        await settle(pilot)
        assert (screen.window.offset, table.cursor, screen.marked) == (0, 0, marked)

"""Search, saved views, live changes from others, SLA ticking and alerts, help, keymap, palette, literal text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from helpdesk.models import SlaClock, Ticket, utcnow
from helpdesk.screens.help import HelpScreen
from helpdesk.screens.picker import PickerScreen
from helpdesk.services.core import notifications
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    TicketChanges,
    create_ticket,
    update_ticket,
)
from helpdesk.widgets.queue_list import QueueList
from helpdesk.widgets.search_bar import SearchBar
from tests.tui.conftest import ADMIN, TOM, poll_now, settle


async def test_search_runs_shows_errors_inline_and_remembers(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"priority:urgent", "enter")
        await settle(pilot)
        screen = app.screen
        assert screen.view.key == "search" and screen.window.rows
        assert {r.priority for r in screen.window.rows} == {"urgent"}
        bar = screen.query_one(SearchBar)
        assert not bar.is_open
        await pilot.press("slash")
        bar.input.value = ""
        await pilot.press(*"colour:red", "enter")
        await settle(pilot)
        error = screen.query_one("#search-error")
        assert bar.is_open and error.display and "unknown field 'colour'" in str(error.content)
        assert screen.view.query == "colour:red" and screen.window.rows  # the old rows stay
        bar.input.value = ""
        await pilot.press("up")
        assert bar.input.value == "colour:red"
        await pilot.press("up")
        assert bar.input.value == "priority:urgent"
        await pilot.press("escape")
        assert not bar.is_open and screen.table.has_focus


async def test_search_finds_chinese_text(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"退款", "enter")
        await settle(pilot)
        assert app.screen.window.rows and all("退款" in r.subject for r in app.screen.window.rows)


async def test_save_the_search_as_a_view(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tag:printer", "enter")
        await settle(pilot)
        await pilot.press("V", *"Printers", "enter")
        await settle(pilot)
        sidebar = app.screen.query_one(QueueList)
        view = next(q for q in sidebar.queues if q.title == "Printers")
        assert view.query == "tag:printer" and sidebar.counts[view.key] == app.screen.window.total
        await pilot.press("g", view.letter)
        await settle(pilot)
        assert app.screen.view.key == view.key


async def test_changes_by_others_appear_and_the_cursor_stays_put(make_app, demo_desk):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g", "a")
        await settle(pilot)
        screen = app.screen
        await pilot.press("j", "j", "j")
        here = screen.table.current
        total = screen.window.total
        other = screen.window.rows[10].id

        def elsewhere(s):
            tom = resolve_actor(s, TOM)
            update_ticket(s, tom, other, TicketChanges(subject="Changed by Tom"))
            return create_ticket(s, tom, NewTicket(subject="Brand new from a script")).id

        new_id = demo_desk.write(elsewhere)
        await poll_now(pilot)
        assert screen.window.total == total + 1
        assert screen.window.rows[0].id in (new_id, other)
        assert screen.table.current == here  # rows moved above it; the cursor did not
        assert str(screen.table.cells[other]["subject"]) == "Changed by Tom"


async def test_countdown_ticks_only_sla_cells(make_app, demo_desk):
    now = utcnow().astimezone().replace(hour=12, minute=0)  # local noon: due the same local day

    def clocked(s):  # summary columns only, no stored clocks (as an old import left them)
        s.execute(delete(SlaClock).where(SlaClock.ticket_id == 5))
        t = s.get(Ticket, 5)
        t.sla_state, t.sla_due_at = "running", now + timedelta(minutes=30)
        s.add(t)

    demo_desk.write(clocked)
    app = make_app(clock=lambda: now)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"id:5", "enter")
        await settle(pilot)
        table = app.screen.table
        assert str(table.cells[5]["sla"]).startswith("30m00s ")  # no stored clocks: wall-clock time
        subject = table.cells[5]["subject"]
        app.now = now + timedelta(seconds=1)
        assert str(table.cells[5]["sla"]).startswith("29m59s ")
        assert table.cells[5]["subject"] is subject  # nothing else was redrawn
        app.now = now + timedelta(minutes=31)
        cell = table.cells[5]["sla"]
        assert str(cell).startswith("-1m00s ") and cell.style == app.palette.breached


async def test_sla_notifications_for_my_tickets(make_app, demo_desk):
    def alert(s):
        me = resolve_actor(s, ADMIN)
        notifications.notify(s, me.agent_id, 7, "sla.breached", "SLA breached on #7 [red]x[/red]")

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        demo_desk.write(alert)
        await poll_now(pilot)
        assert any("SLA breached on #7 [red]x[/red]" in str(n.message) for n in app._notifications)
        with demo_desk.read() as s:  # toasted once, still unread: the badge and the panel (N) have it
            assert [n.id for n in notifications.unread(s, resolve_actor(s, ADMIN).agent_id)]
        toasts = len(app._notifications)
        await poll_now(pilot)
        assert len(app._notifications) == toasts  # not toasted twice


async def test_help_lists_every_key(make_app):
    from helpdesk.app import key_sections

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.query_one("#help").query("Static")[1].content
        ids = {str(cell) for cell in text.columns[2].cells}
        for _, bindings in key_sections():
            assert {b.id for b in bindings if b.id} <= ids
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_are_remapped_from_the_config(make_app, tmp_path, monkeypatch):
    config = tmp_path / "keys.toml"
    config.write_text('[keys]\n"ticket.assign" = "A"\n', encoding="utf-8")
    monkeypatch.setenv("HELPDESK_CONFIG", str(config))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        assert not isinstance(app.screen, PickerScreen)
        await pilot.press("A")
        assert isinstance(app.screen, PickerScreen)


async def test_command_palette_offers_the_actions(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Assign…", "Set status…", "Reply…", "Internal note…", "Close", "Merge into…", "Search…",
                "Save this search as a view…", "Go to Unassigned"} <= titles
        await pilot.press("ctrl+p", *"Set status", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)


async def test_customer_text_is_shown_literally(make_app, demo_desk):
    nasty = "[bold]Hi[/bold] \x1b]0;pwned\x07\x1b[2J\x1b[H done"

    def create(s):
        return create_ticket(s, resolve_actor(s, ADMIN), NewTicket(subject=nasty, body=nasty,
                                                                   requester="evil@example.com")).id

    tid = demo_desk.write(create)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *f"id:{tid}", "enter")
        await settle(pilot)
        assert str(app.screen.table.cells[tid]["subject"]) == "[bold]Hi[/bold]  done"
        await pilot.press("enter")
        await settle(pilot)
        shown = app.export_screenshot()
        assert "[bold]Hi[/bold]" in shown.replace("&#160;", " ")
        assert "pwned" not in shown and "\x1b" not in shown


async def test_the_app_works_in_the_built_in_themes(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for theme in ("textual-light", "nord", "gruvbox", "textual-dark"):
            app.theme = theme
            await settle(pilot)
            assert app.palette.breached.color.name.lower() == app.current_theme.error.lower()
            assert app.screen.table.row_count > 0

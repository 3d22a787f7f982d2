"""The notifications badge (live, from the poll) and the panel (`N`)."""

from __future__ import annotations

from helpdesk.screens.notifications import NotificationsScreen
from helpdesk.screens.ticket import TicketScreen
from helpdesk.services.core import notifications
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.widgets.badge import NotificationBadge
from tests.tui.conftest import ADMIN, TOM, poll_now, settle


def an_open_ticket(desk) -> int:
    from sqlalchemy import select

    from helpdesk.models import Ticket

    with desk.read() as s:
        return s.execute(select(Ticket.id).where(Ticket.status == "open").order_by(Ticket.id)).scalars().first()


def unread(desk) -> int:
    with desk.read() as s:
        return notifications.unread_count(s, resolve_actor(s, ADMIN).agent_id)


async def test_a_mention_lights_the_badge_and_the_panel_reads_it(make_app, demo_desk):
    before, tid = unread(demo_desk), an_open_ticket(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        badge = app.screen.query_one(NotificationBadge)
        assert badge.display == bool(before)
        demo_desk.write(lambda s: add_agent_message(s, resolve_actor(s, TOM), tid, "@mei 请看一下 [b]x[/b]", kind="note"))
        await poll_now(pilot)
        assert badge.display and f"{before + 1} unread" in str(badge.content)
        await pilot.press("N")
        await settle(pilot)
        panel = app.screen
        assert isinstance(panel, NotificationsScreen)
        first = panel.items[0]
        assert (first["kind"], first["ticket"]) == ("mention", tid) and "[b]x[/b]" in first["text"]
        assert unread(demo_desk) == 0 and not badge.display
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == tid
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("N")
        await settle(pilot)
        assert all(n["read_at"] for n in app.screen.items)
        await pilot.press("escape")
        assert not isinstance(app.screen, NotificationsScreen)

"""The requester section with the customer's counts, assets and the ticket's warranty;
`c` opens the requester in 360°."""

from __future__ import annotations

from rich.console import Console

from helpdesk.screens.customer import CustomerScreen
from helpdesk.screens.ticket import TicketScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.customers.assets import add_asset
from helpdesk.services.customers.notes import add_note
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket
from tests.tui.conftest import ADMIN, settle


def plain(renderable) -> str:
    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


def a_customer_with_assets(desk) -> int:
    def make(s):
        me = resolve_actor(s, ADMIN)
        add_asset(s, me, "SN-OLD", "HP M404", owner="ann@acme.example", org="Acme", warranty_end="2020-01-31")
        add_asset(s, me, "SN-NEW", "ThinkPad [b]X1[/b]", owner="ann@acme.example", warranty_end="2099-12-31")
        ticket = create_ticket(s, me, NewTicket(subject="Printer jams", requester="ann@acme.example", asset="sn-old"))
        from helpdesk.services.people.contacts import get_contact

        add_note(s, me, "Prefers calls after 14:00", contact_id=get_contact(s, "ann@acme.example").id)
        return ticket.id

    return desk.write(make)


async def test_requester_section_shows_counts_assets_and_the_tickets_warranty(make_app, demo_desk):
    tid = a_customer_with_assets(demo_desk)
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        app.push_screen(TicketScreen(tid))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.card["open"] == 1
        text = plain(screen.query_one("#detail-body").content)
        assert "1 open · 0 solved" in text and "Assets (2)" in text
        assert "This ticket: SN-OLD HP M404  warranty expired 2020-01-31" in text
        assert "SN-NEW ThinkPad [b]X1[/b]  in warranty until 2099-12-31" in text  # literal, not markup
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        shown = plain(app.screen.query_one("#customer-body").content)
        assert "SN-OLD" in shown and "Printer jams" in shown and "Prefers calls after 14:00" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)

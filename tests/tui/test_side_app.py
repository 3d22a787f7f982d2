"""`S` on a ticket: a side conversation by mail with a third party, written in the compose
screen, shown in the ticket pane apart from the customer's conversation, replies included."""

from __future__ import annotations

import io

from rich.console import Console
from sqlmodel import select

from helpdesk.models import Outbox, SideConversation
from helpdesk.screens.compose import ComposeScreen
from helpdesk.screens.picker import PickerScreen
from helpdesk.screens.prompt import PromptScreen
from helpdesk.services.core.actors import resolve_actor
from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail.intake import ingest
from helpdesk.widgets.ticket_view import TicketView
from tests.tui.conftest import ADMIN, poll_now, settle
from tests.tui.test_actions import open_queue, toasts

DESK, WAREHOUSE = "support@acme.test", "warehouse@example.com"


def pane_text(app) -> str:
    out = io.StringIO()
    body = app.screen.query_one(TicketView).query_one("#detail-body")
    Console(file=out, width=110, color_system=None).print(body.content)
    return out.getvalue()


async def test_start_a_side_conversation_and_see_the_reply(make_app, demo_desk):
    demo_desk.write(lambda s: set_setting(s, resolve_actor(s, ADMIN), "mail.from", DESK))
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_queue(pilot)
        tid = screen.table.current
        await pilot.press("S")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"not an address", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen) and any("not an email address" in t for t in toasts(app))
        await pilot.press("S", *WAREHOUSE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.kind == "side"
        await pilot.press(*"Please stop the parcel", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
        with demo_desk.read() as s:
            [side] = s.exec(select(SideConversation).where(SideConversation.ticket_id == tid)).all()
            [row] = s.exec(select(Outbox).where(Outbox.kind == "side")).all()
        assert side.participants == [WAREHOUSE] and row.to_addr == WAREHOUSE
        reply = (f"From: Warehouse <{WAREHOUSE}>\r\nTo: {DESK}\r\nSubject: Re: stock\r\n"
                 f"Message-ID: <w1@example.com>\r\nIn-Reply-To: <{row.mail_message_id}>\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n\r\nStopped [bold]it[/bold] \x1b[31m\r\n").encode()
        demo_desk.write(lambda s: ingest(s, reply))
        await poll_now(pilot)
        text = pane_text(app)
        assert "Side conversation #1" in text and "Please stop the parcel" in text
        assert "Stopped [bold]it[/bold]" in text and "\x1b" not in text  # literal, inert
        conversation, _, sides = text.partition("Side conversations (1)")
        assert "Stopped" not in conversation and "Stopped" in sides  # apart from the customer's conversation
        await pilot.press("S")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("down", "enter")  # the existing one, not "New side conversation…"
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.side_id == side.id
        await pilot.press(*"Thanks", "ctrl+s")
        await settle(pilot)
        with demo_desk.read() as s:
            assert len(s.exec(select(Outbox).where(Outbox.kind == "side")).all()) == 2

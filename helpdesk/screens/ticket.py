"""One ticket, full screen (what `enter` opens on a narrow terminal)."""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from helpdesk.screens.actions import ACTION_BINDINGS, Targets, TicketActions
from helpdesk.widgets.ticket_view import TicketView


class TicketLoaded(Message):
    def __init__(self, ticket: dict | None, card: dict | None, error: str | None = None,
                 clocks: dict | None = None) -> None:
        super().__init__()
        self.ticket, self.card, self.error = ticket, card, error
        self.clocks = clocks or {}


class TicketScreen(TicketActions, Screen):
    AUTO_FOCUS = "#ticket-view"
    BINDINGS = [
        Binding("escape", "back", "Back", id="ticket.back"),
        Binding("e", "timeline", "Timeline", id="ticket.timeline"),  # before the actions: the footer cuts from the right
        *ACTION_BINDINGS,
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.ticket: dict | None = None
        self.card: dict | None = None
        self.clocks: dict = {}  # kind -> services.sla.clocks.Countdown
        self.show_events = False

    def compose(self):
        yield TicketView(id="ticket-view")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket")
    def load(self) -> None:
        from helpdesk.errors import NotFound

        try:
            ticket, card, clocks = self.app.read_ticket(self.ticket_id)
        except NotFound as exc:
            self.post_message(TicketLoaded(None, None, exc.message))
            return
        self.post_message(TicketLoaded(ticket, card, clocks=clocks))

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        if message.error:
            self.notify(message.error, severity="error")
        self.ticket, self.card, self.clocks = message.ticket, message.card, message.clocks
        self._show()

    def _show(self) -> None:
        self.query_one(TicketView).show(self.ticket, self.card, clocks=self.clocks, show_events=self.show_events,
                                        now=self.app.now, palette=self.app.palette)

    def tick(self, now) -> None:
        """Every second: the SLA lines only (business time left, from the clocks read with the ticket)."""
        for view in self.query(TicketView):  # none while the screen is still composing
            view.tick(now, self.app.palette)

    def desk_changed(self, changed: set[int]) -> None:
        if not changed or self.ticket_id in changed:
            self.load()

    def targets(self, single: bool = False) -> Targets | None:
        if self.ticket is None:
            return None
        t = self.ticket
        return Targets([t["id"]], {t["id"]: t["version"]}, subject=t["subject"], tags=tuple(t["tags"]))

    def action_timeline(self) -> None:
        self.show_events = not self.show_events
        self._show()

    def action_back(self) -> None:
        self.dismiss()

"""`c`: the ticket's requester in 360° (organization, tier, counts, latest tickets, assets, notes)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from helpdesk.widgets.customer_card import customer_360


class CustomerLoaded(Message):
    def __init__(self, data: dict | None, error: str | None = None) -> None:
        super().__init__()
        self.data, self.error = data, error


class CustomerScreen(Screen):
    CSS_PATH = "customer.tcss"
    BINDINGS = [Binding("escape,c", "back", "Back", id="customer.back")]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.data: dict | None = None

    def compose(self):
        with VerticalScroll(id="customer-scroll"):
            yield Static(Text("Loading the customer…"), id="customer-body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="customer")
    def load(self) -> None:
        from helpdesk.errors import HelpdeskError
        from helpdesk.services.people.history import ticket_requester_360

        try:
            with self.app.desk.read() as s:
                data = ticket_requester_360(s, self.app.actor, self.ticket_id)
        except HelpdeskError as exc:
            self.post_message(CustomerLoaded(None, exc.message))
            return
        self.post_message(CustomerLoaded(data))

    def on_customer_loaded(self, message: CustomerLoaded) -> None:
        self.data = message.data
        body = self.query_one("#customer-body", Static)
        if message.data is None:
            body.update(Text(message.error or "This ticket has no requester."))
            return
        body.update(customer_360(message.data, self.app.now))

    def action_back(self) -> None:
        self.dismiss()

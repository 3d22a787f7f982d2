"""`g` then a letter: jump to a queue (lazygit/mutt style), or `k` to the knowledge base."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from helpdesk.services.tickets.queues import KB_LETTER
from helpdesk.text import literal

KB_KEY = "kb"  # not a queue: the knowledge base screen


INSIGHT = "i"  # `g` then `i`: the insight dashboard (no queue gets this letter)


class JumpScreen(ModalScreen[str | None]):
    """Shows the queues' letters; dismisses with the chosen queue's key."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="jump.cancel")]

    def __init__(self, queues: list) -> None:
        super().__init__(classes="dialog")
        self.queues = [q for q in queues if q.letter]

    def compose(self):
        text = Text()
        for q in self.queues:
            text.append(f" {q.letter} ", Style(bold=True, reverse=True)).append(" " + literal(q.title) + "\n")
        text.append(f" {INSIGHT} ", Style(bold=True, reverse=True)).append(" Insight dashboard\n")
        text.append(f" {KB_LETTER} ", Style(bold=True, reverse=True)).append(" Knowledge base\n")
        with Vertical(id="jump", classes="dialog-box"):
            yield Static(Text("Go to queue"), classes="dialog-title")
            yield Static(text)

    def on_key(self, event: events.Key) -> None:
        if event.character == INSIGHT:
            event.stop()
            self.dismiss("insight")
            return
        if event.character == KB_LETTER:
            event.stop()
            self.dismiss(KB_KEY)
            return
        for q in self.queues:
            if event.character == q.letter:
                event.stop()
                self.dismiss(q.key)
                return

    def action_cancel(self) -> None:
        self.dismiss(None)

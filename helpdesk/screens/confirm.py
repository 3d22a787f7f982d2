"""Ask before doing something: enter confirms, escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter,y", "answer(True)", "Confirm", id="confirm.yes"),
        Binding("escape,n", "answer(False)", "Cancel", id="confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "enter confirms") -> None:
        super().__init__(classes="dialog")
        self.question, self.detail, self.yes = question, detail, yes

    def compose(self):
        with Vertical(id="confirm", classes="dialog-box"):
            yield Static(Text(self.question), classes="dialog-title")
            if self.detail:
                yield Static(Text(self.detail), classes="dialog-detail")
            yield Static(Text(f"{self.yes} · esc cancels", "dim"), classes="dialog-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

"""Ask for one line of text: a ticket number to merge into, a name for a view."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the text typed (stripped), or None on escape or when empty."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, *, placeholder: str = "", value: str = "") -> None:
        super().__init__(classes="dialog")
        self.question, self.placeholder, self.value = question, placeholder, value

    def compose(self):
        with Vertical(id="prompt", classes="dialog-box"):
            yield Static(Text(self.question), classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(Text("enter accepts · esc cancels", "dim"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)

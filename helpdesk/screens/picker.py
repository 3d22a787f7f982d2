"""A picker with type-to-filter: assignee, status, priority, tag, sort."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from helpdesk.text import literal


@dataclass(frozen=True)
class Choice:
    label: str  # outside text allowed: shown literally
    value: Any
    hint: str = ""


class PickerScreen(ModalScreen[Any]):
    """Dismisses with the chosen value, or None on escape."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="picker.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="picker.previous"),
    ]

    def __init__(self, title: str, choices: list[Choice], *,
                 new_choice: Callable[[str], Choice | None] | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.choices = choices
        self.new_choice = new_choice
        self.shown: list[Choice] = list(choices)

    def compose(self):
        with Vertical(id="picker", classes="dialog-box"):
            yield Static(Text(self.title_text), classes="dialog-title")
            yield Input(placeholder="type to filter, enter picks", id="picker-filter")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-filter", Input).focus()

    def _fill(self, text: str) -> None:
        needle = text.strip().lower()
        self.shown = [c for c in self.choices if needle in c.label.lower() or needle in c.hint.lower()]
        extra = self.new_choice(text.strip()) if self.new_choice and needle else None
        if extra is not None and all(c.value != extra.value for c in self.shown):
            self.shown.append(extra)
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        options.add_options([Option(self._label(c)) for c in self.shown])
        options.highlighted = 0 if self.shown else None

    @staticmethod
    def _label(c: Choice) -> Text:
        label = Text(literal(c.label))
        if c.hint:
            label.append("  " + literal(c.hint), "dim")
        return label

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick(self.query_one("#picker-options", OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.shown):
            self.dismiss(self.shown[index].value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#picker-options", OptionList)
        if self.shown:
            options.highlighted = ((options.highlighted or 0) + step) % len(self.shown)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The `/` search line: query-language input, inline error, history on the up arrow."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from helpdesk.text import literal

HISTORY_MAX = 100


class SearchInput(Input):
    BINDINGS = [
        Binding("up", "older", "Older search", show=False, id="search.older"),
        Binding("down", "newer", "Newer search", show=False, id="search.newer"),
        Binding("escape", "cancel", "Cancel", show=False, id="search.cancel"),
    ]

    def action_older(self) -> None:
        self.parent.step_history(-1)  # type: ignore[union-attr]

    def action_newer(self) -> None:
        self.parent.step_history(1)  # type: ignore[union-attr]

    def action_cancel(self) -> None:
        self.parent.post_message(SearchBar.Cancelled())  # type: ignore[union-attr]


class SearchBar(Vertical):
    """Hidden until opened; the screen validates and runs the query, then calls `show_error` or `close`."""

    DEFAULT_CSS = """
    SearchBar { height: auto; display: none; }
    SearchBar.-open { display: block; }
    SearchBar #search-error { color: $error; height: auto; display: none; padding: 0 1; }
    SearchBar #search-error.-shown { display: block; }
    """

    class Submitted(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Cancelled(Message):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history: list[str] = []
        self._step: int | None = None

    def compose(self):
        yield SearchInput(placeholder="search: status:open priority:>=high assignee:me \"words\"  (↑ history, esc closes)",
                          id="search-input")
        yield Static("", id="search-error")

    @property
    def input(self) -> Input:
        return self.query_one(SearchInput)

    def open(self, text: str = "") -> None:
        self.add_class("-open")
        self.input.value = text
        self.input.cursor_position = len(text)
        self._step = None
        self.clear_error()
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.clear_error()

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def show_error(self, message: str) -> None:
        error = self.query_one("#search-error", Static)
        error.update(Text(literal(message)))
        error.add_class("-shown")

    def clear_error(self) -> None:
        self.query_one("#search-error", Static).remove_class("-shown")

    def remember(self, query: str) -> None:
        if query.strip():
            self.history = [q for q in self.history if q != query][-(HISTORY_MAX - 1):] + [query]

    def step_history(self, step: int) -> None:
        if not self.history:
            return
        index = len(self.history) if self._step is None else self._step
        index = min(max(0, index + step), len(self.history))
        self._step = index
        text = self.history[index] if index < len(self.history) else ""
        self.input.value = text
        self.input.cursor_position = len(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.clear_error()
        self.post_message(self.Submitted(event.value.strip()))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.clear_error()

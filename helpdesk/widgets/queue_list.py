"""The sidebar: queues with their live counts and jump letters."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from helpdesk.text import literal

NAME_WIDTH = 14


def queue_label(title: str, letter: str | None, count: int | None, current: bool = False) -> Text:
    name = literal(title)
    name = name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"
    shown = "?" if count is None else f"{count:,}" if count < 100_000 else f"{count // 1000}k"
    return Text.assemble((letter or " ", Style(dim=True)), " ", (f"{name:<{NAME_WIDTH}}", Style(bold=current)),
                         (f"{shown:>6}", Style(dim=True)))


class QueueList(OptionList):
    """Pick a queue with enter or a click; counts refresh in place."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="queues.down"),
        Binding("k", "cursor_up", "Up", show=False, id="queues.up"),
    ]

    class Chosen(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.queues: list = []
        self.counts: dict[str, int | None] = {}
        self.current: str | None = None

    def set_queues(self, queues: list, current: str | None) -> None:
        self.queues, self.current = list(queues), current
        self.clear_options()
        self.add_options([Option(self._label(q), id=q.key) for q in self.queues])
        self._highlight_current()

    def set_counts(self, counts: dict[str, int | None]) -> None:
        self.counts.update(counts)
        self._relabel()

    def set_current(self, key: str | None) -> None:
        if key != self.current:
            old, self.current = self.current, key
            self._relabel({old, key})  # only the two labels whose boldness changes
        self._highlight_current()

    def _relabel(self, keys: set | None = None) -> None:
        for q in self.queues:
            if keys is not None and q.key not in keys:
                continue
            try:
                self.replace_option_prompt(q.key, self._label(q))
            except Exception:  # the option list was rebuilt meanwhile
                pass

    def _highlight_current(self) -> None:
        for index, q in enumerate(self.queues):
            if q.key == self.current:
                self.highlighted = index

    def _label(self, q) -> Text:
        return queue_label(q.title, q.letter, self.counts.get(q.key), q.key == self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))

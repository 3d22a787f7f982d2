"""The unread-notifications badge in the queue's top line (`N` opens the panel)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class NotificationBadge(Static):
    """`● 3 unread (N)`; hidden when nothing is unread. The app's poll sets the count."""

    DEFAULT_CSS = "NotificationBadge { width: auto; height: 1; padding: 0 1; display: none; }"

    def __init__(self, **kw) -> None:
        super().__init__("", **kw)
        self.count = 0

    def show_count(self, count: int) -> None:
        if count == self.count and self.display == bool(count):
            return
        self.count = count
        self.display = bool(count)
        if count:
            self.update(Text("● ", Style(color="yellow", bold=True)) + Text(f"{count} unread (N)", Style(bold=True)))

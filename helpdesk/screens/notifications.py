"""`N`: my notifications (mentions, followed tickets, transfers, approvals, rules, SLA).

Opening the panel reads them: the unread ones are marked `●` and marked read, so
the badge clears. `enter` opens a notification's ticket; `esc` closes."""

from __future__ import annotations

from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from helpdesk.text import literal
from helpdesk.widgets.cells import relative

SHOWN = 50


class NotificationsRead(Message):
    def __init__(self, items: list[dict], unread: int, left: int = 0) -> None:
        super().__init__()
        self.items, self.unread, self.left = items, unread, left  # left: unread beyond the ones shown


class NotificationsScreen(ModalScreen[int | None]):
    """Dismisses with the ticket to open, or None."""

    BINDINGS = [Binding("escape,N", "close", "Close", id="notifications.close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")
        self.items: list[dict] = []

    def compose(self):
        with Vertical(id="notifications", classes="dialog-box"):
            yield Static(Text("Notifications"), classes="dialog-title", id="notifications-title")
            yield OptionList(id="notifications-list")
            yield Static(Text("enter opens the ticket · esc closes"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="notifications")
    def load(self) -> None:
        from helpdesk.services.core import notifications

        agent_id = getattr(self.app.actor, "agent_id", None)
        if agent_id is None:
            self.post_message(NotificationsRead([], 0))  # no acting agent: nobody's notifications
            return
        with self.app.desk.read() as s:
            items = [notifications.as_dict(n) for n in notifications.recent(s, agent_id, SHOWN)]
        unread = [n["id"] for n in items if n["read_at"] is None]
        left = self.app.desk.write(lambda w: (notifications.mark_read(w, agent_id, unread),
                                              notifications.unread_count(w, agent_id))[1])
        self.post_message(NotificationsRead(items, len(unread), left))

    def on_notifications_read(self, message: NotificationsRead) -> None:
        self.items = message.items
        now = self.app.clock()
        title = f"Notifications — {message.unread} unread" if message.unread else "Notifications"
        self.query_one("#notifications-title", Static).update(Text(title))
        options = self.query_one("#notifications-list", OptionList)
        options.clear_options()
        options.add_options([Option(_line(n, now)) for n in self.items] or [Option(Text("Nothing yet."), disabled=True)])
        options.highlighted = 0 if self.items else None
        options.focus()
        self.app.show_unread(message.left)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.items):
            self.dismiss(self.items[event.option_index]["ticket"])

    def action_close(self) -> None:
        self.dismiss(None)


def _line(n: dict, now: datetime) -> Text:
    at = datetime.fromisoformat(n["created_at"]) if n["created_at"] else None
    unread = n["read_at"] is None
    line = Text("● " if unread else "  ", Style(color="yellow", bold=True))
    line.append(f"{n['kind']:<9} ", Style(bold=unread))
    line.append(f"{relative(at, now) if at else '':>4}  ", Style(dim=True))
    return line + Text(literal(n["text"]), Style(bold=unread))

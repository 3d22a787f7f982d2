"""Writing a public reply, an internal note or a side conversation message: ctrl+s sends,
esc asks before discarding."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from helpdesk.screens.confirm import ConfirmScreen
from helpdesk.text import literal


class ComposeScreen(Screen[bool]):
    """Sends through the conversation service itself, so a refused send keeps the draft.

    Dismisses with True once sent, False when discarded."""

    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="compose.send"),
        Binding("escape", "discard", "Discard", id="compose.discard"),
        Binding("ctrl+o", "insert_article", "Insert article", show=False, id="compose.article"),
    ]

    class Sent(Message):
        def __init__(self, ticket_id: int) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    class Refused(Message):
        def __init__(self, error: Exception, version: int | None) -> None:
            super().__init__()
            self.error, self.version = error, version

    def __init__(self, ticket_id: int, subject: str, version: int, kind: str = "reply", *,
                 to: list[str] | None = None, side_id: int | None = None) -> None:
        super().__init__()
        self.ticket_id, self.subject, self.version, self.kind = ticket_id, subject, version, kind
        self.to, self.side_id = list(to or []), side_id  # kind "side": new with `to`, else into `side_id`
        self.sending = False

    def _what(self) -> str:
        if self.kind == "side":
            where = f"to {', '.join(self.to)}" if self.side_id is None else f"#{self.side_id}"
            return f"Side conversation {where} (by mail; never the requester)"
        return "Internal note (agents only)" if self.kind == "note" else "Public reply (the requester gets it)"

    def compose(self):
        what = self._what()
        with Vertical(id="compose", classes=f"-{self.kind}"):
            yield Static(Text(f"{what} on #{self.ticket_id} ") + Text(literal(self.subject), "bold"),
                         id="compose-title")
            yield TextArea(id="compose-body", soft_wrap=True, show_line_numbers=False)
            yield Static(Text("ctrl+s sends · esc discards", "dim"), id="compose-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def draft(self) -> str:
        return self.query_one(TextArea).text

    def action_send(self) -> None:
        if self.sending:
            return
        if not self.draft.strip():
            self.notify("Nothing to send: the message is empty.", severity="warning")
            return
        self.sending = True
        self.send(self.draft, self.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="compose")
    def send(self, body: str, version: int) -> None:
        from helpdesk.errors import Conflict
        from helpdesk.services.mail import sides
        from helpdesk.services.tickets.conversation import add_agent_message

        app = self.app

        def write(s):
            if self.kind != "side":
                return add_agent_message(s, app.actor, self.ticket_id, body, kind=self.kind, if_version=version)
            if self.side_id is None:  # a side conversation never changes the ticket: no version to check
                return sides.start_side(s, app.actor, self.ticket_id, self.to, body)[0].id
            return sides.write_side(s, app.actor, self.ticket_id, self.side_id, body).side_id

        try:
            written = app.desk.write(write)
            if self.kind == "side":
                self.side_id = written  # a second message from this screen goes into the same one
        except Conflict as exc:
            again = app.current_version(self.ticket_id) if self.kind != "side" else None  # side: no version
            self.post_message(self.Refused(exc, again))
            return
        except Exception as exc:  # anything else also keeps the draft
            self.post_message(self.Refused(exc, None))
            return
        self.post_message(self.Sent(self.ticket_id))

    def on_compose_screen_sent(self, message: Sent) -> None:
        self.sending = False
        done = {"note": "Note added to", "side": f"Side conversation #{self.side_id} mailed, on"}
        self.app.notify(f"{done.get(self.kind, 'Reply sent on')} #{self.ticket_id}.", markup=False)
        self.app.desk_changed_here()
        self.dismiss(True)

    def on_compose_screen_refused(self, message: Refused) -> None:
        self.sending = False
        text = getattr(message.error, "message", str(message.error))
        if message.version is not None:
            # told who changed what; a second ctrl+s sends against the version now shown
            self.version = message.version
            text += " — your draft is kept; press ctrl+s again to send anyway."
        self.notify(text, severity="error", timeout=10)

    def action_insert_article(self) -> None:
        """Pick a suggested or searched article; its text goes in at the cursor and its use is counted."""
        from helpdesk.screens.kb import ArticlePickerScreen

        self.app.push_screen(ArticlePickerScreen(self.ticket_id), self._article_picked)

    def _article_picked(self, row: dict | None) -> None:
        if row is not None:
            self.insert_article(row["id"])

    class ArticleText(Message):
        def __init__(self, text: str | None, error: str | None = None) -> None:
            super().__init__()
            self.text, self.error = text, error

    @work(thread=True, exclusive=True, exit_on_error=False, group="compose-article")
    def insert_article(self, article_id: int) -> None:
        from helpdesk.errors import HelpdeskError
        from helpdesk.services.customers.suggest import insert_article

        app = self.app
        try:
            text = app.desk.write(lambda s: insert_article(s, app.actor, article_id, self.ticket_id))
        except HelpdeskError as exc:
            self.post_message(self.ArticleText(None, exc.message))
            return
        self.post_message(self.ArticleText(text))

    def on_compose_screen_article_text(self, message: ArticleText) -> None:
        area = self.query_one(TextArea)
        if message.error:
            self.notify(message.error, severity="error")
        elif message.text:
            area.insert(message.text if not area.text.strip() else "\n\n" + message.text + "\n")
        area.focus()

    def action_discard(self) -> None:
        if not self.draft.strip():
            self.dismiss(False)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(False)

        self.app.push_screen(ConfirmScreen("Discard this draft?", f"{len(self.draft)} characters will be lost.",
                                           yes="enter discards"), answer)

"""'Suggested articles' in the ticket pane: the knowledge base's best few for the ticket
shown, worked out on a thread so the pane never waits for them. Shows nothing when
nothing fits (or the desk has no articles), so the pane looks as it always did."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from helpdesk.text import literal

SHOWN = 3  # a short list: the composer's picker (ctrl+o) has the rest


def suggestions_text(rows: list[dict]) -> Text:
    """'Suggested articles' and one line per article: number, state if internal, title."""
    text = Text("Suggested articles", Style(bold=True, underline=True))
    for row in rows[:SHOWN]:
        text.append(f"\n#{row['id']} ", Style(dim=True))
        if row["state"] != "published":
            text.append(f"({row['state']}) ", Style(dim=True))
        text.append(literal(row["title"]))
    text.append("\nctrl+o in a reply inserts one · g k: all articles", Style(dim=True))
    return text


def suggested_rows(desk, actor, ticket_id: int) -> list[dict]:
    """The rows for one ticket (in a worker thread); none if the ticket is gone."""
    from helpdesk.errors import HelpdeskError
    from helpdesk.services.customers.suggest import suggest_for_ticket

    try:
        with desk.read() as s:
            return [{"id": a.id, "title": a.title, "state": a.state, "body": a.body}
                    for a, _ in suggest_for_ticket(s, actor, ticket_id)]
    except HelpdeskError:
        return []


class KbSuggestions(Static):
    """Call `for_ticket(id)` whenever the pane shows another ticket."""

    class Found(Message):
        def __init__(self, ticket_id: int, rows: list[dict]) -> None:
            super().__init__()
            self.ticket_id, self.rows = ticket_id, rows

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.ticket_id: int | None = None
        self.rows: list[dict] = []
        self.display = False

    def for_ticket(self, ticket_id: int | None) -> None:
        if ticket_id == self.ticket_id:
            return
        self.ticket_id, self.rows = ticket_id, []
        self.display = False
        if ticket_id is not None and getattr(self.app, "desk", None) is not None:
            self.look_up(ticket_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-suggestions")
    def look_up(self, ticket_id: int) -> None:
        self.post_message(self.Found(ticket_id, suggested_rows(self.app.desk, self.app.actor, ticket_id)))

    def on_kb_suggestions_found(self, message: Found) -> None:
        message.stop()
        if message.ticket_id != self.ticket_id:  # the pane moved on meanwhile
            return
        self.rows = message.rows
        self.display = bool(message.rows)
        if message.rows:
            self.update(suggestions_text(message.rows))

"""The knowledge base (`g` then `k`, or the command palette): the articles, a search
line, and the highlighted article rendered with Textual's Markdown widget.

Staff see every state but archived (drafts and internal articles are marked);
searching finds published and internal articles as `helpdesk kb search` does.
Links in an article are never opened from here."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from helpdesk.text import literal

LISTED = 200


def article_label(row: dict) -> Text:
    label = Text(f"#{row['id']} ", Style(dim=True))
    if row["state"] != "published":
        label.append(f"({row['state']}) ", Style(dim=True, italic=True))
    label.append(literal(row["title"]))
    if row.get("category"):
        label.append("  " + literal(row["category"]), Style(dim=True))
    return label


def read_rows(desk, actor, text: str) -> tuple[list[dict], str]:
    """(rows, status line) for the list: a search, or the latest articles (in a worker thread)."""
    from helpdesk.errors import HelpdeskError
    from helpdesk.services.customers.articles import list_articles, search_articles

    def row(a) -> dict:
        return {"id": a.id, "title": a.title, "state": a.state, "category": a.category, "body": a.body,
                "version": a.version, "use_count": a.use_count, "helpful": a.helpful, "not_helpful": a.not_helpful}

    try:
        with desk.read() as s:
            if text.strip():
                found = [row(a) for a in search_articles(s, actor, text, limit=LISTED)]
                return found, f"{_articles(len(found))} match {literal(text)!r}" if found else f"no article matches {literal(text)!r}"
            found = [row(a) for a in list_articles(s, actor, limit=LISTED) if a.state != "archived"]
            return found, f"{_articles(len(found))} (archived ones hidden) · / searches"
    except HelpdeskError as exc:
        return [], exc.message


def _articles(n: int) -> str:
    return "1 article" if n == 1 else f"{n} articles"


class ArticlesRead(Message):
    def __init__(self, rows: list[dict], status: str) -> None:
        super().__init__()
        self.rows, self.status = rows, status


class KbScreen(Screen[None]):
    """Browse and search articles; the highlighted one is shown on the right."""

    CSS_PATH = "kb.tcss"
    BINDINGS = [
        Binding("slash", "search", "Search", id="kb.search"),
        Binding("tab", "focus_article", "Read", show=False, id="kb.read"),
        Binding("escape", "back", "Back", id="kb.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.shown_id: int | None = None

    def compose(self):
        yield Static(Text("Knowledge base", Style(bold=True)), id="kb-top")
        yield Input(placeholder="search articles (硒鼓, vpn 断开…), enter searches, empty lists all", id="kb-search")
        with Horizontal(id="kb-main"):
            yield OptionList(id="kb-list")
            with VerticalScroll(id="kb-article"):
                yield Static("", id="kb-meta")
                yield Markdown("", id="kb-body", open_links=False)
        yield Static("", id="kb-status")
        yield Footer()

    def on_mount(self) -> None:
        self.load("")
        self.query_one("#kb-list", OptionList).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-rows")
    def load(self, text: str) -> None:
        rows, status = read_rows(self.app.desk, self.app.actor, text)
        self.post_message(ArticlesRead(rows, status))

    def on_articles_read(self, message: ArticlesRead) -> None:
        self.rows = message.rows
        self.query_one("#kb-status", Static).update(Text(message.status))
        options = self.query_one("#kb-list", OptionList)
        options.clear_options()
        options.add_options([Option(article_label(r)) for r in self.rows])
        if self.rows:
            options.highlighted = 0
            self.show_article(self.rows[0])
        else:
            self.show_article(None)

    @on(OptionList.OptionHighlighted, "#kb-list")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.rows):
            self.show_article(self.rows[event.option_index])

    @on(OptionList.OptionSelected, "#kb-list")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.action_focus_article()

    def show_article(self, row: dict | None) -> None:
        meta = self.query_one("#kb-meta", Static)
        body = self.query_one("#kb-body", Markdown)
        if row is None:
            self.shown_id = None
            meta.update(Text("No article.", Style(dim=True)))
            body.update("")
            return
        if row["id"] == self.shown_id:
            return
        self.shown_id = row["id"]
        head = Text(literal(row["title"]), Style(bold=True))
        head.append(f"\n#{row['id']} · {row['state']}" + (f" · {literal(row['category'])}" if row.get("category") else "")
                    + f" · version {row['version']} · used {row['use_count']} times"
                    + f" · helpful {row['helpful']}/{row['not_helpful']}\n", Style(dim=True))
        meta.update(head)
        body.update(literal(row["body"], multiline=True))  # Markdown, never markup; escape sequences stripped
        self.query_one("#kb-article", VerticalScroll).scroll_home(animate=False)

    @on(Input.Submitted, "#kb-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.load(event.value)
        self.query_one("#kb-list", OptionList).focus()

    def action_search(self) -> None:
        self.query_one("#kb-search", Input).focus()

    def action_focus_article(self) -> None:
        self.query_one("#kb-article", VerticalScroll).focus()

    def action_back(self) -> None:
        if self.focused is not None and self.focused.id in ("kb-search", "kb-article"):
            self.query_one("#kb-list", OptionList).focus()
            return
        self.dismiss(None)


class ArticleChoices(Message):
    def __init__(self, text: str, rows: list[dict], status: str) -> None:
        super().__init__()
        self.text, self.rows, self.status = text, rows, status


class ArticlePickerScreen(ModalScreen[dict | None]):
    """The composer's ctrl+o: the ticket's suggested articles, or a search as you type.
    Dismisses with the chosen article's row (id, title, body), or None."""

    CSS_PATH = "kb.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="articles.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="articles.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="articles.previous"),
    ]

    def __init__(self, ticket_id: int | None) -> None:
        super().__init__(classes="dialog")
        self.ticket_id = ticket_id
        self.rows: list[dict] = []
        self.text = ""

    def compose(self):
        with Vertical(id="article-picker", classes="dialog-box"):
            yield Static(Text("Insert an article"), classes="dialog-title")
            yield Input(placeholder="type to search, enter inserts", id="article-filter")
            yield OptionList(id="article-options")
            yield Static("", id="article-status", classes="dialog-keys")

    def on_mount(self) -> None:
        self.find("")
        self.query_one("#article-filter", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-pick")
    def find(self, text: str) -> None:
        from helpdesk.widgets.kb_suggestions import suggested_rows

        if text.strip():
            rows, status = read_rows(self.app.desk, self.app.actor, text)
        elif self.ticket_id is not None:
            rows = suggested_rows(self.app.desk, self.app.actor, self.ticket_id)
            status = "suggested for this ticket; type to search" if rows else "nothing suggested; type to search"
        else:
            rows, status = [], "type to search"
        self.post_message(ArticleChoices(text, rows, status))

    def on_article_choices(self, message: ArticleChoices) -> None:
        if message.text != self.text:  # typed on meanwhile
            return
        self.rows = message.rows
        options = self.query_one("#article-options", OptionList)
        options.clear_options()
        options.add_options([Option(article_label(r)) for r in self.rows])
        options.highlighted = 0 if self.rows else None
        self.query_one("#article-status", Static).update(Text(message.status))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.text = event.value
        self.find(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick(self.query_one("#article-options", OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.rows):
            self.dismiss(self.rows[index])

    def action_move(self, step: int) -> None:
        options = self.query_one("#article-options", OptionList)
        if self.rows:
            options.highlighted = ((options.highlighted or 0) + step) % len(self.rows)

    def action_cancel(self) -> None:
        self.dismiss(None)

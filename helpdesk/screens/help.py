"""`?`: every key of every screen (as remapped by the user's config), and the query syntax."""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_names(app, binding: Binding, keymap: dict[str, str]) -> str:
    keys = keymap.get(binding.id or "", binding.key)
    return " ".join(app.get_key_display(Binding(k.strip(), binding.action)) for k in keys.split(","))


def key_table(app, sections: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style=Style(bold=True))
    table.add_column()
    table.add_column(style=Style(dim=True), no_wrap=True)
    for title, bindings in sections:
        table.add_row(Text(title, Style(underline=True, bold=True)), "", "")
        for b in bindings:
            table.add_row(Text(key_names(app, b, keymap)), Text(b.description or b.action), Text(b.id or ""))
        table.add_row("", "", "")
    return table


def query_help() -> Group:
    from helpdesk.query import FIELDS, SYNTAX_HELP

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style=Style(bold=True))
    grid.add_column()
    for name, text in FIELDS.items():
        grid.add_row(Text(name), Text(text))
    return Group(Text("Search (/)", Style(underline=True, bold=True)), Text(SYNTAX_HELP), grid)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[Binding]]], keymap: dict[str, str]) -> None:
        super().__init__(classes="dialog")
        self.sections, self.keymap = sections, keymap

    def compose(self):
        with VerticalScroll(id="help", classes="dialog-box"):
            yield Static(Text("Keys — remap any of them in the [keys] table of your config, by the id on the right"),
                         classes="dialog-title")
            yield Static(key_table(self.app, self.sections, self.keymap))
            yield Static(query_help())

    def action_close(self) -> None:
        self.dismiss(None)

"""The queue's ticket table: a Line API widget that draws only the visible rows.

Textual's DataTable repaints every visible row whenever one cell changes and takes
seconds to fill 10k rows; this table holds a window of rows (see window.py),
caches each drawn line, and `update_cell` repaints exactly one line — so the SLA
countdown ticking every second costs a few cells, not the table."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from helpdesk.widgets.cells import SLA_WIDTH

MARGIN = 40  # ask for the next page when the cursor comes this close to the window's edge
SUBJECT_WHOLE = 40  # a subject this long shows whole whenever the table can make room for it


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 0  # fixed width; 0 = flexible, between `minimum` and `want` (the subject takes the rest)
    minimum: int = 0
    want: int = 0
    sort: str | None = None  # the listing sort this column orders by


COLUMNS = (
    Column("mark", "", 1),
    Column("number", "#", 6, sort="id"),
    Column("sla", "SLA", SLA_WIDTH, sort="due"),
    Column("priority", "Pri", 6, sort="priority"),
    Column("status", "Status", 7, sort="status"),
    Column("subject", "Subject", minimum=10, want=SUBJECT_WHOLE),
    Column("requester", "Requester", minimum=6, want=16),
    Column("assignee", "Assignee", minimum=6, want=12),
    Column("updated", "Upd", 4, sort="updated"),
)
COLUMN_KEYS = tuple(c.key for c in COLUMNS)
_FLEX = tuple(c for c in COLUMNS if not c.width)  # subject, requester, assignee: the order they are given room


def column_widths(total: int) -> list[int]:
    """Fixed columns keep their width (one space between columns); the subject takes what the others leave.

    The subject keeps SUBJECT_WHOLE cells when assignee, then requester, can be left out (width 0) to
    give it them; when it cannot keep them even alone, every column whose minimum fits is shown and
    the subject shrinks first (to its minimum). Spare room goes to the subject up to SUBJECT_WHOLE,
    then requester and assignee up to their `want`, then the rest to the subject."""
    options = [_shares(total, _FLEX[: len(_FLEX) - dropped]) for dropped in range(len(_FLEX))]
    fitting = [o for o in options if o is not None]
    whole = [o for o in fitting if o["subject"] >= SUBJECT_WHOLE]
    shares = whole[0] if whole else fitting[0] if fitting else {"subject": _FLEX[0].minimum}
    return [c.width or shares.get(c.key, 0) for c in COLUMNS]


def _shares(total: int, shown: tuple[Column, ...]) -> dict[str, int] | None:
    """Widths of the flexible columns `shown`, or None when their minimums do not fit."""
    fixed = sum(c.width for c in COLUMNS if c.width)
    spare = total - fixed - (len(COLUMNS) - len(_FLEX) + len(shown) - 1) - sum(c.minimum for c in shown)
    if spare < 0:
        return None
    shares = {c.key: c.minimum for c in shown}
    for c in (shown[0], *shown[1:]):  # the subject first, up to a whole subject; then the others
        give = min(spare, c.want - shares[c.key])
        shares[c.key] += give
        spare -= give
    shares["subject"] += spare
    return shares


def line_segments(cells: dict[str, Text], widths: list[int], base: Style, console: Console) -> list[Segment]:
    """What `line_text` renders to under `base`, one segment per plain cell, without building the line's Text.

    Drawing a page of rows this way is what keeps a page-down within a frame."""
    out = []
    for column, width in zip(COLUMNS, widths):
        if not width:
            continue
        cell = cells.get(column.key) or Text("")
        if cell.spans:  # styled fragments inside the cell: rich lays it out
            part = cell.copy()
            part.truncate(width, overflow="ellipsis", pad=True)
            out += [Segment(s.text, base + s.style if s.style else base) for s in part.render(console)
                    if s.text != "\n"]
        else:
            text = cell.plain
            text = set_cell_size(text, width - 1) + "…" if cell_len(text) > width else set_cell_size(text, width)
            style = console.get_style(cell.style) if isinstance(cell.style, str) else cell.style
            out.append(Segment(text, base + style if style else base))
        out.append(Segment(" ", base))
    return out


def line_text(cells: dict[str, Text], widths: list[int]) -> Text:
    out = Text(no_wrap=True, end="")
    for column, width in zip(COLUMNS, widths):
        if not width:
            continue
        cell = cells.get(column.key) or Text("")
        cell = cell.copy()
        cell.truncate(width, overflow="ellipsis", pad=True)
        out.append_text(cell)
        out.append(" ")
    return out


class TableHeader(Widget):
    """Column labels; a click sorts by that column."""

    DEFAULT_CSS = "TableHeader { height: 1; text-style: bold; background: $panel; }"

    class Clicked(Message):
        def __init__(self, sort: str | None) -> None:
            super().__init__()
            self.sort = sort

    sort: reactive[tuple[str, bool]] = reactive(("updated", True))

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.widths = column_widths(80)

    def render(self) -> Text:
        sort, descending = self.sort
        labels = {}
        for c in COLUMNS:
            arrow = ("▼" if descending else "▲") if c.sort and c.sort == sort else ""
            labels[c.key] = Text(c.label + arrow)
        return line_text(labels, self.widths)

    def on_click(self, event: events.Click) -> None:
        x = event.x
        for column, width in zip(COLUMNS, self.widths):
            if not width:
                continue
            if x < width + 1:
                self.post_message(self.Clicked(column.sort))
                return
            x -= width + 1


class TicketTable(ScrollView, can_focus=True):
    """Rows keyed by ticket number; cells are `Text` (never markup)."""

    COMPONENT_CLASSES = {"ticket-table--cursor", "ticket-table--marked"}
    DEFAULT_CSS = """
    TicketTable { background: $surface; }
    TicketTable > .ticket-table--cursor { background: $block-cursor-blurred-background; }
    TicketTable:focus > .ticket-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    TicketTable > .ticket-table--marked { background: $accent 25%; }
    """
    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="table.page-down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="table.page-up"),
        Binding("home", "first", "First", show=False, id="table.first"),
        Binding("end,G", "last", "Last", show=False, id="table.last"),
        Binding("enter", "open", "Open", id="table.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        def __init__(self, ticket_id: int | None, index: int) -> None:
            super().__init__()
            self.ticket_id, self.index = ticket_id, index

    class Opened(Message):
        def __init__(self, ticket_id: int) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    class NearEdge(Message):
        """The cursor or the view came close to the top or bottom of the loaded rows."""

        def __init__(self, direction: str) -> None:
            super().__init__()
            self.direction = direction  # "up" or "down"

    class Jump(Message):
        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where  # "first" or "last"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: list[int] = []
        self.cells: dict[int, dict[str, Text]] = {}
        self.marked: set[int] = set()
        self.widths = column_widths(80)
        self._index: dict[int, int] = {}
        self._cache: dict[tuple[int, bool], Strip] = {}

    # -- content ---------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.keys)

    @property
    def current(self) -> int | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    def set_rows(self, rows: list[tuple[int, dict[str, Text]]], *, cursor: int | None = None) -> None:
        """Replace every row; the cursor goes to `cursor` (clamped) without scrolling the view needlessly."""
        old = self.cells
        self.keys = [k for k, _ in rows]
        self.cells = {k: c for k, c in rows}
        self._index = {k: i for i, k in enumerate(self.keys)}
        # a row handed back with the very same cells keeps its drawn lines: paging redraws only new rows
        self._cache = {key: strip for key, strip in self._cache.items()
                       if key[0] in self.cells and old.get(key[0]) is self.cells[key[0]]}
        self.virtual_size = Size(self.size.width, len(self.keys))
        self.cursor = min(max(0, self.cursor if cursor is None else cursor), max(0, len(self.keys) - 1))
        self.refresh()

    def update_cell(self, ticket_id: int, column: str, value: Text) -> None:
        """Change one cell and repaint its line only."""
        cells = self.cells.get(ticket_id)
        old = None if cells is None else cells.get(column)
        if cells is None or (old is not None and old == value and old.style == value.style):
            return
        cells[column] = value
        self._forget(ticket_id)

    def set_marked(self, marked: set[int]) -> None:
        changed = (self.marked ^ marked) & set(self._index)
        self.marked = set(marked)
        for ticket_id in changed:
            self.cells[ticket_id]["mark"] = Text("●", "bold") if ticket_id in marked else Text("")
            self._forget(ticket_id)

    def _forget(self, ticket_id: int) -> None:
        self._cache.pop((ticket_id, False), None)
        self._cache.pop((ticket_id, True), None)
        index = self._index.get(ticket_id)
        if index is not None:
            self.refresh_line(index)

    def index_of(self, ticket_id: int) -> int | None:
        return self._index.get(ticket_id)

    # -- drawing ---------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.widths = column_widths(self.scrollable_content_region.width)
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.keys))
        self.post_message(self.Resized(self.widths))

    class Resized(Message):
        def __init__(self, widths: list[int]) -> None:
            super().__init__()
            self.widths = widths

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self.keys):
            return Strip.blank(width, self.rich_style)
        ticket_id = self.keys[index]
        selected = index == self.cursor
        key = (ticket_id, selected)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._draw(ticket_id, selected, width)
            self._cache[key] = strip
        return strip

    def _draw(self, ticket_id: int, selected: bool, width: int) -> Strip:
        base: Style = self.rich_style
        if ticket_id in self.marked:
            base += self.get_component_rich_style("ticket-table--marked")
        if selected:
            base += self.get_component_rich_style("ticket-table--cursor")
        return Strip(line_segments(self.cells[ticket_id], self.widths, base, self.app.console)).crop_extend(0, width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # -- cursor ----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        for index in {old, new}:
            if 0 <= index < len(self.keys):
                self._cache.pop((self.keys[index], index == new), None)
                self._cache.pop((self.keys[index], index != new), None)
                self.refresh_line(index)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self.current, new))
        if new >= len(self.keys) - MARGIN:
            self.post_message(self.NearEdge("down"))
        if new < MARGIN:
            self.post_message(self.NearEdge("up"))

    def validate_cursor(self, value: int) -> int:
        return min(max(0, value), max(0, len(self.keys) - 1))

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.post_message(self.Jump("first"))

    def action_last(self) -> None:
        self.post_message(self.Jump("last"))

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.keys):
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        height = self.scrollable_content_region.height
        if new + height >= len(self.keys) - MARGIN // 2:
            self.post_message(self.NearEdge("down"))
        elif new <= MARGIN // 4 and new < old:
            self.post_message(self.NearEdge("up"))

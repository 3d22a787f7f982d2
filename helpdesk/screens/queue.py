"""The screen an agent keeps open all day: queues, the ticket table, the ticket beside it.

State changes happen only in message handlers here; database reads run in thread
workers (one session each) that post their results back as messages. A
generation number discards results of a view the agent already left."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from helpdesk.screens.actions import ACTION_BINDINGS, Targets, TicketActions
from helpdesk.screens.picker import Choice, PickerScreen
from helpdesk.screens.prompt import PromptScreen
from helpdesk.text import literal
from helpdesk.widgets.badge import NotificationBadge
from helpdesk.widgets.cells import relative, row_cells, sla_cell
from helpdesk.widgets.queue_list import QueueList
from helpdesk.widgets.search_bar import SearchBar
from helpdesk.widgets.ticket_table import TableHeader, TicketTable
from helpdesk.widgets.ticket_view import TicketView
from helpdesk.widgets.window import Window

PAGE = 100
SORTS = (("updated", "Last updated"), ("created", "Created"), ("priority", "Priority"), ("due", "SLA due"),
         ("status", "Status"), ("id", "Number"))


@dataclass(frozen=True)
class View:
    """What the table shows: a queue, or a search typed with `/`."""

    key: str
    title: str
    query: str
    sort: str = "updated"
    descending: bool = True


class RowsLoaded(Message):
    def __init__(self, generation: int, mode: str, rows: list, more: bool, total: int | None,
                 offset: int | None, keep: int | None, clocks: dict | None = None) -> None:
        super().__init__()
        self.generation, self.mode, self.rows, self.more = generation, mode, rows, more
        self.total, self.offset, self.keep = total, offset, keep
        self.clocks = clocks or {}  # ticket id -> the Countdown its SLA cell shows


class ViewRefused(Message):
    def __init__(self, generation: int, message: str) -> None:
        super().__init__()
        self.generation, self.message = generation, message


class QueuesLoaded(Message):
    def __init__(self, queues: list, counts: dict) -> None:
        super().__init__()
        self.queues, self.counts = queues, counts


class DetailLoaded(Message):
    def __init__(self, ticket: dict | None, card: dict | None, clocks: dict | None = None) -> None:
        super().__init__()
        self.ticket, self.card, self.clocks = ticket, card, clocks or {}


class MarkAll(Message):
    def __init__(self, generation: int, ids: list[int]) -> None:
        super().__init__()
        self.generation, self.ids = generation, ids


class QueueScreen(TicketActions, Screen):
    AUTO_FOCUS = "#table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (130, "-wide")]
    BINDINGS = [
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("space", "mark", "Mark", id="queue.mark"),
        Binding("asterisk", "mark_all", "Mark all", show=False, id="queue.mark-all"),
        Binding("g", "jump", "Go to", id="queue.jump"),
        *ACTION_BINDINGS,
        Binding("e", "timeline", "Timeline", show=False, id="queue.timeline"),
        Binding("o", "sort", "Sort", show=False, id="queue.sort"),
        Binding("O", "reverse", "Reverse order", show=False, id="queue.reverse"),
        Binding("V", "save_view", "Save view", show=False, id="queue.save-view"),
        Binding("b", "sidebar", "Sidebar", show=False, id="queue.sidebar"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="queue.reload"),
        Binding("escape", "back", "Back", show=False, id="queue.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self.window = Window()
        self.generation = 0
        self.queues: list = []
        self.marked: set[int] = set()
        self.rows_by_id: dict[int, object] = {}
        self.clocks: dict[int, object] = {}  # the window's next due clocks (services.sla.clocks.Countdown)
        self.fetching: str | None = None
        self.show_events = False
        self.detail: dict | None = None
        self.detail_clocks: dict = {}
        self._detail_timer = None
        self._stale = False  # the desk changed while rows were loading: re-read after
        self.card: dict | None = None

    def compose(self):
        with Horizontal(id="main"):
            yield QueueList(id="queues")
            with Vertical(id="center"):
                with Horizontal(id="top-line"):
                    yield Static(Text("Opening the desk…"), id="view-title")
                    yield NotificationBadge(id="badge")
                yield SearchBar(id="search")
                yield TableHeader(id="header")
                yield TicketTable(id="table")
                yield Static("", id="status-line")
            yield TicketView(id="preview")
        yield Footer()

    def on_mount(self) -> None:
        # synchronous, so the status line is redrawn in the same frame as the cursor (a message lands a frame later)
        self.watch(self.table, "cursor", lambda: self._show_status(), init=False)

    @property
    def table(self) -> TicketTable:
        return self.query_one(TicketTable)

    # -- opening views -------------------------------------------------------------

    def start(self) -> None:
        """Called by the app once the desk is open."""
        self.load_queues(first=True)

    def open_queue(self, key: str) -> None:
        queue = next((q for q in self.queues if q.key == key), None)
        if queue is None:
            return
        self.open_view(View(queue.key, queue.title, queue.query, queue.sort, queue.descending))

    def open_view(self, view: View, *, keep: int | None = None) -> None:
        self.view = view
        self.generation += 1
        self.fetching = "reset"
        self.marked.clear()
        self.query_one(QueueList).set_current(view.key)
        self.query_one(TableHeader).sort = (view.sort, view.descending)
        self._show_title()
        self.load_rows(self.generation, view, "reset", None, keep, PAGE)

    def _show_title(self) -> None:
        if self.view is None:
            return
        title = Text(literal(self.view.title), Style(bold=True)) + Text("  " + literal(self.view.query), Style(dim=True))
        self._set_line("#view-title", title)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rows")
    def load_rows(self, generation: int, view: View, mode: str, position: tuple | None, keep: int | None,
                  limit: int) -> None:
        from helpdesk.errors import Invalid
        from helpdesk.services.sla.clocks import row_countdowns
        from helpdesk.services.tickets import queues

        app = self.app
        kw = dict(sort=view.sort, descending=view.descending, now=app.clock())
        try:
            with app.desk.read() as s:
                total = offset = None
                if mode in ("reset", "refresh", "last"):
                    total = queues.count_tickets(s, app.actor, view.query, now=kw["now"])
                if mode == "down":
                    page = queues.read_rows(s, app.actor, view.query, after=position, limit=limit, **kw)
                elif mode == "up":
                    page = queues.read_rows(s, app.actor, view.query, before=position, limit=limit, **kw)
                elif mode == "last":
                    page = queues.read_rows(s, app.actor, view.query, before=(), limit=limit, **kw)
                    offset = total - len(page.rows)
                else:
                    page = queues.read_rows(s, app.actor, view.query, start=position, limit=limit, **kw)
                    offset = 0 if position is None else queues.count_before(s, app.actor, view.query, position, **kw)
                clocks = row_countdowns(s, page.rows)
        except Invalid as exc:
            self.post_message(ViewRefused(generation, exc.message))
            return
        self.post_message(RowsLoaded(generation, mode, page.rows, page.more, total, offset, keep, clocks))

    def on_view_refused(self, message: ViewRefused) -> None:
        if message.generation != self.generation:
            return
        self.fetching = None
        search = self.query_one(SearchBar)
        if search.is_open:
            search.show_error(message.message)
        else:
            self.notify(message.message, severity="error", timeout=8)

    def on_rows_loaded(self, message: RowsLoaded) -> None:
        if message.generation != self.generation:
            return
        self.fetching = None
        if self._stale:
            self._stale = False
            self.call_later(self.desk_changed, set())
        table, window = self.table, self.window
        self.clocks.update(message.clocks)
        current = table.current
        scroll = table.scroll_offset.y
        if message.mode == "reset":
            window.reset(message.rows, message.total or 0, more_below=message.more)
            self._close_search_after_success()
            self._fill(message.keep, top=True)
        elif message.mode == "last":
            window.reset(message.rows, message.total or 0, offset=message.offset or 0, more_above=message.more)
            self._fill(None, cursor=len(message.rows) - 1)
        elif message.mode == "down":
            dropped = window.append(message.rows, message.more)
            self._fill(current, scroll=scroll - dropped)
        elif message.mode == "up":
            before = len(window.rows)
            window.prepend(message.rows, message.more)
            self._fill(current, scroll=scroll + len(window.rows) - before)
        else:
            self._refresh_rows(message)
        self._show_status()

    def _close_search_after_success(self) -> None:
        search = self.query_one(SearchBar)
        if search.is_open and self.view and self.view.key == "search":
            search.close()
            self.table.focus()

    def _fill(self, keep: int | None, *, cursor: int | None = None, scroll: int | None = None,
              top: bool = False) -> None:
        """Put the window's rows in the table, the cursor on `keep` if it is still there."""
        index = self.window.index_of(keep) if keep is not None else None
        if index is None:
            index = cursor if cursor is not None else (0 if top else self.table.cursor)
        rows = [(r.id, self._cells(r)) for r in self.window.rows]
        self.rows_by_id = {r.id: r for r in self.window.rows}
        self.clocks = {i: c for i, c in self.clocks.items() if i in self.rows_by_id}
        self.table.marked = set(self.marked)
        self.table.set_rows(rows, cursor=index)
        if scroll is not None:
            self.table.scroll_to(y=max(0, scroll), animate=False, immediate=True)
        elif top:
            self.table.scroll_to(y=0, animate=False, immediate=True)

    def _cells(self, row) -> dict:
        """A row's cells: those already shown when it is the same row with the same mark (the clock keeps
        their countdowns current), else drawn afresh — so paging formats only the rows it brings."""
        shown = self.table.cells.get(row.id)
        marked = row.id in self.marked
        if shown is not None and self.rows_by_id.get(row.id) is row and (row.id in self.table.marked) == marked:
            return shown
        return row_cells(row, self.app.now, self.app.palette, marked, self.clocks.get(row.id))

    def _refresh_rows(self, message: RowsLoaded) -> None:
        """Live update: change only cells that differ; the cursor stays on its ticket."""
        old_ids = [r.id for r in self.window.rows]
        self.window.reset(message.rows, message.total or 0, offset=message.offset or 0,
                          more_above=(message.offset or 0) > 0, more_below=message.more)
        if [r.id for r in message.rows] != old_ids:
            self._fill(self.table.current)
            return
        now, palette = self.app.now, self.app.palette
        with self.app.batch_update():
            for row in message.rows:
                if self.rows_by_id.get(row.id) != row:
                    for column, value in row_cells(row, now, palette, row.id in self.marked,
                                                   self.clocks.get(row.id)).items():
                        self.table.update_cell(row.id, column, value)
                elif self.clocks.get(row.id) is not None:  # the clock moved without the row changing
                    self.table.update_cell(row.id, "sla", sla_cell(self.clocks[row.id], now, palette))
        self.rows_by_id = {r.id: r for r in message.rows}
        self.clocks = {i: c for i, c in self.clocks.items() if i in self.rows_by_id}

    def _show_status(self) -> None:
        w, view = self.window, self.view
        if view is None:
            return
        position = w.offset + self.table.cursor + 1 if w.rows else 0
        arrow = "↓" if view.descending else "↑"
        text = f"{position:,} of {w.total:,}  ·  sorted by {view.sort} {arrow}"
        if self.marked:
            text += f"  ·  {len(self.marked):,} marked (space toggles, esc clears)"
        if not w.rows:
            text = "No tickets in this view." if self.fetching is None else "Loading…"
        self._set_line("#status-line", Text(text))

    def _set_line(self, selector: str, text: Text) -> None:
        """Rewrite a one-line bar in place: its height is fixed, so no layout pass (which redraws every widget)."""
        line = self.query_one(selector, Static)
        if line.content != text:
            line.update(text, layout=False)

    # -- the table's requests --------------------------------------------------------

    @on(TicketTable.NearEdge)
    def near_edge(self, message: TicketTable.NearEdge) -> None:
        w, view = self.window, self.view
        if self.fetching or view is None or not w.rows:
            return
        if message.direction == "down" and w.more_below:
            self.fetching = "down"
            self.load_rows(self.generation, view, "down", w.rows[-1].position, None, PAGE)
        elif message.direction == "up" and w.more_above:
            self.fetching = "up"
            self.load_rows(self.generation, view, "up", w.rows[0].position, None, PAGE)

    @on(TicketTable.Jump)
    def jump(self, message: TicketTable.Jump) -> None:
        w, view = self.window, self.view
        if view is None:
            return
        if message.where == "first":
            if w.offset == 0:
                self.table.cursor = 0
            else:  # the same view from its top: marks, sidebar and title stay as they are
                self.generation += 1
                self.fetching = "reset"
                self.load_rows(self.generation, view, "reset", None, None, PAGE)
        elif not w.more_below:
            self.table.cursor = len(w.rows) - 1
        else:
            self.generation += 1
            self.fetching = "last"
            self.load_rows(self.generation, view, "last", None, None, PAGE)

    @on(TicketTable.Highlighted)
    def highlighted(self, message: TicketTable.Highlighted) -> None:
        if self._preview_shown() and message.ticket_id is not None:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self._detail_timer = self.set_timer(0.12, lambda: self.load_detail(message.ticket_id))

    @on(TicketTable.Opened)
    def opened(self, message: TicketTable.Opened) -> None:
        if self._preview_shown():
            self.query_one(TicketView).focus()
            return
        from helpdesk.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(message.ticket_id))

    @on(TableHeader.Clicked)
    def header_clicked(self, message: TableHeader.Clicked) -> None:
        if message.sort is None or self.view is None:
            return
        same = message.sort == self.view.sort
        self.open_view(replace(self.view, sort=message.sort, descending=not self.view.descending if same else
                               message.sort in ("updated", "created", "priority", "id")), keep=self.table.current)

    @on(TicketTable.Resized)
    def table_resized(self, message: TicketTable.Resized) -> None:
        header = self.query_one(TableHeader)
        header.widths = message.widths
        header.refresh()

    @on(QueueList.Chosen)
    def queue_chosen(self, message: QueueList.Chosen) -> None:
        self.open_queue(message.key)
        self.table.focus()

    # -- the detail beside the table ---------------------------------------------------

    def _preview_shown(self) -> bool:
        return self.size.width >= 130

    @work(thread=True, exclusive=True, exit_on_error=False, group="detail")
    def load_detail(self, ticket_id: int) -> None:
        from helpdesk.errors import NotFound

        try:
            ticket, card, clocks = self.app.read_ticket(ticket_id)
        except NotFound:
            ticket, card, clocks = None, None, {}
        self.post_message(DetailLoaded(ticket, card, clocks))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.detail, self.card, self.detail_clocks = message.ticket, message.card, message.clocks
        self._show_detail()

    def _show_detail(self) -> None:
        self.query_one(TicketView).show(self.detail, self.card, clocks=self.detail_clocks,
                                        show_events=self.show_events, now=self.app.now, palette=self.app.palette)

    def action_timeline(self) -> None:
        self.show_events = not self.show_events
        self._show_detail()

    # -- live ------------------------------------------------------------------------------

    def tick(self, now) -> None:
        """Every second: only countdown and age cells of the rows in view, and only where the text changes.

        Business time left comes from the clocks read with the rows and the calendar's table (a
        bisect or two per row): no database read per tick."""
        tables = self.query(TicketTable)
        if not tables:  # the app ticks from its start; this screen may still be composing
            return
        palette, table = self.app.palette, tables.first()
        top = table.scroll_offset.y
        rows = self.window.rows[top: top + table.scrollable_content_region.height + 1]
        for row in rows:
            clock = self.clocks.get(row.id)
            if clock is not None and clock.running:
                table.update_cell(row.id, "sla", sla_cell(clock, now, palette))
            table.update_cell(row.id, "updated", Text(relative(row.updated_at, now), palette.muted))
        if self._preview_shown():
            self.query_one(TicketView).tick(now, palette)

    def desk_changed(self, changed: set[int]) -> None:
        """Someone (maybe me) changed the desk: re-read what is on screen, counts too."""
        self.load_queues()
        view, w = self.view, self.window
        if view is None:
            return
        if self.fetching:
            self._stale = True
            return
        position = w.rows[0].position if w.offset > 0 and w.rows else None
        self.fetching = "refresh"
        self.load_rows(self.generation, view, "refresh", position, None, max(PAGE, len(w.rows)))
        shown = self.detail["id"] if self.detail else None
        if self._preview_shown() and shown is not None and (shown in changed or not changed):
            self.load_detail(shown)

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def load_queues(self, first: bool = False) -> None:
        from helpdesk.services.tickets import queues

        app = self.app
        with app.desk.read() as s:
            found = queues.list_queues(s, app.actor)
            if first:  # show rows before counting every queue
                self.post_message(QueuesLoaded(found, {}))
            counts = queues.queue_counts(s, app.actor, found, now=app.clock())
        self.post_message(QueuesLoaded(found, counts))

    def on_queues_loaded(self, message: QueuesLoaded) -> None:
        sidebar = self.query_one(QueueList)
        if [q.key for q in message.queues] != [q.key for q in self.queues] or \
                [q.title for q in message.queues] != [q.title for q in self.queues]:
            self.queues = message.queues
            sidebar.set_queues(self.queues, self.view.key if self.view else None)
        sidebar.set_counts(message.counts)
        if self.view is None and self.queues:
            self.open_queue(self.queues[0].key)

    # -- marking ---------------------------------------------------------------------------

    def action_mark(self) -> None:
        current = self.table.current
        if current is None:
            return
        self.marked ^= {current}
        self.table.set_marked(self.marked)
        self.table.update_cell(current, "mark", Text("●", self.app.palette.accent) if current in self.marked
                               else Text(""))
        self.table.cursor += 1
        self._show_status()

    def action_mark_all(self) -> None:
        if self.view is not None:
            self.load_all_ids(self.generation, self.view)

    @work(thread=True, exclusive=True, exit_on_error=False, group="mark")
    def load_all_ids(self, generation: int, view: View) -> None:
        from helpdesk.services.tickets.queues import view_ids

        with self.app.desk.read() as s:
            ids = view_ids(s, self.app.actor, view.query, now=self.app.clock())
        self.post_message(MarkAll(generation, ids))

    def on_mark_all(self, message: MarkAll) -> None:
        if message.generation != self.generation:
            return
        ids = set(message.ids)
        self.set_marks(set() if ids and ids <= self.marked else ids)
        self.notify(f"{len(self.marked):,} tickets marked." if self.marked else "Marks cleared.")

    def set_marks(self, marks: set[int]) -> None:
        self.marked = marks
        self._fill(self.table.current)
        self._show_status()

    def targets(self, single: bool = False) -> Targets | None:
        current = self.table.current
        if self.marked and not single:
            ids = sorted(self.marked)
            versions = {i: self.rows_by_id[i].version for i in ids if i in self.rows_by_id}
            return Targets(ids, versions, batch=True)
        if current is None:
            return None
        row = self.rows_by_id[current]
        tags = tuple(self.detail["tags"]) if self.detail and self.detail["id"] == current else ()
        return Targets([current], {current: row.version}, subject=row.subject, tags=tags)

    def batch_done(self) -> None:
        if self.marked:
            self.set_marks(set())

    # -- other keys --------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one(SearchBar)
        search.open(self.view.query if self.view and self.view.key == "search" else "")

    @on(SearchBar.Submitted)
    def search_submitted(self, message: SearchBar.Submitted) -> None:
        search = self.query_one(SearchBar)
        search.remember(message.query)
        sort = self.view.sort if self.view else "updated"
        descending = self.view.descending if self.view else True
        self.open_view(View("search", "Search", message.query, sort, descending))

    @on(SearchBar.Cancelled)
    def search_cancelled(self) -> None:
        self.query_one(SearchBar).close()
        self.table.focus()

    def action_jump(self) -> None:
        from helpdesk.screens.jump import JumpScreen

        self.app.push_screen(JumpScreen(self.queues), self._jumped)

    def _jumped(self, key: str | None) -> None:
        from helpdesk.screens.jump import KB_KEY

        if key == "insight":
            self.action_insight()
        elif key == KB_KEY:
            self.app.action_knowledge_base()
        elif key:
            self.open_queue(key)

    def action_insight(self) -> None:
        from helpdesk.screens.insight import InsightScreen

        self.app.push_screen(InsightScreen())

    def action_sort(self) -> None:
        if self.view is None:
            return
        choices = [Choice(title, name, "current" if name == self.view.sort else "") for name, title in SORTS]
        self.app.push_screen(PickerScreen("Sort by", choices),
                             lambda v: v and self.open_view(replace(self.view, sort=v), keep=self.table.current))

    def action_reverse(self) -> None:
        if self.view is not None:
            self.open_view(replace(self.view, descending=not self.view.descending), keep=self.table.current)

    def action_save_view(self) -> None:
        if self.view is None:
            return
        query = self.view.query

        def named(name: str | None) -> None:
            if not name:
                return

            def save(s, actor):
                from helpdesk.services.tickets.views import add_view

                add_view(s, actor, name, query)
                return f"Saved view {name!r}: {query}"

            self.app.run_change(save, [])

        self.app.push_screen(PromptScreen(f"Save “{query}” as a view named:", placeholder="e.g. VIP printers"), named)

    def action_sidebar(self) -> None:
        shown = self.query_one(QueueList).display
        self.set_class(shown, "-hide-sidebar")
        self.set_class(not shown, "-show-sidebar")

    def action_reload(self) -> None:
        self.desk_changed(set())

    def action_back(self) -> None:
        if self.marked:
            self.set_marks(set())
        elif not self.table.has_focus:
            self.table.focus()

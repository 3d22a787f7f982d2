"""One ticket, read in full: fields, requester, conversation, side conversations, attachments, timeline.

Built from the JSON shapes of `listing.ticket_detail` and `queues.requester_card`.
Every piece of outside text goes through `literal()` into a `Text`, so a subject
like "[bold]hi" or an escape sequence in a body stays inert."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from helpdesk.text import literal
from helpdesk.widgets.cells import Palette, clock_line, relative
from helpdesk.widgets.customer_card import customer_panel
from helpdesk.widgets.kb_suggestions import KbSuggestions

CLOCKS = (("first_response", "First response"), ("next_response", "Next response"), ("resolution", "Resolution"))


def when(iso: str | None, now: datetime) -> Text:
    """Local time plus how long ago: '2026-03-01 14:05 (3h)'."""
    if not iso:
        return Text("—", Style(dim=True))
    at = datetime.fromisoformat(iso)
    return Text(f"{at.astimezone():%Y-%m-%d %H:%M}") + Text(f" ({relative(at, now)})", Style(dim=True))


def line(value: object) -> Text:
    return Text(literal(value))


LABEL_WIDTH = 14  # "First response": the fields and the SLA lines share one label column


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=Style(dim=True), no_wrap=True, min_width=LABEL_WIDTH)
    grid.add_column()
    return grid


def fields_table(t: dict, now: datetime, palette: Palette) -> Table:
    grid = _grid()
    requester = t.get("requester") or {}
    rows: list[tuple[str, Text]] = [
        ("Status", Text(t["status"].replace("_", " "))),
        ("Priority", Text(t["priority"], {"urgent": palette.breached, "high": palette.warning}.get(t["priority"], ""))),
        ("Type", line(t.get("type") or "—")),
        ("Channel", line(t.get("channel") or "—")),
        ("Requester", line(_person(requester.get("name"), requester.get("email")) if requester else "—")),
        ("Organization", line(t.get("organization") or "—")),
        ("Assignee", line(t.get("assignee") or "unassigned")),
        ("Team", line(t.get("team") or "—")),
        ("Tags", line(", ".join(t.get("tags") or []) or "—")),
        ("Created", when(t.get("created_at"), now)),
        ("Updated", when(t.get("updated_at"), now)),
    ]
    if t.get("merged_into"):
        rows.append(("Merged into", Text(f"#{t['merged_into']}")))
    form = t.get("form")
    if form:
        rows[3:3] = process_rows(form.get("process"), palette)  # after Type: where it is, who must act
    else:  # a type's fields, and the free ones after them, have a section of their own
        rows += [(literal(key), line(value)) for key, value in sorted((t.get("fields") or {}).items())]
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def field_label(spec: dict) -> str:
    """The label a type gives a field ("退款金额 / refund amount"), else its key."""
    return literal(spec.get("label") or spec["key"])


class _FieldsGrid:
    """The typed fields' grid: labels get up to 45% of the width the pane has, so a long
    bilingual label ("退款流水号 / refund transaction") shows whole on a wide screen and is
    cut short, rather than squeezing the value, in the narrow preview."""

    def __init__(self, rows: list[tuple[str, Text]]) -> None:
        self.rows = rows

    def __rich_console__(self, console, options):
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=Style(dim=True), no_wrap=True, overflow="ellipsis",
                        max_width=max(LABEL_WIDTH, options.max_width * 45 // 100))
        grid.add_column()
        for label, value in self.rows:
            grid.add_row(label, value)
        yield grid


def typed_fields(form: dict, palette: Palette) -> RenderableType:
    """The type's fields under a heading, then the free fields the type does not list."""
    rows = typed_field_rows(form, palette)
    rows += [(literal(key), line(value)) for key, value in (form.get("other_fields") or {}).items()]
    heading = Text("Fields · ", Style(bold=True)) + Text(literal(form["type"]), Style(bold=True))
    heading += Text("  f edits", Style(dim=True))
    if not rows:
        return Padding(Group(heading, Text("This type has no fields.", Style(dim=True))), (1, 0))
    return Padding(Group(heading, _FieldsGrid(rows)), (1, 0))


def typed_field_rows(form: dict, palette: Palette) -> list[tuple[str, Text]]:
    """The type's fields in its order; an empty required one says so, an empty one a
    later status needs says which (so nobody learns it from a refused solve)."""
    rows = []
    for spec in form.get("fields") or []:
        value = spec.get("value")
        if value not in (None, ""):
            shown = line(value)
        elif spec.get("missing"):
            shown = Text("— required", palette.breached)
        elif spec.get("required_for"):
            shown = Text("—", Style(dim=True)) + Text(f" needed to be {' / '.join(spec['required_for'])}",
                                                       palette.warning)
        else:
            shown = Text("—", Style(dim=True))
        rows.append((field_label(spec), shown))
    return rows


def process_rows(process: dict | None, palette: Palette) -> list[tuple[str, Text]]:
    """Stage 2 of 4 with the process line, and the approval the stage waits for."""
    if not process:
        return []
    stage = process.get("stage")
    head = Text(f"{process['number']} of {process['count']} · ", Style(dim=True)) + line(stage) if stage \
        else Text("not started", Style(dim=True))
    path = Text()
    for n, name in enumerate(process["stages"]):
        if n:
            path.append(" → ", Style(dim=True))
        path.append_text(Text(literal(name), palette.accent if name == stage else Style(dim=True)))
    rows = [("Stage", head), ("", path)]
    approval = process.get("approval")
    if approval:
        state = approval.get("state") or "pending"
        text = Text(state, {"pending": palette.warning, "declined": palette.breached}.get(state, palette.running))
        text.append(f" · {approval['yes']} of {approval['needed']}", Style(dim=True))
        if state == "pending" and approval.get("waiting_for"):
            text.append(" · waiting for ", Style(dim=True)).append_text(line(", ".join(approval["waiting_for"])))
        rows.append(("Approval", text))
        last = (approval.get("votes") or [])[-1:]
        for vote in last:
            said = Text("yes" if vote["approved"] else "no", palette.running if vote["approved"] else palette.breached)
            said = line(vote["voter"]) + Text(" said ") + said
            if vote.get("comment"):
                said += Text(": ") + line(vote["comment"])
            rows.append(("", said))
    elif process.get("outcome") == "declined":
        rows.append(("Approval", Text("declined", palette.breached) + Text(" · sent back; the timeline says why",
                                                                           Style(dim=True))))
    return rows


def sla_lines(clocks: dict, now: datetime, palette: Palette) -> list[tuple[str, Text]]:
    """The ticket's clocks, business time left as `sla status` counts it."""
    return [(label, clock_line(clocks[key], now, palette)) for key, label in CLOCKS if clocks.get(key) is not None]


def sla_table(lines: list[tuple[str, Text]]) -> Table:
    """One line per clock, never wrapped: its height stays put while it ticks."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=Style(dim=True), no_wrap=True, min_width=LABEL_WIDTH)
    grid.add_column(no_wrap=True, overflow="ellipsis")
    for label, value in lines:
        grid.add_row(label, value)
    return grid


def _person(name: str | None, email: str | None) -> str:
    if name and email:
        return f"{name} <{email}>"
    return name or email or "—"


def requester_panel(card: dict | None) -> RenderableType:
    if not card:
        return Panel(Text("No requester", Style(dim=True)), title=Text("Requester"), title_align="left")
    body = Text()
    body.append_text(line(card.get("name")))
    for label in ("email", "phone"):
        if card.get(label):
            body.append("\n").append_text(line(card[label]))
    org = card.get("organization")
    if org:
        body.append("\n").append_text(line(org))
    if card.get("tier"):
        body.append("  ").append(Text(f"tier {literal(card['tier'])}", Style(bold=True)))
    body.append(f"\n{card.get('ticket_count', 0)} tickets in all", Style(dim=True))
    for other in card.get("others") or []:
        body.append(f"\n#{other['id']} ", Style(dim=True)).append(other["status"].replace("_", " ") + " ")
        body.append_text(line(other["subject"]))
    return Panel(body, title=Text("Requester"), title_align="left", border_style=Style(dim=True))


def message_panel(m: dict, now: datetime, palette: Palette) -> RenderableType:
    note = m["kind"] == "note"
    who = {"agent": "agent", "customer": "customer", "system": "system"}.get(m.get("by") or "", "")
    title = Text("Internal note" if note else ("Reply" if who == "agent" else "Message"), Style(bold=True))
    title += Text(" · ") + line(m.get("author") or "unknown") + Text(f" ({who})" if who else "")
    title += Text(" · ") + when(m.get("created_at"), now)
    body = Text(literal(m.get("body") or "", multiline=True))
    for a in m.get("attachments") or []:
        body.append("\n📎 ", Style(dim=True)).append_text(line(a.get("filename")))
        body.append(f"  {a.get('content_type') or ''} {_size(a.get('size') or 0)}", Style(dim=True))
    if note:
        return Panel(body, title=title, title_align="left", border_style=palette.warning, style=Style(italic=True))
    border = palette.accent if who == "customer" else palette.running
    return Panel(body, title=title, title_align="left", border_style=border)


def side_panel(side: dict, now: datetime, palette: Palette) -> RenderableType:
    """One side conversation (mail with a third party), its messages oldest first: framed
    apart from the customer's conversation, in the dim secondary style."""
    title = Text(f"Side conversation #{side['id']}", Style(bold=True)) + Text(" · ") + line(side.get("subject"))
    title += Text(f" · {side.get('state')}", Style(dim=True))
    rows: list[RenderableType] = [Text("with ", Style(dim=True)) + line(", ".join(side.get("to") or []))]
    for m in side.get("messages") or []:
        if m.get("direction") == "out":
            head = Text("→ ", Style(bold=True)) + line(m.get("author_name") or m.get("author")) \
                + Text(" to ", Style(dim=True)) + line(", ".join(m.get("to") or []))
        else:
            head = Text("← ", Style(bold=True)) + line(m.get("author_name") or m.get("author"))
            if m.get("author_name"):
                head += Text(" <") + line(m.get("author")) + Text(">")
            if m.get("outsider"):
                head += Text(" (not a participant)", palette.warning)
        head += Text(" · ") + when(m.get("created_at"), now)
        body = Text(literal(m.get("body") or "", multiline=True))
        for a in m.get("attachments") or []:
            body.append("\n📎 ", Style(dim=True)).append_text(line(a.get("filename")))
            body.append(f"  {_size(a.get('size') or 0)}", Style(dim=True))
        rows += [Padding(head, (1, 0, 0, 0)), Padding(body, (0, 0, 0, 2))]
    return Panel(Group(*rows), title=title, title_align="left", border_style=Style(color="magenta", dim=True))


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n}{unit}" if unit == "B" else f"{n:.0f}{unit}"
        n /= 1024
    return f"{n:.1f}GB"


def timeline(events: list[dict], now: datetime, palette: Palette | None = None) -> RenderableType:
    palette = palette or Palette()
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style=Style(dim=True))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for e in events:
        change = _change(e, palette)
        at = datetime.fromisoformat(e["at"]).astimezone()
        grid.add_row(f"{at:%Y-%m-%d %H:%M}", line(e.get("actor")), change)
    return Panel(grid, title=Text("Timeline"), title_align="left", border_style=Style(dim=True))


def _change(e: dict, palette: Palette) -> Text:
    """One event's change; a rule's firing and a failed action read as sentences."""
    reason = literal(e.get("reason") or "")
    if e.get("field") == "rule":  # new = "trigger NAME", reason = the fields it changed
        return Text("⚙ ") + line(_short(e.get("new"))) + Text(f" fired: changed {reason}" if reason != "no change"
                                                              else " fired: nothing to change", Style(dim=True))
    if e.get("field") == "rule_warning":
        return Text("⚠ ", palette.warning) + line(_short(e.get("new"))) + Text(f" could not act: {reason}",
                                                                               palette.warning)
    if e.get("field") == "side_conversation":  # new = "side conversation #3: reply from x@y", reason = subject
        return Text("✉ ") + line(_short(e.get("new"), 90)) + (Text(f" ({reason})", Style(dim=True)) if reason else Text())
    if e.get("field") == "mention_warning":  # new = "@name", reason = why nobody was told
        return Text("⚠ ", palette.warning) + line(_short(e.get("new"))) + Text(f" {reason}", palette.warning)
    change = line(e.get("field")) + Text(": ") + line(_short(e.get("old")) or "—") + Text(" → ") \
        + line(_short(e.get("new")) or "—")
    if reason:
        change += Text(f" ({reason})", Style(dim=True))
    return change


def _short(value: object, limit: int = 60) -> str:
    text = literal(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def head_renderable(t: dict, now: datetime, palette: Palette) -> RenderableType:
    heading = Text(f"#{t['id']} ", Style(bold=True)) + Text(literal(t["subject"]), Style(bold=True))
    return Group(heading, Padding(fields_table(t, now, palette), (1, 0, 0, 0)))


def detail_renderable(t: dict, card: dict | None, *, show_events: bool, now: datetime,
                      palette: Palette) -> RenderableType:
    """Everything below the fields and clocks: requester, conversation, timeline."""
    parts: list[RenderableType] = [typed_fields(t["form"], palette)] if t.get("form") else []
    parts.append(customer_panel(card, t.get("asset")))  # widgets/customer_card.py
    messages = t.get("messages") or []
    parts.append(Text(f"Conversation ({len(messages)})", Style(bold=True, underline=True)))
    parts += [message_panel(m, now, palette) for m in messages] or [Text("No messages yet.", Style(dim=True))]
    sides = t.get("side_conversations") or []
    if sides:  # mail with third parties: apart from the customer's conversation, never theirs
        parts.append(Text(f"Side conversations ({len(sides)})", Style(bold=True, underline=True))
                     + Text(" not the requester's · S", Style(dim=True)))
        parts += [side_panel(x, now, palette) for x in sides]
    if show_events:
        parts.append(timeline(t.get("events") or [], now, palette))
    else:
        parts.append(Text(f"{len(t.get('events') or [])} events — press e for the timeline", Style(dim=True)))
    return Group(*parts)


class TicketView(VerticalScroll):
    """Scrollable full view of one ticket."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Scroll down", show=False, id="detail.down"),
        Binding("k,up", "scroll_up", "Scroll up", show=False, id="detail.up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ticket: dict | None = None
        self.clocks: dict = {}  # kind -> services.sla.clocks.Countdown
        self._sla_plain: str | None = None

    def compose(self):
        yield Static(Text("No ticket selected.", Style(dim=True)), id="detail-head")
        yield Static("", id="detail-sla")
        yield KbSuggestions(id="detail-kb")  # the knowledge base's best few for this ticket, found on a thread
        yield Static("", id="detail-body")

    def show(self, ticket: dict | None, card: dict | None, *, clocks: dict | None = None, show_events: bool,
             now: datetime, palette: Palette) -> None:
        keep = self.ticket is not None and ticket is not None and self.ticket["id"] == ticket["id"]
        self.ticket, self.clocks = ticket, (clocks or {}) if ticket is not None else {}
        head = self.query_one("#detail-head", Static)
        body = self.query_one("#detail-body", Static)
        if ticket is None:
            head.update(Text("No ticket selected.", Style(dim=True)))
            body.update("")
        else:
            head.update(head_renderable(ticket, now, palette))
            body.update(detail_renderable(ticket, card, show_events=show_events, now=now, palette=palette))
        self._sla_plain = None
        self.tick(now, palette)
        self.query_one(KbSuggestions).for_ticket(ticket["id"] if ticket else None)
        if not keep:
            self.scroll_home(animate=False)

    def tick(self, now: datetime, palette: Palette) -> None:
        """Redraw the SLA lines when their text changed; the same number of lines, so no layout pass."""
        found = self.query("#detail-sla")
        if not found:  # a tick between mounting the view and composing its parts
            return
        sla = found.first(Static)
        if self.ticket is None:
            if self._sla_plain != "":
                sla.update("")
                self._sla_plain = ""
            return
        lines = sla_lines(self.clocks, now, palette)
        plain = "\n".join(str(text) for _, text in lines)
        if plain != self._sla_plain:
            sla.update(sla_table(lines), layout=self._sla_plain is None)
            self._sla_plain = plain

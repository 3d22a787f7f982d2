"""The customer beside a ticket and in 360°: organization and tier, open/solved counts,
assets with their warranty, and the ticket's own asset.

Built from `queues.requester_card` (which carries the 360 summary of
`people.history.requester_extras`) and from `people.history.contact_history`.
Outside text goes through `literal()` into `Text`, never markup."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from helpdesk.text import literal

WARRANTY_STYLE = {"in": Style(color="green"), "expired": Style(color="red", bold=True), "unknown": Style(dim=True)}
ASSETS_SHOWN = 5


def warranty_text(asset: dict) -> Text:
    """'in until 2027-01-06', 'expired 2026-11-06' or 'unknown', coloured by state."""
    state, end = asset.get("warranty") or "unknown", asset.get("warranty_end")
    words = {"in": f"in warranty until {end}", "expired": f"warranty expired {end}"}.get(state, "warranty unknown")
    return Text(words, WARRANTY_STYLE.get(state, Style()))


def asset_line(asset: dict) -> Text:
    line = Text(literal(asset.get("serial")), Style(bold=True))
    if asset.get("model"):
        line.append(" ").append(literal(asset["model"]))
    return line.append("  ").append_text(warranty_text(asset))


def customer_panel(card: dict | None, asset: dict | None = None) -> RenderableType:
    """The ticket pane's requester section: who, org and tier, open/solved, assets, this ticket's asset."""
    body = Text()
    if card:
        body.append_text(Text(literal(card.get("name"))))
        for label in ("email", "phone"):
            if card.get(label):
                body.append("\n").append(literal(card[label]))
        if card.get("organization"):
            body.append("\n").append(literal(card["organization"]))
        if card.get("tier"):
            body.append("  ").append(Text(f"tier {literal(card['tier'])}", Style(bold=True)))
        if "open" in card:
            body.append(f"\n{card['open']} open · {card['solved']} solved", Style(dim=True))
        else:
            body.append(f"\n{card.get('ticket_count', 0)} tickets in all", Style(dim=True))
        for other in card.get("others") or []:
            body.append(f"\n#{other['id']} ", Style(dim=True)).append(other["status"].replace("_", " ") + " ")
            body.append(literal(other["subject"]))
        assets = card.get("assets") or []
        if assets:
            body.append(f"\nAssets ({card.get('asset_count', len(assets))})", Style(dim=True))
            for a in assets[:ASSETS_SHOWN]:
                body.append("\n  ").append_text(asset_line(a))
    else:
        body.append("No requester", Style(dim=True))
    if asset:
        body.append("\nThis ticket: ", Style(bold=True)).append_text(asset_line(asset))
    footer = Text("c: customer 360", Style(dim=True)) if card else None
    return Panel(body, title=Text("Requester"), title_align="left", subtitle=footer, subtitle_align="right",
                 border_style=Style(dim=True))


def customer_360(data: dict, now: datetime) -> RenderableType:
    """The whole customer: the 360 screen's body."""
    from helpdesk.widgets.cells import relative

    head = Text(literal(data.get("name")), Style(bold=True))
    if data.get("email"):
        head.append(f"  <{literal(data['email'])}>")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style=Style(dim=True), no_wrap=True)
    grid.add_column()
    org = data.get("organization") or {}
    grid.add_row("Organization", Text(literal(org.get("name") or "—")))
    grid.add_row("Tier", Text(literal(data.get("tier") or "—")))
    grid.add_row("Phone", Text(literal(data.get("phone") or "—")))
    grid.add_row("Tickets", Text(f"{data['open']} open · {data['solved']} solved"))
    parts: list[RenderableType] = [head, grid]
    tickets = Table.grid(padding=(0, 1))
    for _ in range(4):
        tickets.add_column(no_wrap=True)
    for t in data.get("tickets") or []:
        at = datetime.fromisoformat(t["updated_at"])
        tickets.add_row(Text(f"#{t['id']}", Style(dim=True)), Text(t["status"].replace("_", " ")),
                        Text(literal(t["subject"])), Text(relative(at, now), Style(dim=True)))
    parts.append(Panel(tickets if data.get("tickets") else Text("No tickets.", Style(dim=True)),
                       title=Text(f"Latest tickets ({len(data.get('tickets') or [])})"), title_align="left",
                       border_style=Style(dim=True)))
    assets = Text()
    for i, a in enumerate(data.get("assets") or []):
        assets.append("\n" if i else "").append_text(asset_line(a))
    parts.append(Panel(assets if data.get("assets") else Text("No assets.", Style(dim=True)),
                       title=Text(f"Assets ({len(data.get('assets') or [])})"), title_align="left",
                       border_style=Style(dim=True)))
    notes = Text()
    for i, n in enumerate(data.get("notes") or []):
        at = datetime.fromisoformat(n["created_at"])
        notes.append("\n\n" if i else "").append(f"{literal(n['author'])} · {at.astimezone():%Y-%m-%d %H:%M}\n",
                                                   Style(dim=True))
        notes.append(literal(n["body"], multiline=True))
    parts.append(Panel(notes if data.get("notes") else Text("No notes.", Style(dim=True)),
                       title=Text("Notes (internal)"), title_align="left", border_style=Style(dim=True)))
    return Group(*parts)

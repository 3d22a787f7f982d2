"""`ticket show` for people: fields, the conversation, the history."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from helpdesk import render
from helpdesk.text import literal


def print_ticket(t: dict) -> None:
    out = render.console()
    out.print(Text.assemble((f"#{t['id']} ", "bold"), (literal(t["subject"]), "bold")))
    requester = t["requester"] or {}
    render.lines([
        ("status", f"{t['status']}    priority: {t['priority']}    type: {t['type'] or '-'}    channel: {t['channel']}"),
        ("requester", f"{requester.get('name') or '-'} <{requester.get('email') or '-'}>   org: {t['organization'] or '-'}"),
        ("assignee", f"{t['assignee'] or '-'}    team: {t['team'] or '-'}"),
        ("tags", ", ".join(t["tags"]) or "-"),
        *((f"field {k}", v) for k, v in t["fields"].items()),
        ("created", render.when(t["created_at"])),
        ("updated", f"{render.when(t['updated_at'])}    version {t['version']}"),
        *([("merged into", f"#{t['merged_into']}")] if t.get("merged_into") else []),
        *([("asset", _asset_line(t["asset"]))] if t.get("asset") else []),
        *([("sla", _sla_line(t["sla"]))] if t["sla"].get("policy") else []),
    ])
    for m in t["messages"]:
        title = f"{'NOTE' if m['kind'] == 'note' else 'reply'} · {literal(m['author'] or '?')} · {render.when(m['created_at'])}"
        body = [Text(literal(m["body"], multiline=True))]
        body += [Text(f"📎 {literal(a['filename'])} ({a['size']} bytes)", style="dim") for a in m["attachments"]]
        style = "yellow" if m["kind"] == "note" else ("cyan" if m["by"] == "customer" else "green")
        out.print(Panel(Group(*body), title=Text(title), title_align="left", border_style=style))
    sides = t.get("side_conversations") or []
    if sides:  # third parties by mail: listed apart, with `ticket sides`
        out.print(Text(f"{len(sides)} side conversation{'s' if len(sides) != 1 else ''} "
                       f"({sum(len(x['messages']) for x in sides)} messages): helpdesk ticket sides {t['id']}",
                       style="magenta"))
    out.print(Text(f"{len(t['events'])} events (helpdesk ticket show {t['id']} --json for the full history)", style="dim"))


def _asset_line(a: dict) -> str:
    warranty = {"in": f"in warranty until {a['warranty_end']}", "expired": f"warranty expired {a['warranty_end']}"}
    return f"{a['serial']}" + (f" ({a['model']})" if a.get("model") else "") + "    " \
        + warranty.get(a["warranty"], "warranty unknown")


def _sla_line(sla: dict) -> str:
    parts = [sla["policy"]]
    for kind in ("first_response", "next_response", "resolution"):
        clock = sla.get(kind)
        if clock:
            parts.append(f"{kind.replace('_', ' ')}: {clock['state']} {render.duration(clock['remaining_seconds'])}")
    return "   ".join(parts)

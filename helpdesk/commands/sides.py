"""Side conversations: the work of `ticket side` and `ticket sides` (declared in tickets.py,
so `helpdesk ticket ...` builds from one module)."""

from __future__ import annotations

import typer
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from helpdesk import render
from helpdesk.commands.common import body_text, read, ticket_number, write
from helpdesk.text import literal


def side_command(ticket: str, to: list[str], subject: str | None, body: str | None, side_id: int | None,
                 close: bool, json_out: bool) -> None:
    from helpdesk.services.mail import sides

    number = ticket_number(ticket)
    if side_id is None and close:
        raise typer.BadParameter("--close needs --side ID (which side conversation)", param_hint="--close")
    if side_id is None and not to:
        raise typer.BadParameter("a new side conversation needs --to ADDRESS (or --side ID to write into one)",
                                 param_hint="--to")
    if side_id is not None and subject is not None:
        raise typer.BadParameter("--subject is for a new side conversation; it cannot change", param_hint="--subject")
    text = body_text(body, required=not close)
    if side_id is not None and to and not (text or "").strip():
        raise typer.BadParameter("--to with --side adds people to the next message: give --body too",
                                 param_hint="--body")

    def run(s, who):
        said = None
        if side_id is None:
            side, message = sides.start_side(s, who, number, to, text, subject)
            said = f"side conversation #{side.id} started with {', '.join(side.participants)}"
        else:
            side = sides.get_side(s, number, side_id)
            if text is not None and text.strip():
                sides.write_side(s, who, number, side.id, text, to)
                said = f"message sent in side conversation #{side.id} to {', '.join(side.participants)}"
            if close:
                closed = sides.close_side(s, who, number, side.id)
                said = ((said + "; closed") if said else
                        f"side conversation #{side.id} {'closed' if closed else 'was closed already'}")
        return said, sides.sides_json(s, number)

    said, all_sides = write(run)
    if json_out:
        shown = next(x for x in all_sides if x["id"] == (side_id or max(x["id"] for x in all_sides)))
        return render.emit_json(shown)
    render.say(f"#{number}: {literal(said)}")


def sides_command(ticket: str, json_out: bool) -> None:
    from helpdesk.services.mail.sides import sides_json
    from helpdesk.services.tickets.lifecycle import get_ticket

    number = ticket_number(ticket)
    found = read(lambda s, _who: (get_ticket(s, number), sides_json(s, number))[1])
    if json_out:
        return render.emit_json({"ticket": number, "side_conversations": found, "count": len(found)})
    if not found:
        render.say(f"#{number} has no side conversations (start one: helpdesk ticket side {number} --to ADDRESS "
                   "--body TEXT)")
        return
    out = render.console()
    for side in found:
        heading = Text(f"Side conversation #{side['id']} · {side['state']} · to ", style="bold")
        heading += Text(literal(", ".join(side["to"]))) + Text(" · ") + Text(literal(side["subject"]))
        out.print(heading)
        for m in side["messages"]:
            out.print(message_panel(m))


def message_panel(m: dict) -> Panel:
    if m["direction"] == "out":
        title = Text(f"→ {literal(m['author'])} to {literal(', '.join(m['to']))} · {render.when(m['created_at'])}")
        style = "magenta"
    else:
        who = literal(m["author"]) + (" (not a participant)" if m["outsider"] else "")
        title = Text(f"← from {who} · {render.when(m['created_at'])}")
        style = "blue"
    body = [Text(literal(m["body"], multiline=True))]
    body += [Text(f"📎 {literal(a['filename'])} ({a['size']} bytes)", style="dim") for a in m["attachments"]]
    return Panel(Group(*body), title=title, title_align="left", border_style=style)

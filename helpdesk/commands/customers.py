"""The customer in 360°: `contact show` / `contact note` (in people.py's group) and
`helpdesk org show|note`; both print through `print_360`."""

from __future__ import annotations

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, body_text, read, write
from helpdesk.text import literal

orgs = typer.Typer(help="Organizations: the customers' companies, in 360°.", no_args_is_help=True)


def print_360(data: dict, *, heading: list[tuple[str, str]]) -> None:
    """The human form of contact/org 360: heading lines, counts, tickets, assets, notes."""
    from helpdesk.commands.assets import _owner, _warranty

    lines = [*heading, ("tickets", f"{data['open']} open, {data['solved']} solved")]
    rated = data.get("satisfaction") or {}
    if rated.get("rated"):  # contacts only: ratings from surveys and phone (ticket rate)
        lines.append(("satisfaction", f"{rated['good']} good of {rated['rated']} rated ({rated['csat']:.0%})"))
    render.lines(lines)
    if data["tickets"]:
        render.table(("#", "status", "priority", "subject", "asset", "updated"),
                     ([f"#{t['id']}", t["status"], t["priority"], t["subject"], t["asset"] or "",
                       render.when(t["updated_at"])] for t in data["tickets"]),
                     caption=f"latest {len(data['tickets'])} tickets")
    if data["assets"]:
        render.table(("serial", "model", "status", "owner", "warranty"),
                     ([a["serial"], a["model"] or "", a["status"], _owner(a), _warranty(a)] for a in data["assets"]),
                     caption=f"{len(data['assets'])} assets")
    for note in data["notes"]:
        render.lines([(f"note by {note['author']}, {render.when(note['created_at'])}", "")])
        render.show("  " + literal(note["body"], multiline=True).replace("\n", "\n  "))  # an agent's text, still literal


def contact_360(email: str, json_out: bool) -> None:
    from helpdesk.services.people.history import contact_history

    data = read(lambda s, who: contact_history(s, who, email))
    if json_out:
        return render.emit_json(data)
    org = data["organization"]
    print_360(data, heading=[
        ("contact", f"{data['name']} <{data['email'] or '-'}>"),
        ("organization", f"{org['name']}" + (f" ({org['tier']})" if org["tier"] else "") if org else "-"),
        ("tier", data["tier"] or "-"), ("phone", data["phone"] or "-")])


def note(kind: str, who_or_what: str, body: str | None, json_out: bool) -> None:
    from helpdesk.services.customers.notes import add_note
    from helpdesk.services.people.contacts import get_contact
    from helpdesk.services.people.history import get_org

    text = body_text(body)

    def run(s, who):
        if kind == "contact":
            n = add_note(s, who, text, contact_id=get_contact(s, who_or_what).id)
        else:
            n = add_note(s, who, text, organization_id=get_org(s, who_or_what).id)
        return {"id": n.id, "author": who.email, "body": n.body, "created_at": n.created_at.isoformat()}

    data = write(run)
    if json_out:
        return render.emit_json(data)
    render.say(f"note {data['id']} added about {who_or_what}")


@orgs.command("show")
def org_show(name: str = typer.Argument(..., help="Organization name (any case)."), json_out: bool = JSON) -> None:
    """An organization in 360°: tier, contacts, open/solved counts, latest tickets, assets, notes.

    Example: helpdesk org show Acme --json
    """
    from helpdesk.services.people.history import org_history

    data = read(lambda s, who: org_history(s, who, name))
    if json_out:
        return render.emit_json(data)
    people = ", ".join(c["email"] or c["name"] for c in data["contacts"][:10])
    more = data["contact_count"] - min(10, len(data["contacts"]))
    print_360(data, heading=[("organization", data["name"]), ("tier", data["tier"] or "-"),
                             ("contacts", f"{data['contact_count']}" + (f": {people}" if people else "")
                              + (f" and {more} more" if more > 0 else ""))])


@orgs.command("note")
def org_note(name: str = typer.Argument(...),
             body: str = typer.Option(None, "--body", "-b", help="The note; '-' reads standard input."),
             json_out: bool = JSON) -> None:
    """Add an internal note about an organization (agents only; customers never see it).

    Example: helpdesk org note Acme --body "Contract renewal in March; ask for Li Wei"
    """
    note("org", name, body, json_out)

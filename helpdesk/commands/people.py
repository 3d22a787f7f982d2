"""`helpdesk agent|team|contact ...`."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, LIMIT, read, write

agents = typer.Typer(help="Agents: the people who work tickets.", no_args_is_help=True)
teams = typer.Typer(help="Teams: queue owners.", no_args_is_help=True)
contacts = typer.Typer(help="Contacts: the people who ask (requesters).", no_args_is_help=True)


def agent_dict(a, team_names: dict) -> dict:
    return {"id": a.id, "email": a.email, "name": a.name, "role": a.role, "team": team_names.get(a.team_id),
            "skills": a.skills, "capacity": a.capacity, "active": a.active}


@agents.command("add")
def agent_add(
    email: str = typer.Argument(...),
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option("agent", "--role", help="admin, agent or viewer."),
    team: Optional[str] = typer.Option(None, "--team"),
    skill: list[str] = typer.Option([], "--skill", help="A skill (repeat for more)."),
    capacity: Optional[int] = typer.Option(None, "--capacity", help="Most open tickets this agent should hold."),
    json_out: bool = JSON,
) -> None:
    """Add an agent (admins only; the first agent of a new desk becomes admin).

    Example: helpdesk agent add bob@example.com --name "Bob Li" --team billing --skill printers
    """
    from helpdesk.services.people.agents import add_agent
    from helpdesk.userconfig import set_agent_if_unset

    def run(s, who):
        a = add_agent(s, who, email, name, role, team, skill, capacity)
        return agent_dict(a, {a.team_id: team} if team else {})

    data = write(run)
    if json_out:
        return render.emit_json(data)
    render.say(f"added {data['email']} ({data['role']})")
    if data["role"] == "admin" and set_agent_if_unset(data["email"]):
        render.say(f"you now act as {data['email']} on this machine (HELPDESK_AGENT or --as override it)")


@agents.command("list")
def agent_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """List agents."""
    from helpdesk.services.people.agents import list_agents, list_teams

    def fetch(s, _who):
        names = {t.id: t.name for t in list_teams(s)}
        return [agent_dict(a, names) for a in list_agents(s)]

    rows = read(fetch)
    cols = ("email", "name", "role", "team", "skills", "active")
    if json_out:
        render.emit_json(rows)
    elif csv_out:
        render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    else:
        render.table(cols, ([r["email"], r["name"], r["role"], r["team"] or "", ", ".join(r["skills"]),
                             "yes" if r["active"] else "no"] for r in rows))


@teams.command("add")
def team_add(name: str = typer.Argument(...), email: Optional[str] = typer.Option(None, "--email"), json_out: bool = JSON) -> None:
    """Add a team (admins only). Example: helpdesk team add billing"""
    from helpdesk.services.people.agents import add_team

    data = write(lambda s, who: (lambda t: {"id": t.id, "name": t.name, "email": t.email})(add_team(s, who, name, email)))
    render.emit_json(data) if json_out else render.say(f"added team {data['name']}")


@teams.command("list")
def team_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """List teams."""
    from helpdesk.services.people.agents import list_teams

    rows = read(lambda s, _w: [{"id": t.id, "name": t.name, "email": t.email} for t in list_teams(s)])
    if json_out:
        render.emit_json(rows)
    elif csv_out:
        render.emit_csv(("name", "email"), ([r["name"], r["email"]] for r in rows))
    else:
        render.table(("name", "email"), ([r["name"], r["email"] or ""] for r in rows))


def contact_dict(s, c) -> dict:
    from helpdesk.models import Organization

    org = s.get(Organization, c.organization_id) if c.organization_id else None
    return {"id": c.id, "email": c.email, "name": c.name, "phone": c.phone, "organization": org.name if org else None,
            "tier": c.tier or (org.tier if org else None)}


@contacts.command("add")
def contact_add(
    email: str = typer.Argument(...),
    name: str = typer.Option(..., "--name"),
    org: Optional[str] = typer.Option(None, "--org", help="Organization (created if new)."),
    tier: Optional[str] = typer.Option(None, "--tier", help="e.g. vip"),
    phone: Optional[str] = typer.Option(None, "--phone"),
    json_out: bool = JSON,
) -> None:
    """Add a contact. Example: helpdesk contact add ann@acme.com --name Ann --org Acme --tier vip"""
    from helpdesk.services.people.contacts import add_contact

    data = write(lambda s, who: contact_dict(s, add_contact(s, who, email, name, org, tier, phone)))
    render.emit_json(data) if json_out else render.say(f"added contact {data['email']}")


@contacts.command("list")
def contact_list(query: Optional[str] = typer.Argument(None, help="Part of a name, email or organization."),
                 limit: int = LIMIT, json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """List contacts."""
    from helpdesk.services.people.contacts import list_contacts

    def fetch(s, _w):
        rows, total = list_contacts(s, query, limit)
        return [contact_dict(s, c) for c in rows], total

    rows, total = read(fetch)
    cols = ("email", "name", "organization", "tier", "phone")
    if json_out:
        render.emit_json({"total": total, "count": len(rows), "contacts": rows})
    elif csv_out:
        render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    else:
        render.table(cols, ([r[c] or "" for c in cols] for r in rows), caption=f"{len(rows)} of {total} contacts")


@contacts.command("show")
def contact_show(email: str = typer.Argument(...), json_out: bool = JSON) -> None:
    """A contact with their organization, tickets and assets."""
    from helpdesk.services.people.history import contact_history

    data = read(lambda s, who: contact_history(s, who, email))
    if json_out:
        return render.emit_json(data)
    render.lines([("contact", f"{data['name']} <{data['email'] or '-'}>"), ("organization", data["organization"] or "-"),
                  ("tier", data["tier"] or "-"), ("phone", data["phone"] or "-")])
    render.table(("#", "status", "priority", "subject", "updated"),
                 ([f"#{t['id']}", t["status"], t["priority"], t["subject"][:60], render.when(t["updated_at"])] for t in data["tickets"]),
                 caption=f"{len(data['tickets'])} tickets")
    if data["assets"]:
        render.table(("serial", "model", "warranty end"), ([a["serial"], a["model"] or "", a["warranty_end"] or ""] for a in data["assets"]))

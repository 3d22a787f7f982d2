"""`helpdesk agent|team|contact ...`."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, LIMIT, desk, read, write

agents = typer.Typer(help="Agents: the people who work tickets.", no_args_is_help=True)
teams = typer.Typer(help="Teams: queue owners.", no_args_is_help=True)
contacts = typer.Typer(help="Contacts: the people who ask (requesters).", no_args_is_help=True)


def agent_dict(a, team_names: dict, loads: dict | None = None) -> dict:
    return {"id": a.id, "email": a.email, "name": a.name, "role": a.role, "team": team_names.get(a.team_id),
            "skills": a.skills, "capacity": a.capacity, "active": a.active, "away": a.away,
            "load": (loads or {}).get(a.id, 0)}


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
    from helpdesk.services.core.actors import desk_is_empty
    from helpdesk.services.people.agents import add_agent
    from helpdesk.userconfig import remember_agent

    def run(s, who):
        first = desk_is_empty(s)
        a = add_agent(s, who, email, name, role, team, skill, capacity)
        return first, agent_dict(a, {a.team_id: team} if team else {})

    first, data = write(run)
    # The first agent of a desk is you there (replacing a stale entry for this URL);
    # a later admin only when this desk remembers nobody yet.
    you = (first or data["role"] == "admin") and remember_agent(desk().url, data["email"], replace=first)
    if json_out:
        return render.emit_json(data)
    render.say(f"added {data['email']} ({data['role']})")
    if you:
        render.say(f"you now act as {data['email']} on this desk (see `helpdesk whoami`)")


@agents.command("list")
def agent_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """List agents."""
    from helpdesk.services.people.agents import list_agents, list_teams

    from helpdesk.services.people.agents import agent_loads

    def fetch(s, _who):
        names = {t.id: t.name for t in list_teams(s)}
        loads = agent_loads(s)
        return [agent_dict(a, names, loads) for a in list_agents(s)]

    rows = read(fetch)
    cols = ("email", "name", "role", "team", "skills", "load", "capacity", "away", "active")
    if json_out:
        render.emit_json(rows)
    elif csv_out:
        render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    else:
        render.table(("email", "name", "role", "team", "skills", "load", "away", "active"), (
            [r["email"], r["name"], r["role"], r["team"] or "", ", ".join(r["skills"]),
             f"{r['load']}/{r['capacity']}" if r["capacity"] is not None else f"{r['load']}/-",
             "away" if r["away"] else "", "yes" if r["active"] else "no"] for r in rows))


@agents.command("update")
def agent_update(
    who: str = typer.Argument(..., help="The agent's email or name."),
    name: Optional[str] = typer.Option(None, "--name"),
    role: Optional[str] = typer.Option(None, "--role", help="admin, agent or viewer."),
    team: Optional[str] = typer.Option(None, "--team", help="Team name; 'none' for no team."),
    skill: list[str] = typer.Option([], "--skill", help="A skill; replaces the list (repeat for more; --skill '' clears)."),
    capacity: Optional[str] = typer.Option(None, "--capacity", help="Most new+open tickets routing gives them; 'none' = no limit."),
    away: bool = typer.Option(False, "--away", help="Take no new routed tickets (keeps the ones held)."),
    available: bool = typer.Option(False, "--available", help="Back from away: routing serves them at once."),
    json_out: bool = JSON,
) -> None:
    """Change an agent (admins; anyone may mark themselves --away or --available).

    Examples:\n
      helpdesk agent update bob@example.com --capacity 5 --skill printers --skill vip\n
      helpdesk agent update me@example.com --away
    """
    from helpdesk.errors import Invalid
    from helpdesk.services.people.agents import update_agent

    if away and available:
        raise Invalid("choose one of --away and --available", field="away")
    changes = {}
    if name is not None:
        changes["name"] = name
    if role is not None:
        changes["role"] = role
    if team is not None:
        changes["team"] = None if team.strip().lower() in ("", "none") else team
    if skill:
        changes["skills"] = [s for s in skill if s.strip()]
    if capacity is not None:
        changes["capacity"] = _capacity(capacity)
    if away or available:
        changes["away"] = away
    if not changes:
        raise typer.BadParameter("nothing to change (see --help)")
    diff = write(lambda s, who_: update_agent(s, who_, who, **changes))
    _say_diff(diff, json_out, f"agent {who}")


def _capacity(text: str) -> int | None:
    from helpdesk.errors import Invalid

    if text.strip().lower() in ("none", "unlimited", "-"):
        return None
    if not text.strip().isdigit():
        raise Invalid(f"{text!r} is not a number of tickets (or none)", field="capacity")
    return int(text)


def _say_diff(diff: dict, json_out: bool, what: str) -> None:
    if json_out:
        return render.emit_json({"changed": {k: {"old": o, "new": n} for k, (o, n) in diff.items()}})
    if not diff:
        return render.say(f"{what}: nothing changed")
    for k, (o, n) in diff.items():
        render.say(f"{what}: {k} {o if o not in (None, '') else '-'} -> {n if n not in (None, '') else '-'}")


@teams.command("add")
def team_add(name: str = typer.Argument(...), email: Optional[str] = typer.Option(None, "--email"), json_out: bool = JSON) -> None:
    """Add a team (admins only). Example: helpdesk team add billing"""
    from helpdesk.services.people.agents import add_team

    data = write(lambda s, who: (lambda t: {"id": t.id, "name": t.name, "email": t.email})(add_team(s, who, name, email)))
    render.emit_json(data) if json_out else render.say(f"added team {data['name']}")


@teams.command("list")
def team_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """List teams with how they route."""
    from helpdesk.services.people.agents import list_teams

    rows = read(lambda s, _w: [{"id": t.id, "name": t.name, "email": t.email, "routing": t.routing,
                                "skills_timeout": t.skills_timeout} for t in list_teams(s)])
    cols = ("name", "email", "routing", "skills_timeout")
    if json_out:
        render.emit_json(rows)
    elif csv_out:
        render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    else:
        from helpdesk.sla_config import format_duration

        render.table(cols, ([r["name"], r["email"] or "", r["routing"],
                             format_duration(r["skills_timeout"]) if r["skills_timeout"] else ""] for r in rows))


@teams.command("update")
def team_update(
    name: str = typer.Argument(...),
    routing: Optional[str] = typer.Option(None, "--routing", help="manual, round_robin or least_loaded."),
    skills_timeout: Optional[str] = typer.Option(None, "--skills-timeout",
                                                 help="After this wait (30m, 2h, 1d) a ticket's skills are ignored; 'none' keeps them."),
    email: Optional[str] = typer.Option(None, "--email"),
    json_out: bool = JSON,
) -> None:
    """Change how a team's tickets are assigned (admins only).

    Example: helpdesk team update billing --routing round_robin --skills-timeout 30m
    """
    from helpdesk.services.people.agents import update_team
    from helpdesk.sla_config import parse_duration

    changes = {}
    if routing is not None:
        changes["routing"] = routing
    if skills_timeout is not None:
        changes["skills_timeout"] = (None if skills_timeout.strip().lower() in ("none", "")
                                     else parse_duration(skills_timeout, "skills_timeout"))
    if email is not None:
        changes["email"] = email or None
    if not changes:
        raise typer.BadParameter("nothing to change (see --help)")
    diff = write(lambda s, who: update_team(s, who, name, **changes))
    _say_diff(diff, json_out, f"team {name}")


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
    """A contact in 360°: organization and tier, open/solved counts, latest tickets, assets, notes.

    Example: helpdesk contact show ann@acme.com --json
    """
    from helpdesk.commands.customers import contact_360

    contact_360(email, json_out)


@contacts.command("note")
def contact_note(email: str = typer.Argument(...),
                 body: str = typer.Option(None, "--body", "-b", help="The note; '-' reads standard input."),
                 json_out: bool = JSON) -> None:
    """Add an internal note about a customer (agents only; customers never see it).

    Example: helpdesk contact note ann@acme.com --body "Prefers calls after 14:00"
    """
    from helpdesk.commands.customers import note

    note("contact", email, body, json_out)

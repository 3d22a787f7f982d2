"""Working together: the work of `ticket follow|unfollow|transfer` (declared in tickets.py,
so `helpdesk ticket ...` builds from one module) and `helpdesk notifications`."""

from __future__ import annotations

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, LIMIT, read, ticket_number, write


def follow_command(ticket: str, agent: str | None, json_out: bool, on: bool) -> None:
    from helpdesk.services.collaboration import followers
    from helpdesk.services.people.agents import get_agent

    number = ticket_number(ticket)

    def run(s, who):
        changed = (followers.follow if on else followers.unfollow)(s, who, number, agent)
        email = get_agent(s, agent).email if agent else who.email
        return changed, email, [a.email for a in followers.followers_of(s, number)]

    changed, email, now = write(run)
    if json_out:
        return render.emit_json({"ticket": number, "agent": email, "following": on, "changed": changed,
                                 "followers": now})
    state = ("now follows" if changed else "already follows") if on else ("stopped following" if changed
                                                                          else "was not following")
    render.say(f"#{number}: {email} {state} it; followers: {', '.join(now) or 'none'}")


def transfer_command(ticket: str, team: str | None, assignee: str | None, reason: str | None,
                     if_version: int | None, json_out: bool) -> None:
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.collaboration.transfer import transfer_ticket

    if reason is None:
        raise typer.BadParameter("a transfer needs a reason: --reason TEXT", param_hint="--reason")
    if not (team or assignee):
        raise typer.BadParameter("say where to: --team T or --assignee A", param_hint="--team / --assignee")
    number = ticket_number(ticket)
    diffs, _, shown = write_then_show(lambda s, who: ({number: transfer_ticket(
        s, who, number, team=team, assignee=assignee, reason=reason, if_version=if_version)}, None), json_out)
    if json_out:
        return render.emit_json(shown[0])
    moves = "; ".join(f"{k} {o or '-'} -> {n or '-'}" for k, (o, n) in diffs[number].items())
    render.say(f"#{number} transferred: {moves} (reason: {' '.join(reason.split())})")


def notifications(unread: bool = typer.Option(False, "--unread", help="Only the unread ones."),
                  read_all: bool = typer.Option(False, "--read-all", help="Then mark every unread one read."),
                  limit: int = LIMIT,
                  json_out: bool = JSON) -> None:
    """My notifications, newest first: @mentions, followed tickets, transfers, approvals, rules, SLA.

    Examples:\n
      helpdesk notifications --unread\n
      helpdesk notifications --read-all      (list them, then mark them all read)
    """
    from helpdesk.errors import Invalid
    from helpdesk.services.core import notifications as notes

    def fetch(s, who):
        if who.agent_id is None:
            raise Invalid("notifications belong to an agent (use --as EMAIL or HELPDESK_AGENT)", field="as")
        found = notes.unread(s, who.agent_id)[::-1][:limit] if unread else notes.recent(s, who.agent_id, limit)
        count = notes.unread_count(s, who.agent_id)
        marked = notes.mark_all_read(s, who.agent_id) if read_all else 0
        return [notes.as_dict(n) for n in found], count, marked

    rows, count, marked = write(fetch) if read_all else read(fetch)
    if json_out:
        return render.emit_json({"notifications": rows, "count": len(rows), "unread": count - marked,
                                 "marked_read": marked})
    render.table(("", "id", "ticket", "kind", "age", "text"),
                 (["●" if n["read_at"] is None else "", n["id"], f"#{n['ticket']}" if n["ticket"] else "",
                   n["kind"], render.age(n["created_at"]), n["text"]] for n in rows),
                 caption=f"{len(rows)} notifications, {count} unread" + (f"; marked {marked} read" if read_all else ""))

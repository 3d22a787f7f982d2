"""`helpdesk ticket ...`: the scripted ticket lifecycle."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import (
    CSV,
    JSON,
    LIMIT,
    body_text,
    read,
    ticket_number,
    write,
)

app = typer.Typer(help="Create, find, change and answer tickets.", no_args_is_help=True)

LIST_COLUMNS = ("id", "status", "priority", "subject", "requester", "assignee", "team", "updated_at")


@app.command("create")
def create(
    subject: Optional[str] = typer.Option(None, "--subject", "-s", help="One-line summary."),
    body: Optional[str] = typer.Option(None, "--body", "-b", help="First message; '-' reads standard input."),
    requester: Optional[str] = typer.Option(None, "--requester", "-r", help="Requester email (contact created on first sight)."),
    priority: str = typer.Option("normal", "--priority", "-p", help="low, normal, high or urgent."),
    type_: Optional[str] = typer.Option(None, "--type", help="question, incident, problem or task."),
    tag: list[str] = typer.Option([], "--tag", "-t", help="A tag (repeat for more)."),
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="Agent email or name."),
    team: Optional[str] = typer.Option(None, "--team", help="Team name."),
    channel: str = typer.Option("api", "--channel", help="api, email, phone, chat, web, import, walk_in, other."),
    field: list[str] = typer.Option([], "--field", "-f", help="Custom field KEY=VALUE (repeat for more)."),
    skill: list[str] = typer.Option([], "--skill", help="A skill its agent must hold (routing; repeat for more)."),
    asset: Optional[str] = typer.Option(None, "--asset", help="Serial of the asset it is about (its repair history)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Read tickets as JSON Lines from this file ('-' = stdin)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the new ticket number(s)."),
    json_out: bool = JSON,
) -> None:
    """Create a ticket, or many from JSON Lines.

    Examples:\n
      helpdesk ticket create -s "Printer jams" -r alice@example.com -p high -t printer\n
      echo "It smokes" | helpdesk ticket create -s "Printer" --body - --quiet\n
      helpdesk ticket create -s "Screen flickers" -r ann@acme.com --asset SN-1001\n
      helpdesk ticket create --from tickets.jsonl   (one JSON object per line; all or nothing)
    """
    from helpdesk.services.tickets.lifecycle import (
        NewTicket,
        create_ticket,
        parse_field_assignment,
    )

    if from_ is not None:
        return _create_many(from_, quiet, json_out)
    if not subject:
        raise typer.BadParameter("--subject is required (or --from FILE)", param_hint="--subject")
    new = NewTicket(subject=subject, body=body_text(body, required=False), requester=requester, priority=priority,
                    type=type_, tags=tag, assignee=assignee, team=team, channel=channel,
                    fields=dict(parse_field_assignment(f) for f in field), skills=skill, asset=asset)
    number = write(lambda s, who: create_ticket(s, who, new).id)
    if quiet:
        print(number)
    elif json_out:
        _show_json(number, detail=False)
    else:
        render.say(f"created #{number}")
        print(number)


def _create_many(source: str, quiet: bool, json_out: bool) -> None:
    from helpdesk.services.tickets.from_lines import create_from_lines, read_lines

    lines = read_lines(source)
    existing: list[int] = []  # lines an earlier run of the same input created (same external_id and subject)

    def create(s, who):
        existing.clear()  # a retried transaction starts again
        return create_from_lines(s, who, lines, existing)

    from helpdesk.services.core import collector

    with collector.paused():  # rows and rule firings by the thousand: the collector's passes were 15% of it
        numbers = write(create)
    if json_out:
        render.emit_json({"created": numbers, "count": len(numbers), **({"existing": existing} if existing else {})})
        return
    if not quiet:
        render.say(f"created {len(numbers)} tickets" + (
            f"; {len(existing)} lines were already there (same external_id and subject), left alone" if existing else ""))
    print("\n".join(map(str, numbers)))


@app.command("list")
def list_(
    query: list[str] = typer.Argument(None, help="Query, e.g. status:open,pending priority:>=high assignee:me \"free text\"."),
    limit: int = LIMIT,
    sort: str = typer.Option("updated", "--sort", help="updated, created, id, priority, due or status."),
    asc: bool = typer.Option(False, "--asc", help="Oldest / lowest first."),
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """List tickets matching a query (newest change first).

    Examples:\n
      helpdesk ticket list status:open assignee:me\n
      helpdesk ticket list 'priority:>=high -tag:spam created:>2026-01-01' --json\n
      helpdesk ticket list 退款 --csv > refunds.csv
    """
    from helpdesk.services.tickets.listing import find_tickets, ticket_dicts

    text = " ".join(query or [])

    def fetch(s, who):
        page = find_tickets(s, who, text, limit=limit, sort=sort, descending=not asc)
        return ticket_dicts(s, page.tickets), page.total, page.total_exact

    rows, total, exact = read(fetch)
    if json_out:
        render.emit_json({"query": text, "total": total, "total_exact": exact, "count": len(rows), "tickets": rows})
    elif csv_out:
        render.emit_csv(LIST_COLUMNS, ([_cell(r, c) for c in LIST_COLUMNS] for r in rows))
    else:
        caption = f"{len(rows)} of {'' if exact else 'at least '}{total} tickets" + (" (use --limit for more)" if total > len(rows) else "")
        render.table(("#", "status", "priority", "subject", "requester", "assignee", "updated"),
                     ([f"#{r['id']}", r["status"], r["priority"], r["subject"], _cell(r, "requester"),
                       r["assignee"] or "", render.age(r["updated_at"])] for r in rows), caption=caption)


def _cell(row: dict, column: str):
    value = row[column]
    if column == "requester":
        return (value or {}).get("email") or (value or {}).get("name") or ""
    return value


@app.command("show")
def show(ticket: str = typer.Argument(..., help="Ticket number."), json_out: bool = JSON) -> None:
    """Show a ticket with its conversation and history."""
    number = ticket_number(ticket)
    if json_out:
        return _show_json(number)
    from helpdesk.commands.ticket_view import print_ticket

    print_ticket(_detail(number))


def _detail(number: int, detail: bool = True) -> dict:
    from helpdesk.services.tickets.lifecycle import get_ticket
    from helpdesk.services.tickets.listing import ticket_detail, ticket_dicts

    def fetch(s, _who):
        t = get_ticket(s, number)
        return ticket_detail(s, t) if detail else ticket_dicts(s, [t])[0]

    return read(fetch)


def _show_json(number: int, detail: bool = True) -> None:
    render.emit_json(_detail(number, detail))


@app.command("update")
def update(
    tickets: list[str] = typer.Argument(..., help="Ticket number(s)."),
    status: Optional[str] = typer.Option(None, "--status", help="new, open, pending, on_hold, solved (closed: use close)."),
    priority: Optional[str] = typer.Option(None, "--priority", "-p"),
    type_: Optional[str] = typer.Option(None, "--type", help="question, incident, problem, task, or none."),
    subject: Optional[str] = typer.Option(None, "--subject"),
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="Agent email or name; 'none' unassigns."),
    team: Optional[str] = typer.Option(None, "--team", help="Team name; 'none' clears."),
    add_tag: list[str] = typer.Option([], "--add-tag"),
    remove_tag: list[str] = typer.Option([], "--remove-tag"),
    field: list[str] = typer.Option([], "--field", "-f", help="KEY=VALUE; KEY= removes the field."),
    skill: list[str] = typer.Option([], "--skill", help="Require a skill of its agent (routing waits for one)."),
    remove_skill: list[str] = typer.Option([], "--remove-skill"),
    asset: Optional[str] = typer.Option(None, "--asset", help="Serial of the asset it is about; 'none' unlinks."),
    if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse (exit 4) if the ticket changed since this version."),
    json_out: bool = JSON,
) -> None:
    """Change one or more tickets (all in one transaction).

    Examples:\n
      helpdesk ticket update 12 --status pending --add-tag waiting-parts\n
      helpdesk ticket update 12 13 14 --assignee bob@example.com --priority high\n
      helpdesk ticket update 12 --if-version 7 --status solved   (compare-and-set)
    """
    from helpdesk.services.tickets.lifecycle import (
        UNSET,
        TicketChanges,
        parse_field_assignment,
        update_ticket,
    )
    from helpdesk.commands.written import one_or_many, write_then_show

    numbers = [ticket_number(t) for t in tickets]
    if if_version is not None and len(numbers) > 1:
        raise typer.BadParameter("--if-version takes a single ticket", param_hint="--if-version")
    changes = TicketChanges(
        subject=subject if subject is not None else UNSET,
        status=status if status is not None else UNSET,
        priority=priority if priority is not None else UNSET,
        type=_none_or(type_), assignee=_none_or(assignee), team=_none_or(team),
        add_tags=add_tag, remove_tags=remove_tag, fields=dict(parse_field_assignment(f) for f in field),
        add_skills=skill, remove_skills=remove_skill, asset=_none_or(asset),
    )
    if changes.is_empty():
        raise typer.BadParameter("nothing to change; see helpdesk ticket update --help")
    diffs, _, shown = write_then_show(
        lambda s, who: ({n: update_ticket(s, who, n, changes, if_version=if_version) for n in numbers}, None), json_out)
    if json_out:
        return render.emit_json(one_or_many(shown, len(numbers) > 1))
    _report_changes(diffs)


def _none_or(value: str | None):
    from helpdesk.services.tickets.lifecycle import UNSET

    if value is None:
        return UNSET
    return None if value.strip().lower() in ("none", "") else value


def _report_changes(diffs: dict[int, dict]) -> None:
    for n, d in diffs.items():
        render.say(f"#{n}: " + ("; ".join(f"{k} {_short(o)} -> {_short(v)}" for k, (o, v) in d.items()) or "no change"))


def _short(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return "-" if value in (None, "") else str(value)


def _message(kind: str, ticket: str, body: str | None, if_version: int | None, json_out: bool,
             article: int | None = None) -> None:
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.tickets.conversation import post_agent_message

    number, text = ticket_number(ticket), body_text(body, required=article is None)

    def post(s, who):
        from helpdesk.services.collaboration.mentions import warnings

        if article is not None:  # the knowledge base's text after the agent's own words; its use counted
            from helpdesk.services.customers.suggest import reply_with_article

            message, diff = reply_with_article(s, who, number, article, text, if_version=if_version)
        else:
            message, diff = post_agent_message(s, who, number, text, kind=kind, if_version=if_version)
        return {number: diff}, (message.id, warnings(s))

    _, (message_id, unmatched), shown = write_then_show(post, json_out)
    for line in unmatched:  # an @name that matched nobody: the note is saved, say so
        from helpdesk.text import literal

        render.say(f"warning: {literal(line)}", style="yellow")
    if json_out:  # the message beside `changed`, which holds what it did to the ticket (status, first response)
        render.emit_json({**shown[0], "message": {"id": message_id, "kind": kind}})
    else:
        render.say(f"#{number}: {'reply sent' if kind == 'reply' else 'internal note added'}")


@app.command("reply")
def reply(ticket: str = typer.Argument(...), body: Optional[str] = typer.Option(None, "--body", "-b", help="Text, or '-' for stdin."),
          if_version: Optional[int] = typer.Option(None, "--if-version"),
          article: Optional[int] = typer.Option(None, "--article", help="Insert this knowledge-base article's text (after --body, if given)."),
          json_out: bool = JSON) -> None:
    """Add a public reply (the customer sees it).

    Examples:\n
      helpdesk ticket reply 42 --body "Fixed in 2.3, please update."\n
      helpdesk ticket reply 42 --article 7   (the article's text; counts a use; published or internal only)\n
      helpdesk ticket reply 42 --body "Hi Ann," --article 7
    """
    _message("reply", ticket, body, if_version, json_out, article)


@app.command("note")
def note(ticket: str = typer.Argument(...), body: Optional[str] = typer.Option(None, "--body", "-b", help="Text, or '-' for stdin."),
         if_version: Optional[int] = typer.Option(None, "--if-version"), json_out: bool = JSON) -> None:
    """Add an internal note (agents only; never mailed)."""
    _message("note", ticket, body, if_version, json_out)


@app.command("close")
def close(tickets: list[str] = typer.Argument(..., help="Ticket number(s)."), json_out: bool = JSON) -> None:
    """Close tickets (closed tickets are read-only until reopened)."""
    from helpdesk.commands.written import one_or_many, write_then_show
    from helpdesk.services.tickets.lifecycle import close_ticket

    numbers = [ticket_number(t) for t in tickets]
    done, _, shown = write_then_show(lambda s, who: ({n: close_ticket(s, who, n) for n in numbers}, None), json_out)
    if json_out:  # a ticket that already was closed has an empty `changed`
        return render.emit_json(one_or_many(shown, len(numbers) > 1))
    for n, changed in done.items():
        render.say(f"#{n}: {'closed' if changed else 'was already closed'}")


@app.command("reopen")
def reopen(ticket: str = typer.Argument(...), json_out: bool = JSON) -> None:
    """Reopen a solved or closed ticket."""
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.tickets.lifecycle import reopen_ticket

    number = ticket_number(ticket)
    _, _, shown = write_then_show(lambda s, who: ({number: reopen_ticket(s, who, number)}, None), json_out)
    render.emit_json(shown[0]) if json_out else render.say(f"#{number}: reopened")


@app.command("merge")
def merge(ticket: str = typer.Argument(..., help="The ticket to merge away."),
          into: str = typer.Option(..., "--into", help="The ticket that keeps the conversation."), json_out: bool = JSON) -> None:
    """Merge a ticket into another: its messages move, it is closed with a link.

    With --json: the target ticket; `changed` holds its `merged` and the source's
    changes as `source.status` and `source.merged_into`; `source` is {id, version}."""
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.tickets.lifecycle import merge_tickets

    source, target = ticket_number(ticket), ticket_number(into)
    _, _, shown = write_then_show(lambda s, who: (merge_tickets(s, who, source, target), None), json_out)
    if not json_out:
        return render.say(f"#{source} merged into #{target}")
    was, now = (next(t for t in shown if t["id"] == n) for n in (source, target))
    now["changed"].update({f"source.{k}": v for k, v in was["changed"].items()})
    render.emit_json({**now, "source": {"id": source, "version": was["version"]}})


@app.command("link")
def link(ticket: str = typer.Argument(...), other: str = typer.Argument(...), json_out: bool = JSON) -> None:
    """Link two related tickets (both show the link)."""
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.tickets.lifecycle import link_tickets

    a, b = ticket_number(ticket), ticket_number(other)
    # Already linked: the service reports nothing, so both tickets print with an empty `changed`.
    made, _, shown = write_then_show(lambda s, who: ((link_tickets(s, who, a, b) or {a: {}, b: {}}), None), json_out)
    if json_out:
        return render.emit_json({"tickets": shown})
    render.say(f"#{a} <-> #{b}" + ("" if any(made.values()) else " (already linked)"))


@app.command("bulk")
def bulk(
    query: list[str] = typer.Argument(..., help="Which tickets (query language)."),
    set_: list[str] = typer.Option(..., "--set", help="FIELD=VALUE: status, priority, type, assignee, team, add-tag, remove-tag, field.KEY."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Apply; without it only shows what would change."),
    json_out: bool = JSON,
) -> None:
    """Change every ticket matching a query, in one transaction.

    Examples:\n
      helpdesk ticket bulk 'tag:spam status:new' --set status=closed          (preview)\n
      helpdesk ticket bulk 'assignee:bob status:open' --set assignee=alice --yes
    """
    from helpdesk.commands.common import desk
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.tickets.bulk import (
        matching_ids,
        parse_assignments,
        update_many,
    )

    text, changes = " ".join(query), parse_assignments(set_)

    def run(s, who):
        result = update_many(s, who, matching_ids(s, who, text), changes)
        return result.changed, result

    if yes:
        _, result, shown = write_then_show(run, json_out)
    else:
        from helpdesk.commands.common import actor

        result, shown = desk().rehearse(lambda s: run(s, actor(s)))[1], None
    if json_out:
        return render.emit_json(_bulk_json(result, shown))
    for n, d in result.changed.items():
        render.say(f"#{n}: " + "; ".join(f"{k} {_short(o)} -> {_short(v)}" for k, (o, v) in d.items()))
    for n, why in result.skipped.items():
        render.say(f"#{n}: skipped ({why})")
    verb = "changed" if yes else "would change"
    render.say(f"{len(result.changed)} tickets {verb}, {len(result.unchanged)} already so, {len(result.skipped)} skipped"
               + ("" if yes else " — add --yes to apply"))


def _bulk_json(result, shown: list[dict] | None) -> dict:
    """Applied: the changed tickets as Ticket JSON with `changed`. A preview (shown is None)
    has `would_change` instead, and no tickets or versions, so nothing reads as done."""
    from helpdesk.commands.written import changed_json

    out: dict = {"applied": shown is not None,
                 "matched": len(result.changed) + len(result.unchanged) + len(result.skipped)}
    if shown is None:
        out["would_change"] = {str(n): changed_json(d) for n, d in result.changed.items()}
    else:
        out["tickets"] = shown
    return {**out, "unchanged": result.unchanged, "skipped": {str(k): v for k, v in result.skipped.items()}}


@app.command("macro")
def macro(ticket: str = typer.Argument(..., help="Ticket number."),
          name: str = typer.Argument(..., help="Macro name (helpdesk macro list)."),
          preview: bool = typer.Option(False, "--preview", help="Show the text and the changes; write nothing."),
          if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse (exit 4) if the ticket changed since."),
          json_out: bool = JSON) -> None:
    """Apply a macro: its reply or note, filled in for this ticket, and its changes, at once.

    Example: helpdesk ticket macro 42 still-waiting --preview
    """
    from helpdesk.commands.workflow import apply_macro_command

    apply_macro_command(ticket, name, preview, if_version, json_out)


@app.command("stage")
def stage(ticket: str = typer.Argument(..., help="Ticket number."),
          target: str = typer.Argument(..., help="The stage to move to (helpdesk ticket stages N lists them)."),
          if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse (exit 4) if the ticket changed since."),
          json_out: bool = JSON) -> None:
    """Move a ticket to another stage of its type (the next or the previous one, unless the type says more).

    Example: helpdesk ticket stage 42 仓储拦截
    """
    from helpdesk.commands.types import stage as move

    move(ticket, target, if_version, json_out)


@app.command("stages")
def stages(ticket: str = typer.Argument(..., help="Ticket number."), json_out: bool = JSON) -> None:
    """Where a ticket is in its type's stages, who must approve, and where it may move."""
    from helpdesk.commands.types import stages as show_stages

    show_stages(ticket, json_out)


@app.command("approve")
def approve(ticket: str = typer.Argument(..., help="Ticket number."),
            no: bool = typer.Option(False, "--no", help="Decline: the ticket goes back one stage."),
            comment: Optional[str] = typer.Option(None, "--comment", help="Why (required with --no); shown in the timeline."),
            if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse (exit 4) if the ticket changed since."),
            json_out: bool = JSON) -> None:
    """Approve (or --no, decline) the ticket at its current stage, as one of its approvers.

    Example: helpdesk ticket approve 42 --comment "金额核对无误"
    """
    from helpdesk.commands.types import approve as vote

    vote(ticket, no, comment, if_version, json_out)

AGENT = typer.Option(None, "--agent", help="Another agent (email or name); default: you.")


@app.command("follow")
def follow(ticket: str = typer.Argument(..., help="Ticket number."), agent: Optional[str] = AGENT,
           json_out: bool = JSON) -> None:
    """Follow a ticket: be notified of every change others make to it (an @mention in a note does it too).

    Examples:\n
      helpdesk ticket follow 42\n
      helpdesk ticket follow 42 --agent bob@example.com
    """
    from helpdesk.commands.collaboration import follow_command

    follow_command(ticket, agent, json_out, True)


@app.command("unfollow")
def unfollow(ticket: str = typer.Argument(..., help="Ticket number."), agent: Optional[str] = AGENT,
             json_out: bool = JSON) -> None:
    """Stop following a ticket."""
    from helpdesk.commands.collaboration import follow_command

    follow_command(ticket, agent, json_out, False)


@app.command("transfer")
def transfer(ticket: str = typer.Argument(..., help="Ticket number."),
             team: Optional[str] = typer.Option(None, "--team", help="The team that takes it over."),
             assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="The agent (email or name) who takes it over."),
             reason: Optional[str] = typer.Option(None, "--reason", help="Why (required): in the timeline and told to the new owner."),
             if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse (exit 4) if the ticket changed since."),
             json_out: bool = JSON) -> None:
    """Hand a ticket over to a team or an agent, with a reason (the new owner is told why).

    To a team alone, an assignee outside that team lets go of the ticket.

    Examples:\n
      helpdesk ticket transfer 42 --team billing --reason "refund, not a bug"\n
      helpdesk ticket transfer 42 --assignee 李伟 --reason "他负责华东区的仓库"
    """
    from helpdesk.commands.collaboration import transfer_command

    transfer_command(ticket, team, assignee, reason, if_version, json_out)


@app.command("side")
def side(ticket: str = typer.Argument(..., help="Ticket number."),
         to: list[str] = typer.Option([], "--to", help="A third party's address (repeat for more); never the requester."),
         subject: Optional[str] = typer.Option(None, "--subject", help="Subject of a new side conversation (default: the ticket's)."),
         body: Optional[str] = typer.Option(None, "--body", "-b", help="Text, or '-' for stdin."),
         side_id: Optional[int] = typer.Option(None, "--side", help="Write into this side conversation (see ticket sides)."),
         close: bool = typer.Option(False, "--close", help="Close the side conversation given by --side (a reply opens it again)."),
         json_out: bool = JSON) -> None:
    """Mail a third party about a ticket, apart from the customer (a side conversation).

    Replies thread back into it; the requester never gets it, and the ticket's status and SLA do not change.
    With --json it prints that side conversation (id, subject, to[], state, messages[]).

    Examples:\n
      helpdesk ticket side 42 --to warehouse@example.com --body "请拦截订单 SO-1234 的包裹"\n
      helpdesk ticket side 42 --to a@supplier.example --to b@supplier.example --subject "Parts for #42" --body -\n
      helpdesk ticket side 42 --side 3 --body "Thanks, got it"\n
      helpdesk ticket side 42 --side 3 --close
    """
    from helpdesk.commands.sides import side_command

    side_command(ticket, to, subject, body, side_id, close, json_out)


@app.command("sides")
def sides(ticket: str = typer.Argument(..., help="Ticket number."), json_out: bool = JSON) -> None:
    """A ticket's side conversations with third parties, with their messages.

    Example: helpdesk ticket sides 42 --json
    """
    from helpdesk.commands.sides import sides_command

    sides_command(ticket, json_out)


@app.command("rate")
def rate(ticket: str = typer.Argument(..., help="Ticket number."),
         rating: str = typer.Argument(..., help="good or bad."),
         comment: Optional[str] = typer.Option(None, "--comment", help="What the customer said."),
         nps: Optional[int] = typer.Option(None, "--nps", help="How likely they are to recommend us, 0-10."),
         json_out: bool = JSON) -> None:
    """Record the customer's satisfaction rating taken by phone (marked as taken by you).

    One rating per ticket: the latest wins until the ticket closes or 28 days after it was solved.
    Example: helpdesk ticket rate 42 good --comment "很满意，处理很快"
    """
    from helpdesk.commands.portal import rate_command

    rate_command(ticket, rating, comment, nps, json_out)

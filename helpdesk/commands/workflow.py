"""`helpdesk rules ...`, `helpdesk macro ...`, `helpdesk route`: work that moves itself."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, desk, read, ticket_number, write

rules = typer.Typer(help="Triggers (on every change) and automations (every minute).", no_args_is_help=True)
macros = typer.Typer(help="Canned replies and notes with field changes.", no_args_is_help=True)


def read_file(path: str) -> tuple[str, str]:
    from helpdesk.errors import Invalid

    file = Path(path)
    try:
        return file.read_text(encoding="utf-8"), file.name
    except FileNotFoundError:
        raise Invalid(f"{path}: no such file", field="file") from None
    except UnicodeDecodeError:
        raise Invalid(f"{path}: not UTF-8 text", field="file") from None


@rules.command("load")
def rules_load(file: str = typer.Argument(..., help="Rules TOML ([[triggers]], [[automations]])."),
               json_out: bool = JSON) -> None:
    """Replace the desk's rules with this file (admins; refused whole, naming the line).

    Example: helpdesk rules load data/rules.example.toml
    """
    from helpdesk.services.workflow.stored import load_rules_file

    text, name = read_file(file)
    data = write(lambda s, who: load_rules_file(s, who, text, source=name))
    if json_out:
        return render.emit_json(data)
    render.say(f"loaded {data['triggers']} triggers and {data['automations']} automations from {name}")


@rules.command("list")
def rules_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """The triggers in the order they run, then the automations."""
    from helpdesk.services.workflow.stored import rules_as_rows, stored_rules

    rows = read(lambda s, _w: rules_as_rows(stored_rules(s)))
    cols = ("kind", "position", "name", "on", "when", "actions")
    if json_out:
        return render.emit_json(rows)
    if csv_out:
        return render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    if not rows:
        return render.say("no rules loaded (helpdesk rules load FILE; an example: data/rules.example.toml)")
    render.table(cols, ([r[c] for c in cols] for r in rows))


@rules.command("test")
def rules_test(name: str = typer.Argument(..., help="The rule's name."),
               ticket: str = typer.Option(..., "--ticket", help="Ticket number."), json_out: bool = JSON) -> None:
    """Whether a rule matches a ticket now and what it would change. Writes nothing.

    Example: helpdesk rules test "VIP first" --ticket 42
    """
    from helpdesk.commands.common import actor
    from helpdesk.services.workflow.triggers import rehearse_rule

    number = ticket_number(ticket)

    def rehearse(s):
        return rehearse_rule(s, actor(s), name, number)

    data = desk().rehearse(rehearse)
    if json_out:
        return render.emit_json(data)
    if not data["matches"]:
        return render.show(f"{data['rule']}: does not match #{number} now (when: {data['when'] or 'always'})")
    if data["warning"]:
        return render.show(f"{data['rule']}: matches #{number} but would fail: {data['warning']}")
    render.show(f"{data['rule']}: matches #{number}; would do: {data['actions']}")
    for field, change in data["changed"].items():
        render.show(f"  {field}: {_shown(change['old'])} -> {_shown(change['new'])}")
    if not data["changed"]:
        render.show("  (nothing would change)")


@rules.command("run")
def rules_run(dry_run: bool = typer.Option(False, "--dry-run", help="List the tickets each automation would act on."),
              json_out: bool = JSON) -> None:
    """Run the time-based automations now (the worker runs them every minute)."""
    from helpdesk.commands.common import actor
    from helpdesk.models import utcnow
    from helpdesk.services.workflow.automations import RunResult, run_now

    if dry_run:
        result = desk().rehearse(lambda s: run_now(s, actor(s), now=utcnow(), dry_run=True))
    else:
        result, ahead = RunResult(), {}  # ahead: matches read once for the chunks after (automations.Ahead)
        while True:
            part = write(lambda s, who: run_now(s, who, now=utcnow(), ahead=ahead))
            result.add(part)
            if not part.more:
                break
    if json_out:
        return render.emit_json({**result.to_dict(), "dry_run": dry_run})
    verb = "would act on" if dry_run else "acted on"
    for name, count in result.matched.items():
        ids = result.tickets.get(name, [])
        shown = ", ".join(f"#{i}" for i in ids[:20]) + (" ..." if len(ids) > 20 else "")
        render.show(f"{name}: {verb} {count} ticket{'' if count == 1 else 's'}" + (f" ({shown})" if ids else ""))
    if not result.matched:
        render.show("no automations loaded")
    if result.warnings:
        render.show(f"{result.warnings} actions failed; see the tickets' history (rule_warning)")


@macros.command("load")
def macro_load(file: str = typer.Argument(..., help="Macros TOML ([[macros]])."), json_out: bool = JSON) -> None:
    """Replace the desk's macros with this file (admins; refused whole, naming the line)."""
    from helpdesk.services.workflow.stored import load_macros_file

    text, name = read_file(file)
    data = write(lambda s, who: load_macros_file(s, who, text, source=name))
    if json_out:
        return render.emit_json(data)
    render.say(f"loaded {data['macros']} macros from {name}")


@macros.command("list")
def macro_list(json_out: bool = JSON, csv_out: bool = CSV) -> None:
    """The desk's macros: name, kind, what they change."""
    from helpdesk.services.workflow.stored import stored_macros

    rows = read(lambda s, _w: [{"name": m.name, "kind": m.kind or "changes", "text": m.text,
                                "changes": m.changes.describe()} for m in stored_macros(s).values()])
    cols = ("name", "kind", "changes", "text")
    if json_out:
        return render.emit_json(rows)
    if csv_out:
        return render.emit_csv(cols, ([r[c] for c in cols] for r in rows))
    if not rows:
        return render.say("no macros loaded (helpdesk macro load FILE; an example: data/macros.example.toml)")
    render.table(cols, ([r["name"], r["kind"], r["changes"], r["text"][:60]] for r in rows))


def route(dry_run: bool = typer.Option(False, "--dry-run", help="Show who would get what; assign nothing."),
          json_out: bool = JSON) -> None:
    """Assign waiting tickets of automatically routed teams now (it also happens on every change)."""
    from helpdesk.commands.common import actor
    from helpdesk.services.workflow.routing import route_now

    def run(s, who):
        return [a.to_dict() for a in route_now(s, who, dry_run=dry_run)]

    if dry_run:
        done = desk().rehearse(lambda s: run(s, actor(s)))
    else:
        done = write(run)
    if json_out:
        return render.emit_json({"assignments": done, "dry_run": dry_run})
    verb = "would assign" if dry_run else "assigned"
    for a in done:
        render.show(f"#{a['ticket']} {verb} to {a['agent']} ({a['team']}, {a['strategy']})")
    if not done:
        render.show("nothing waits for an agent with room (helpdesk agent list shows load and capacity)")


def apply_macro_command(ticket: str, name: str, preview: bool, if_version: Optional[int], json_out: bool) -> None:
    """`helpdesk ticket macro N NAME`: shared with commands/tickets.py."""
    from helpdesk.commands.common import actor
    from helpdesk.services.workflow.macros import apply_macro, preview_macro

    number = ticket_number(ticket)
    if preview:
        data = desk().rehearse(lambda s: preview_macro(s, actor(s), number, name))
        shown = None
    else:
        from helpdesk.commands.written import write_then_show

        def run(s, who):
            done = apply_macro(s, who, number, name, if_version=if_version)
            return {number: done["changed"]}, done

        _diffs, data, shown = write_then_show(run, json_out)
    from helpdesk.commands.written import changed_json

    changed = changed_json(data["changed"])
    if json_out:
        head = {"macro": data["macro"], "kind": data["kind"], "preview": preview}
        if preview:
            return render.emit_json({**head, "ticket": number, "text": data.get("text", ""), "changed": changed})
        return render.emit_json({**shown[0], **head, "message": data["message"]})
    if preview:
        render.show(f"macro {data['macro']} on #{number} (preview, nothing written):")
        if data["kind"]:
            render.show(f"  {data['kind']}:")
            from helpdesk.text import literal

            for line in (data.get("text") or "").splitlines():
                render.show("    " + literal(line))
    else:
        render.say(f"applied macro {data['macro']} to #{number}")
    for field, change in changed.items():
        if field in ("reply", "note"):
            continue
        render.show(f"  {field}: {_shown(change['old'])} -> {_shown(change['new'])}")


def _shown(value) -> str:
    from helpdesk.text import literal

    return "-" if value in (None, "", []) else literal(", ".join(map(str, value)) if isinstance(value, list) else value)


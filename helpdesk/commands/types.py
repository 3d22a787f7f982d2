"""`helpdesk type load|list|show`, and the ticket commands `stage`, `stages`, `approve`."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, read, ticket_number

app = typer.Typer(help="Request types: typed fields, stages, approvals.", no_args_is_help=True)


@app.command("load")
def type_load(file: str = typer.Argument(..., help="Types TOML ([[types]] with [[types.fields]], [[types.stages]])."),
              json_out: bool = JSON) -> None:
    """Replace the desk's request types with this file (admins; refused whole, naming the line).

    Example: helpdesk type load data/types.example.toml
    """
    from helpdesk.commands.common import write
    from helpdesk.commands.workflow import read_file
    from helpdesk.services.types.catalog import load_types_file

    text, name = read_file(file)
    data = write(lambda s, who: load_types_file(s, who, text, source=name))
    if json_out:
        return render.emit_json(data)
    render.say(f"loaded {data['types']} types ({data['fields']} fields, {data['stages']} stages) from {name}")


@app.command("list")
def type_list(json_out: bool = JSON) -> None:
    """The types tickets may have: the four built-in ones, then the loaded ones."""
    from helpdesk.services.types.catalog import types_as_rows

    rows = read(lambda s, _w: types_as_rows(s))
    if json_out:
        return render.emit_json(rows)
    render.table(("type", "fields", "stages", "portal"), (
        [r["name"] + (" (built in)" if r["builtin"] else ""), len(r["fields"]) or "",
         " → ".join(s["name"] for s in r["stages"]), "yes" if r["portal"] else ""] for r in rows))


@app.command("show")
def type_show(name: str = typer.Argument(..., help="The type's name."), json_out: bool = JSON) -> None:
    """A type's fields (kind, required, options) and its stages (team, approval, moves)."""
    from helpdesk.services.types.catalog import get_type

    kind = read(lambda s, _w: get_type(s, name))
    if json_out:
        return render.emit_json(kind.to_dict())
    render.show(kind.name + (f" — {kind.description}" if kind.description else ""))
    if kind.portal:
        render.show("  offered on the portal's request form (fields marked agents only are not asked there)")
    for f in kind.fields:
        needs = ["required"] if f.required else []
        needs += [f"required to be {s}" for s in f.required_for]
        needs += ["agents only"] if kind.portal and not f.portal else []
        limits = [f"≥ {f.min:g}"] if f.min is not None else []
        limits += [f"≤ {f.max:g}"] if f.max is not None else []
        extra = ", ".join([*limits, *([" / ".join(f.options)] if f.options else []), *needs])
        label = f" ({f.label})" if f.label and f.label != f.key else ""
        render.show(f"  field {f.key}{label}: {f.kind}" + (f"; {extra}" if extra else ""))
    for n, s in enumerate(kind.stages, 1):
        parts = [f"team {s.team}"] if s.team else []
        if s.approval:
            parts.append(f"approval {s.approval.needed} of {', '.join(s.approval.approvers)}")
        if s.moves is not None:
            parts.append(f"moves to {', '.join(s.moves) or 'nowhere'}")
        render.show(f"  stage {n}. {s.name}" + (f" ({'; '.join(parts)})" if parts else ""))
    if not kind.fields and not kind.stages:
        render.show("  (no fields, no stages)")


def stage(ticket: str, target: str, if_version: Optional[int], json_out: bool) -> None:
    """`helpdesk ticket stage N STAGE` (registered in commands/tickets.py)."""
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.types.stages import move_stage

    number = ticket_number(ticket)
    diffs, _, shown = write_then_show(
        lambda s, who: ({number: move_stage(s, who, number, target, if_version=if_version)}, None), json_out)
    if json_out:
        return render.emit_json(shown[0])
    diff = diffs[number]
    if not diff:
        return render.say(f"#{number} is already at {target}")
    old, new = diff["stage"]
    render.say(f"#{number}: stage {old or '-'} -> {new}" + (" (waits for approval)" if diff.get("approval", (0, 0))[1]
                                                             == "pending" else ""))


def stages(ticket: str, json_out: bool) -> None:
    """`helpdesk ticket stages N`."""
    from helpdesk.services.types.progress import stages_view

    number = ticket_number(ticket)
    data = read(lambda s, _w: stages_view(s, number))
    if json_out:
        return render.emit_json(data)
    render.show(f"#{number} ({data['type']}): " + "  →  ".join(
        f"[{s['name']}]" if s["current"] else s["name"] for s in data["stages"]))
    approval = data["approval"]
    if approval:
        render.show(f"approval: {approval['state']} ({approval['yes']} of {approval['needed']} yes"
                    + (f"; waiting for {', '.join(approval['waiting_for'])}" if approval["waiting_for"] else "") + ")")
        for v in approval["votes"]:
            render.show(f"  {'yes' if v['approved'] else 'no '} {v['voter']}" + (f": {v['comment']}" if v["comment"] else ""))
    render.show("moves: " + (", ".join(data["moves"]) or "none until approved" if approval else ", ".join(data["moves"])))
    if not data["can_solve"]:
        render.show(f"solve: from {data['stages'][-1]['name']} only")


def approve(ticket: str, no: bool, comment: Optional[str], if_version: Optional[int], json_out: bool) -> None:
    """`helpdesk ticket approve N [--no] [--comment TEXT]`."""
    from helpdesk.commands.written import write_then_show
    from helpdesk.services.types.approvals import approve as vote

    number = ticket_number(ticket)
    diffs, _, shown = write_then_show(lambda s, who: ({number: vote(
        s, who, number, approved=not no, comment=comment, if_version=if_version)}, None), json_out)
    if json_out:
        return render.emit_json(shown[0])
    diff = diffs[number]
    if "approvals" in diff:
        return render.say(f"#{number}: approved ({diff['approvals'][1]} so far)")
    state = diff["approval"][1]
    moved = f"; back to {diff['stage'][1]}" if "stage" in diff else ""
    render.say(f"#{number}: {state}{moved}")

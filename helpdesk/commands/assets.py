"""`helpdesk asset ...`: equipment customers own, its warranty and repair history."""

from __future__ import annotations

from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import CSV, JSON, LIMIT, read, write

app = typer.Typer(help="Assets: customers' equipment, warranties and repair history.", no_args_is_help=True)

LIST_COLUMNS = ("serial", "model", "status", "owner", "organization", "purchased", "warranty_end", "warranty")


def _owner(data: dict) -> str:
    owner = data.get("owner") or {}
    return owner.get("email") or owner.get("name") or ""


def _warranty(data: dict) -> str:
    state, end = data["warranty"], data["warranty_end"]
    if state == "unknown":
        return "unknown"
    left = data.get("days_left")
    note = "" if left is None or left < 0 else (" (last day today)" if left == 0 else f" ({left}d left)")
    return f"{state} until {end}{note}" if state == "in" else f"expired {end}"


@app.command("add")
def add(
    serial: str = typer.Option(..., "--serial", help="Serial number (unique; case and spaces ignored)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model, e.g. 'HP LaserJet M404'."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Owner's email (contact created on first sight)."),
    org: Optional[str] = typer.Option(None, "--org", help="Owning organization (default: the owner's)."),
    purchased: Optional[str] = typer.Option(None, "--purchased", help="Purchase date, YYYY-MM-DD."),
    warranty_months: Optional[int] = typer.Option(None, "--warranty-months", help="Warranty length from the purchase date."),
    warranty_end: Optional[str] = typer.Option(None, "--warranty-end", help="Last day of warranty, YYYY-MM-DD."),
    status: str = typer.Option("active", "--status", help="active, in_repair or retired."),
    notes: Optional[str] = typer.Option(None, "--notes", help="Free text."),
    json_out: bool = JSON,
) -> None:
    """Add an asset. A serial already on the desk (in any case or spacing) is refused (exit 4).

    Examples:\n
      helpdesk asset add --serial SN-1001 --model "ThinkPad X1" --owner ann@acme.com --purchased 2026-01-15 --warranty-months 12\n
      helpdesk asset add --serial PR-77 --model "HP M404" --org Acme --warranty-end 2027-06-30
    """
    from helpdesk.services.customers.assets import add_asset, asset_dicts

    def run(s, who):
        a = add_asset(s, who, serial, model, owner=owner, org=org, purchased=purchased,
                      warranty_months=warranty_months, warranty_end=warranty_end, status=status, notes=notes)
        return asset_dicts(s, [a])[0]

    data = write(run)
    if json_out:
        return render.emit_json(data)
    render.say(f"added asset {data['serial']} (warranty {_warranty(data)})")


@app.command("update")
def update(
    serial: str = typer.Argument(..., help="The asset's serial."),
    new_serial: Optional[str] = typer.Option(None, "--serial", help="Correct the serial."),
    model: Optional[str] = typer.Option(None, "--model"),
    owner: Optional[str] = typer.Option(None, "--owner", help="Owner's email; 'none' clears."),
    org: Optional[str] = typer.Option(None, "--org", help="Organization; 'none' clears."),
    purchased: Optional[str] = typer.Option(None, "--purchased", help="YYYY-MM-DD; 'none' clears."),
    warranty_months: Optional[str] = typer.Option(None, "--warranty-months", help="Months from purchase; 'none' clears."),
    warranty_end: Optional[str] = typer.Option(None, "--warranty-end", help="Last day, YYYY-MM-DD; 'none' clears."),
    status: Optional[str] = typer.Option(None, "--status", help="active, in_repair or retired."),
    notes: Optional[str] = typer.Option(None, "--notes", help="Free text; '' clears."),
    json_out: bool = JSON,
) -> None:
    """Change an asset.

    Examples:\n
      helpdesk asset update SN-1001 --status in_repair\n
      helpdesk asset update sn-1001 --warranty-end 2028-01-14   (an extension: an end date replaces months)\n
      helpdesk asset update SN-1001 --owner none --org "Acme Ltd"
    """
    from helpdesk.services.customers.assets import UNSET, AssetFields, asset_dicts, get_asset, update_asset

    def opt(value):
        if value is None:
            return UNSET
        return None if value.strip().lower() in ("none", "") else value

    changes = AssetFields(serial=new_serial if new_serial is not None else UNSET, model=opt(model), owner=opt(owner),
                          org=opt(org), purchased=opt(purchased), warranty_months=opt(warranty_months),
                          warranty_end=opt(warranty_end), status=status if status is not None else UNSET,
                          notes=notes if notes is not None else UNSET)
    if all(v is UNSET for k, v in vars(changes).items() if k != "changed"):
        raise typer.BadParameter("nothing to change; see helpdesk asset update --help")

    def run(s, who):
        diff = update_asset(s, who, serial, changes)
        target = new_serial if "serial" in diff else serial
        return diff, asset_dicts(s, [get_asset(s, target)])[0]

    diff, data = write(run)
    if json_out:
        return render.emit_json({**data, "changed": {k: {"old": _plain(o), "new": _plain(n)} for k, (o, n) in diff.items()}})
    render.say(f"{data['serial']}: " + ("; ".join(f"{k} {_plain(o) or '-'} -> {_plain(n) or '-'}" for k, (o, n) in diff.items())
                                         or "no change"))


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@app.command("show")
def show(serial: str = typer.Argument(..., help="The asset's serial (any case)."), json_out: bool = JSON) -> None:
    """An asset: owner, warranty (in / expired / unknown) and repair history, newest first.

    Example: helpdesk asset show sn-1001 --json
    """
    from helpdesk.services.customers.assets import asset_detail

    data = read(lambda s, _w: asset_detail(s, serial))
    if json_out:
        return render.emit_json(data)
    owner = data["owner"]
    render.lines([
        ("asset", data["serial"]), ("model", data["model"] or "-"), ("status", data["status"]),
        ("owner", f"{owner['name']} <{owner['email'] or '-'}>" if owner else "-"),
        ("organization", data["organization"] or "-"), ("purchased", data["purchased"] or "-"),
        ("warranty", _warranty(data) + (f", {data['warranty_months']} months" if data["warranty_months"] is not None else "")),
        *([("notes", data["notes"])] if data["notes"] else []),
    ])
    shown = len(data["repair_history"])
    render.table(("#", "status", "subject", "created"),
                 ([f"#{t['id']}", t["status"], t["subject"], render.when(t["created_at"])] for t in data["repair_history"]),
                 caption=f"repair history: {data['repairs']} ticket{'s' if data['repairs'] != 1 else ''}"
                 + (f" (latest {shown} shown)" if shown < data["repairs"] else ""))


@app.command("list")
def list_(
    query: list[str] = typer.Argument(None, help="Words (serial, model, owner, organization) and "
                                      "warranty:in|expired|unknown status:S owner:EMAIL org:NAME model:TEXT."),
    limit: int = LIMIT,
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """List assets (by serial).

    Examples:\n
      helpdesk asset list\n
      helpdesk asset list org:acme warranty:expired\n
      helpdesk asset list thinkpad --csv > assets.csv
    """
    from helpdesk.services.customers.assets import asset_dicts, list_assets

    text = " ".join(query or [])

    def fetch(s, _w):
        rows, total = list_assets(s, text, limit=limit)
        return asset_dicts(s, rows), total

    rows, total = read(fetch)
    _print_list(rows, total, json_out, csv_out, {"query": text})


def _print_list(rows: list[dict], total: int, json_out: bool, csv_out: bool, extra: dict) -> None:
    if json_out:
        return render.emit_json({**extra, "total": total, "count": len(rows), "assets": rows})
    if csv_out:
        return render.emit_csv(LIST_COLUMNS, ([_owner(r) if c == "owner" else r[c] for c in LIST_COLUMNS] for r in rows))
    render.table(("serial", "model", "status", "owner", "organization", "warranty"),
                 ([r["serial"], r["model"] or "", r["status"], _owner(r), r["organization"] or "", _warranty(r)] for r in rows),
                 caption=f"{len(rows)} of {total} assets" + (" (use --limit for more)" if total > len(rows) else ""))


@app.command("expiring")
def expiring_(
    days: int = typer.Option(30, "--days", "-d", min=0, help="Warranties ending within this many days (today included)."),
    json_out: bool = JSON,
    csv_out: bool = CSV,
) -> None:
    """Assets in use whose warranty ends within N days, soonest first (days in desk.timezone).

    Examples:\n
      helpdesk asset expiring --days 30\n
      helpdesk asset expiring --days 90 --csv > renewals.csv
    """
    from helpdesk.services.customers.assets import asset_dicts, expiring

    rows = read(lambda s, _w: asset_dicts(s, expiring(s, days)))
    _print_list(rows, len(rows), json_out, csv_out, {"days": days})


def import_sheet(file: str, sheet: str | None, dry_run: bool, json_out: bool) -> None:
    """`helpdesk import FILE --assets`: every row or none; bad rows named by row and field."""
    from helpdesk.commands.common import desk
    from helpdesk.errors import Invalid
    from helpdesk.services.customers.asset_import import import_assets

    who = read(lambda s, a: a)
    data, report = import_assets(desk(), who, file, sheet=sheet, dry_run=dry_run)
    if json_out:
        render.emit_json({**report.to_dict(), "columns": data.columns, "ignored": data.ignored})
    else:
        render.say(f"{data.file}, sheet \"{data.sheet}\", header on row {data.header_row}: "
                   + ", ".join(f"{h} -> {f}" for f, h in data.columns.items())
                   + (f"; ignored: {', '.join(data.ignored)}" if data.ignored else ""))
        for line in report.error_lines()[:50]:
            render.say(f"rejected: {line}", style="red")
        verb = " (would be)" if dry_run else ""
        render.table(("assets" + verb, "count"), [("created", report.created), ("updated", report.updated),
                                                  ("unchanged", report.unchanged),
                                                  ("rejected rows", len({e["row"] for e in report.errors}))])
        if dry_run:
            render.say("dry run: nothing was written")
    if report.errors:  # a dry run that a real run would refuse
        raise Invalid(f"{len({e['row'] for e in report.errors})} of {report.rows} rows are bad; "
                      "nothing would be imported")

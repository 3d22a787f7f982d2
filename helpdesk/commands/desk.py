"""`helpdesk init|config|view|backup`: the desk itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from helpdesk import render
from helpdesk.commands.common import JSON, desk, read, write

config = typer.Typer(help="Team-wide settings stored in the database.", no_args_is_help=True)
views = typer.Typer(help="Saved views: named queries shown as queues in the app.", no_args_is_help=True)


def init(demo: bool = typer.Option(False, "--demo", help="Load sample agents, contacts and tickets."),
         json_out: bool = JSON) -> None:
    """Create or upgrade the database (see --db / HELPDESK_DB).

    Example: helpdesk init --demo && helpdesk
    """
    from helpdesk.services.desk.setup import initialise

    d = desk()
    summary = initialise(d, demo=demo)
    if json_out:
        return render.emit_json({"database": d.url, **summary})
    render.say(f"database ready: {d.url}")
    if summary.get("demo"):
        render.say(f"demo desk loaded: {summary['demo']}")
    if summary.get("acting_as"):
        render.say(f"you act as {summary['acting_as']} on this desk (see `helpdesk whoami`)")


def backup(file: Path = typer.Argument(..., help="Where to write the copy (must not exist)."), json_out: bool = JSON) -> None:
    """Take a consistent copy of the database while others keep working.

    SQLite: a desk file. PostgreSQL: pg_dump's custom format (restore with pg_restore),
    or plain SQL when FILE ends in .sql (restore with psql -f); needs pg_dump on PATH.

    \b
    Examples:
      helpdesk backup /backups/desk-$(date +%F).db
      helpdesk --db postgresql+psycopg://helpdesk@db/helpdesk backup /backups/desk.dump
      helpdesk --db postgresql+psycopg://helpdesk@db/helpdesk backup /backups/desk.sql
    """
    from helpdesk.services.upkeep.backups import backup as take

    done = take(desk(), file)
    if json_out:
        return render.emit_json(done.to_dict())
    render.say(f"backup written to {done.file}" + ("" if done.format == "sqlite" else f" ({done.format} format)"))
    if done.format != "sqlite":
        render.say(f"restore with: {done.restore}")


@config.command("get")
def config_get(key: Optional[str] = typer.Argument(None, help="A key, or nothing for all."), json_out: bool = JSON) -> None:
    """Show a setting (or all of them)."""
    from helpdesk.services.core.settings import KNOWN, all_settings, require_setting

    if key:
        value = read(lambda s, _w: require_setting(s, key))
        return render.emit_json({key: value}) if json_out else print(value if isinstance(value, str) else json.dumps(value))
    values = read(lambda s, _w: all_settings(s))
    if json_out:
        return render.emit_json(values)
    render.table(("key", "value", "meaning"), ([k, _shown(values.get(k, "")), KNOWN.get(k, "")]
                                               for k in sorted(set(KNOWN) | set(values))))


def _shown(value) -> str:
    """A structured setting (e.g. sla.config) in brief: `config get KEY` prints it whole."""
    return value if isinstance(value, str) else "{…}"


@config.command("set")
def config_set(key: str = typer.Argument(...), value: str = typer.Argument(...), json_out: bool = JSON) -> None:
    """Set a setting (admins only). Example: helpdesk config set mail.from support@example.com"""
    from helpdesk.services.core.settings import set_setting

    write(lambda s, who: set_setting(s, who, key, value))
    render.emit_json({key: value}) if json_out else render.say(f"{key} = {value}")


@config.command("unset")
def config_unset(key: str = typer.Argument(...)) -> None:
    """Remove a setting (admins only)."""
    from helpdesk.services.core.settings import unset_setting

    removed = write(lambda s, who: unset_setting(s, who, key))
    render.say(f"{key} removed" if removed else f"{key} was not set")


@views.command("add")
def view_add(name: str = typer.Argument(...), query: str = typer.Argument(..., help="Query language text."),
             shared: bool = typer.Option(False, "--shared", help="Visible to every agent (admins only)."),
             json_out: bool = JSON) -> None:
    """Save a query as a named view. Example: helpdesk view add "VIP open" 'status:open org.tier:vip'"""
    from helpdesk.services.tickets.views import add_view

    v = write(lambda s, who: add_view(s, who, name, query, shared=shared))
    render.emit_json({"name": v.name, "query": v.query, "shared": v.agent_id is None}) if json_out else render.say(f"saved view {v.name}")


@views.command("list")
def view_list(json_out: bool = JSON) -> None:
    """List the views I can see."""
    from helpdesk.services.tickets.views import list_views

    rows = read(lambda s, who: [{"name": v.name, "query": v.query, "shared": v.agent_id is None} for v in list_views(s, who)])
    if json_out:
        return render.emit_json(rows)
    render.table(("name", "query", "shared"), ([r["name"], r["query"], "yes" if r["shared"] else ""] for r in rows))


@views.command("remove")
def view_remove(name: str = typer.Argument(...)) -> None:
    """Remove a saved view."""
    from helpdesk.services.tickets.views import remove_view

    write(lambda s, who: remove_view(s, who, name))
    render.say(f"removed view {name}")

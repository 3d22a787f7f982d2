"""The `helpdesk` command: parse -> service -> render. No SQL, no business rules.

Exit codes: 0 ok, 1 unexpected failure, 2 usage error, 3 not found,
4 conflict, 5 invalid input, 6 not permitted. Never imports textual: the
app is imported only when `helpdesk` runs with no command (or `helpdesk tui`)."""

from __future__ import annotations

import copy
import gc
import importlib
import json
import os
import sys
from typing import Optional

# No pydantic plugins are used; skipping their entry-point scan saves start-up time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

from helpdesk.commands import common  # noqa: E402

# Every command and command group: name -> (module, attribute). A process imports
# and builds only the one it runs (see `build_app`); each kind in help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("helpdesk.commands.desk", "init"),
    "backup": ("helpdesk.commands.desk", "backup"),
    "migrate-db": ("helpdesk.commands.moving", "migrate_db"),
    "import": ("helpdesk.commands.transfer", "import_"),
    "export": ("helpdesk.commands.transfer", "export"),
    "worker": ("helpdesk.commands.sla", "worker"),
    "route": ("helpdesk.commands.workflow", "route"),
    "whoami": ("helpdesk.commands.you", "whoami"),
    "notifications": ("helpdesk.commands.collaboration", "notifications"),
}
GROUPS: dict[str, tuple[str, str]] = {
    "ticket": ("helpdesk.commands.tickets", "app"),
    "agent": ("helpdesk.commands.people", "agents"),
    "team": ("helpdesk.commands.people", "teams"),
    "contact": ("helpdesk.commands.people", "contacts"),
    "view": ("helpdesk.commands.desk", "views"),
    "config": ("helpdesk.commands.desk", "config"),
    # Feature command groups (one line each; keep alphabetical).
    "asset": ("helpdesk.commands.assets", "app"),
    "kb": ("helpdesk.commands.kb", "app"),
    "macro": ("helpdesk.commands.workflow", "macros"),
    "mail": ("helpdesk.commands.mail", "app"),
    "org": ("helpdesk.commands.customers", "orgs"),
    "portal": ("helpdesk.commands.portal", "app"),
    "report": ("helpdesk.commands.report", "app"),
    "rules": ("helpdesk.commands.workflow", "rules"),
    "sla": ("helpdesk.commands.sla", "app"),
    "type": ("helpdesk.commands.types", "app"),
}
ROOT_VALUE_OPTIONS = ("--db", "--as")


def root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", envvar="HELPDESK_DB", help="Database: a file path or an SQLAlchemy URL."),
    as_: Optional[str] = typer.Option(None, "--as", help="Act as this agent (email or name); also HELPDESK_AGENT."),
) -> None:
    common.options.db = db
    common.options.who = as_
    if ctx.invoked_subcommand is None:
        tui()


def tui() -> None:
    """Open the app (the same as `helpdesk` with no command)."""
    try:
        from helpdesk.app import run_app
    except ImportError:
        raise typer.BadParameter("the app is not available in this build") from None
    run_app(db=common.options.db, who=common.options.who)


def _load(where: tuple[str, str]):
    module, attribute = where
    return getattr(importlib.import_module(module), attribute)


def build_app(only: tuple[str, ...] = ()) -> typer.Typer:
    """The `helpdesk` command. With `only` = (command,) or (group, command), just
    that one under the root: importing and building every command would cost a
    single `ticket create` about 10 ms."""
    app = typer.Typer(
        help="A keyboard-driven helpdesk for small teams. With no command, opens the app.",
        invoke_without_command=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback()(root)
    wanted = only[0] if only else None
    if wanted in (None, "tui"):
        app.command("tui")(tui)
    for name, where in COMMANDS.items():
        if wanted in (None, name):
            app.command(name)(_load(where))
    for name, where in GROUPS.items():
        if wanted in (None, name):
            app.add_typer(_narrowed(_load(where), only[1] if len(only) > 1 else None), name=name)
    return app


def _narrowed(group: typer.Typer, command: str | None) -> typer.Typer:
    """The group with only `command`, when it has a command of that name."""
    chosen = [c for c in group.registered_commands if command is not None and c.name == command]
    if not chosen:
        return group
    narrow = copy.copy(group)  # shallow: the original keeps all its commands
    narrow.registered_commands = chosen
    return narrow


def command_named(argv: list[str]) -> tuple[str, ...]:
    """What `argv` runs, when that is certain: (command,) or (group, command) with
    only the root's --db/--as before them. () means build every command: help,
    completion, an unknown name, anything odd (so errors and suggestions stay whole)."""
    args = iter(argv)
    for arg in args:
        if arg in ROOT_VALUE_OPTIONS:
            next(args, None)  # its value
        elif arg.partition("=")[0] in ROOT_VALUE_OPTIONS:
            continue
        elif arg == "tui" or arg in COMMANDS:
            return (arg,)
        elif arg in GROUPS:
            command = next(args, "")
            return (arg, command) if command and not command.startswith("-") else (arg,)
        else:
            return ()
    return ()


def __getattr__(name: str):
    if name == "app":  # the whole command, e.g. for `typer helpdesk.cli utils docs`
        return build_app()
    raise AttributeError(name)


def fail(error_kind: str, message: str, code: int, as_json: bool, extra: dict | None = None) -> int:
    if as_json:
        sys.stderr.write(json.dumps({"error": error_kind, "message": message, **(extra or {})}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"helpdesk: {message}\n")
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (errors become one line on stderr)."""
    from helpdesk.errors import HelpdeskError

    # Typer's usage errors; found through the MRO so any Typer release works.
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    try:
        result = build_app(command_named(argv))(args=argv, prog_name="helpdesk", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except HelpdeskError as exc:
        return fail(exc.kind, exc.message, exc.exit_code, as_json, {k: v for k, v in exc.to_dict().items() if k not in ("error", "message")})
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return fail("aborted", "aborted", 130, as_json)
    except usage_error as exc:
        if as_json:
            return fail("usage", exc.format_message(), exc.exit_code, True)
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return fail("aborted", "interrupted", 130, as_json)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        if os.environ.get("HELPDESK_DEBUG"):
            raise
        return fail("unexpected", f"unexpected error: {type(exc).__name__}: {exc} (HELPDESK_DEBUG=1 shows the traceback)", 1, as_json)
    finally:
        common.reset()


def main() -> None:
    code = run()
    # The process ends here. Frozen objects are skipped by the collections Python
    # runs while shutting down, which would otherwise walk every class and function
    # the imports made (~70-100 ms, more than the command's own work). `run` has
    # closed the desk; atexit handlers still run; the OS takes the memory back.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    main()

"""The `helpdesk` command: parse -> service -> render. No SQL, no business rules.

Exit codes: 0 ok, 1 unexpected failure, 2 usage error, 3 not found,
4 conflict, 5 invalid input, 6 not permitted. Never imports textual: the
app is imported only when `helpdesk` runs with no command (or `helpdesk tui`)."""

from __future__ import annotations

import json
import os
import sys
from typing import Optional

# No pydantic plugins are used; skipping their entry-point scan saves start-up time.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

from helpdesk.commands import common, desk, people, tickets  # noqa: E402

app = typer.Typer(
    help="A keyboard-driven helpdesk for small teams. With no command, opens the app.",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", envvar="HELPDESK_DB", help="Database: a file path or an SQLAlchemy URL."),
    as_: Optional[str] = typer.Option(None, "--as", help="Act as this agent (email or name); also HELPDESK_AGENT."),
) -> None:
    common.options.db = db
    common.options.who = as_
    if ctx.invoked_subcommand is None:
        tui()


@app.command("tui")
def tui() -> None:
    """Open the app (the same as `helpdesk` with no command)."""
    try:
        from helpdesk.app import run_app
    except ImportError:
        raise typer.BadParameter("the app is not available in this build") from None
    run_app(db=common.options.db, who=common.options.who)


app.command("init")(desk.init)
app.command("backup")(desk.backup)
app.add_typer(tickets.app, name="ticket")
app.add_typer(people.agents, name="agent")
app.add_typer(people.teams, name="team")
app.add_typer(people.contacts, name="contact")
app.add_typer(desk.views, name="view")
app.add_typer(desk.config, name="config")
# Feature command groups (one line each; keep alphabetical).
from helpdesk.commands import mail as mail_commands  # noqa: E402
from helpdesk.commands import sla as sla_commands  # noqa: E402
from helpdesk.commands import transfer  # noqa: E402

app.command("import")(transfer.import_)
app.command("export")(transfer.export)
app.add_typer(mail_commands.app, name="mail")
app.add_typer(sla_commands.app, name="sla")
app.command("worker")(sla_commands.worker)


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
        result = app(args=argv, prog_name="helpdesk", standalone_mode=False)
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
    sys.exit(run())


if __name__ == "__main__":
    main()

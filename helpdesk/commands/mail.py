"""`helpdesk mail ...` (placeholder until the email channel lands)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The email channel: ingest, fetch and send mail.", no_args_is_help=True)

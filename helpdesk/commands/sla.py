"""`helpdesk sla ...` and `helpdesk worker` (placeholder until the SLA feature lands)."""

from __future__ import annotations

import typer

app = typer.Typer(help="SLA policies and clocks.", no_args_is_help=True)


def worker() -> None:
    """Run the background jobs until stopped."""
    raise typer.BadParameter("the worker is not available yet")

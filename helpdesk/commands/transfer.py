"""`helpdesk import` / `helpdesk export` (placeholder until the import feature lands)."""

from __future__ import annotations

import typer


def import_() -> None:
    """Import tickets from a spreadsheet."""
    raise typer.BadParameter("import is not available yet")


def export() -> None:
    """Export tickets to a spreadsheet."""
    raise typer.BadParameter("export is not available yet")

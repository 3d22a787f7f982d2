"""Typer sub-commands, one module per noun; `helpdesk/cli.py` assembles them."""

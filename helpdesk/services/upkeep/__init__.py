"""Keeping a desk well: its health (`helpdesk doctor`), the worker's heartbeat, moving it between databases."""

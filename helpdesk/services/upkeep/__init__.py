"""Looking after a whole desk: its health (`helpdesk doctor`), the worker's heartbeat, backups, moving it to PostgreSQL."""

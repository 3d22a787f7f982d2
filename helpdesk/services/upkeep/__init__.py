"""Looking after a whole desk: moving it to another database, backups, health."""

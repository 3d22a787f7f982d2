"""Mail: intake (files, Maildirs, IMAP), threading, the outbox and its templates."""

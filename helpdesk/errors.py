"""Typed errors raised by services; the CLI maps them to exit codes, the TUI to notifications."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error a user may see. `exit_code` follows the CLI contract."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"error": self.kind, "message": self.message}


class NotFound(HelpdeskError):
    exit_code = 3
    kind = "not_found"


class Conflict(HelpdeskError):
    """The thing changed since the caller read it (stale version)."""

    exit_code = 4
    kind = "conflict"


class Invalid(HelpdeskError):
    """Bad input. `field` names what was wrong, so messages can point at it."""

    exit_code = 5
    kind = "invalid"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message

    def to_dict(self) -> dict:
        return {**super().to_dict(), "field": self.field}


class Forbidden(HelpdeskError):
    exit_code = 6
    kind = "forbidden"

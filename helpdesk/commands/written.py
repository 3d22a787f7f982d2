"""What a write command prints with `--json`: the tickets after the change, plus `changed`.

The ticket JSON is read inside the write's own transaction, after the service
and its subscribers (rules, routing, SLA clocks) have run: the `version` printed
is exactly the one this write produced, so a script can chain `--if-version`
from it without another command's change slipping in between."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.commands.common import write

Diffs = dict[int, dict[str, tuple[Any, Any]]]  # ticket -> {field: (old, new)}, as services return them

PAGE = 500  # tickets per ticket_dicts call: keeps `IN (...)` lists well under SQLite's limit


def changed_json(diff: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    """{field: (old, new)} -> {field: {"old": .., "new": ..}}, times as ISO 8601."""
    return {name: {"old": _plain(old), "new": _plain(new)} for name, (old, new) in diff.items()}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def tickets_json(session, diffs: Diffs) -> list[dict]:
    """The Ticket JSON of every ticket in `diffs` (in its order), each with its `changed`."""
    from helpdesk.services.tickets.lifecycle import get_ticket
    from helpdesk.services.tickets.listing import ticket_dicts

    from helpdesk.services.core import bus

    bus.settle(session)  # triggers and routing run before the commit: show their result too
    numbers = list(diffs)
    out: list[dict] = []
    for start in range(0, len(numbers), PAGE):
        # The rows are already in the session from the write: get_ticket costs no query.
        page = [get_ticket(session, n) for n in numbers[start:start + PAGE]]
        out += ticket_dicts(session, page)
    for data in out:
        data["changed"] = changed_json(diffs[data["id"]])
    return out


def write_then_show(fn, json_out: bool):
    """Run `fn(session, actor) -> (diffs, extra)` in one write transaction.

    Returns (diffs, extra, tickets): `tickets` is the JSON of the tickets in `diffs`
    read in that same transaction when `json_out`, else None."""
    def run(session, actor):
        diffs, extra = fn(session, actor)
        return diffs, extra, (tickets_json(session, diffs) if json_out else None)

    return write(run)


def one_or_many(tickets: list[dict], many: bool) -> dict:
    """One ticket asked for: the ticket itself; several: `{"tickets": [...]}`."""
    return {"tickets": tickets} if many else tickets[0]

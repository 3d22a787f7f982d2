"""One ticket's report figures, worked out from its history (pure: no database).

`figures(...)` is the single definition of every per-ticket number the reports
aggregate (docs/reports.md): it is what `columns.refresh` writes on the ticket
row after every change, what the import and the migration backfill write, and
what the tests check against hand-built histories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

DONE = ("solved", "closed")
OPEN_LIKE = ("new", "open")


@dataclass(frozen=True)
class Post:
    """One public message (kind reply): `agent_id` set for an agent's reply;
    `automatic` for a message no person wrote (rules, the system)."""

    at: datetime
    agent_id: Optional[int] = None
    automatic: bool = False


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    old: str
    new: str


def figures(created_at: datetime, status: str, solved_at: datetime | None, posts: list[Post],
            changes: list[StatusChange], business: Callable[[datetime, datetime], int]) -> dict:
    """The ticket's columns (see models.Ticket, "Insight figures").

    - first reply: the first public agent reply, when the ticket's first public message
      (automatic ones skipped) is not an agent's; a phone log (agent first) has none;
    - agent replies: public replies by an agent;
    - reopens: status changes from solved/closed to anything else;
    - first resolution: created -> the first time it became solved/closed; full
      resolution: created -> `resolved_at`, the last time it became solved or closed, while it
      is solved or closed (`solved_at` of an import without status history);
    - open/pending/on-hold seconds: finished stretches in each status, from creation
      (in the status it was created with) to the last status change.
    `business(a, b)` counts business seconds on the ticket's SLA calendar."""
    out: dict = {"first_reply_at": None, "first_reply_agent_id": None, "first_reply_seconds": None,
                 "first_reply_business": None, "first_solved_at": None, "first_resolution_seconds": None,
                 "first_resolution_business": None, "resolved_at": None, "resolution_seconds": None, "resolution_business": None}
    people = [p for p in sorted(posts, key=lambda p: p.at) if not p.automatic]
    agent_posts = [p for p in people if p.agent_id is not None]
    out["agent_replies"] = len(agent_posts)
    if agent_posts and people[0].agent_id is None:
        first = agent_posts[0]
        out["first_reply_at"], out["first_reply_agent_id"] = first.at, first.agent_id
        out["first_reply_seconds"] = _seconds(created_at, first.at)
        out["first_reply_business"] = business(created_at, first.at) if first.at > created_at else 0

    changes = sorted(changes, key=lambda c: c.at)
    out["reopens"] = sum(1 for c in changes if c.old in DONE and c.new not in DONE)
    initial = changes[0].old if changes else status
    if not changes:  # never changed status: solved at creation, or at the sheet's time (an import)
        first_solved = (solved_at or created_at) if status in DONE else None
    elif initial in DONE:
        first_solved = created_at
    else:
        first_solved = next((c.at for c in changes if c.new in DONE and c.old not in DONE), None)
    if first_solved is not None:
        out["first_solved_at"] = first_solved
        out["first_resolution_seconds"] = _seconds(created_at, first_solved)
        out["first_resolution_business"] = business(created_at, first_solved) if first_solved > created_at else 0
    if status in DONE:
        entered = [c.at for c in changes if c.new in DONE and c.old not in DONE]
        last = entered[-1] if entered else first_solved
        out["resolved_at"] = last
        out["resolution_seconds"] = _seconds(created_at, last)
        out["resolution_business"] = business(created_at, last) if last > created_at else 0

    spent = {"open": 0, "pending": 0, "on_hold": 0}
    since, current = created_at, initial
    for c in changes:
        bucket = "open" if current in OPEN_LIKE else current
        if bucket in spent:
            spent[bucket] += _seconds(since, c.at)
        since, current = max(since, c.at), c.new
    out["open_seconds"], out["pending_seconds"], out["on_hold_seconds"] = spent["open"], spent["pending"], spent["on_hold"]
    return out


def resolver(status: str, assignee_id: int | None, changes: list[tuple],
             agent: Callable[[str], int | None]) -> int | None:
    """Who solved it: the assignee when it last became solved or closed (the solve
    `resolved_at` stands for), None while it is active or when nobody held it then.

    changes: (at, field, old, new) of its status and assignee events in the order
    written; an assignee change recorded with the solve comes before it (`touch` and the
    import record the assignee first). Told by the first reassignment after the solve
    (its `old`), else by who holds it now: a ticket created or imported solved with an
    assignee has no assignee event. `agent(old)` is the agent an event's value names
    (an email; an id from an import)."""
    if status not in DONE:
        return None
    changes = sorted(changes, key=lambda c: c[0])  # as `figures`: by time, then as written
    solve = max((i for i, c in enumerate(changes) if c[1] == "status" and c[3] in DONE and c[2] not in DONE),
                default=-1)
    after = next((c for c in changes[solve + 1:] if c[1] == "assignee"), None)
    if after is None:
        return assignee_id
    return agent(after[2]) if after[2] else None


def _seconds(a: datetime, b: datetime) -> int:
    return max(0, int((b - a).total_seconds()))

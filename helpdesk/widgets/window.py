"""The slice of a queue the table holds: a few pages around the cursor, never the whole result.

Pure bookkeeping: which rows are loaded, where they sit in the whole view, and
whether more exist above or below. Rows are fetched by keyset pagination."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 300


@dataclass
class Window:
    rows: list[Any] = field(default_factory=list)  # queues.Row, in view order
    offset: int = 0  # index of rows[0] in the whole view
    total: int = 0
    more_above: bool = False
    more_below: bool = False
    limit: int = MAX_ROWS

    def reset(self, rows: list, total: int, *, offset: int = 0, more_above: bool = False,
              more_below: bool = False) -> None:
        self.rows, self.total, self.offset = list(rows), total, offset
        self.more_above, self.more_below = more_above, more_below

    def append(self, rows: list, more: bool) -> int:
        """Rows read below the last one; returns how many were dropped from the top."""
        known = self.ids()
        self.rows.extend(r for r in rows if r.id not in known)
        self.more_below = more
        if not more:  # at the bottom: the total is known exactly
            self.total = self.offset + len(self.rows)
        drop = max(0, len(self.rows) - self.limit)
        if drop:
            self.rows = self.rows[drop:]
            self.offset += drop
            self.more_above = True
        return drop

    def prepend(self, rows: list, more: bool) -> int:
        """Rows read above the first one; returns how many were dropped from the bottom."""
        known = self.ids()
        fresh = [r for r in rows if r.id not in known]
        self.rows = fresh + self.rows
        self.offset = max(0, self.offset - len(fresh)) if more else 0  # at the top: exact again
        self.more_above = more
        drop = max(0, len(self.rows) - self.limit)
        if drop:
            self.rows = self.rows[:-drop]
            self.more_below = True
        return drop

    def ids(self) -> set[int]:
        return {r.id for r in self.rows}

    def index_of(self, ticket_id: int) -> int | None:
        for i, row in enumerate(self.rows):
            if row.id == ticket_id:
                return i
        return None

    def row(self, index: int):
        return self.rows[index] if 0 <= index < len(self.rows) else None

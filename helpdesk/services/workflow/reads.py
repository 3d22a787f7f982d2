"""Which changes a trigger's `when` can see: after a firing, only the later triggers
whose condition reads something that firing changed need checking again.

A re-check costs one query whatever the number of tickets (text terms carry their
hit lists, tier terms their lookups), and a busy chain re-checked every trigger
after every firing. The maps (helpdesk/query_reads.py) are deliberately cautious: a
term whose inputs a firing may change in ways its diff does not name (`updated:`,
`sla:`, stages, followers) or that is not listed there is re-checked after any
change, and so is every trigger after a firing that applied a macro or changed a key
not listed."""

from __future__ import annotations

from helpdesk.query_reads import ANY, diff_keys, overlaps, parsed, reads
from helpdesk.rules import Trigger

__all__ = ["parsed", "may_read", "touched"]


def touched(trigger: Trigger, diff: dict) -> frozenset[str] | None:
    """What a firing of `trigger` changed, as diff keys; ANY when it may be more than its diff says."""
    if trigger.actions.macro:
        return ANY  # a macro's reply may open the ticket, set its first response, feed the text index
    return diff_keys(diff)


def may_read(trigger: Trigger, changed: frozenset[str] | None) -> bool:
    """Whether `trigger`'s `when` could answer differently after these changes."""
    return overlaps(reads(trigger.when), changed)

"""Which changes a trigger's `when` can see: after a firing, only the later triggers
whose condition reads something that firing changed need checking again.

A re-check costs one query whatever the number of tickets (text terms carry their
hit lists, tier terms their lookups), and a busy chain re-checked every trigger
after every firing. The maps below are deliberately cautious: a term whose inputs a
firing may change in ways its diff does not name (`updated:`, `sla:`, stages,
followers) or that is not listed here is re-checked after any change, and so is
every trigger after a firing that applied a macro or changed a key not listed."""

from __future__ import annotations

from functools import lru_cache

from helpdesk.rules import Trigger, parse_when

# term field -> the diff keys (lifecycle._apply's names) that can change its answer;
# `tag:` terms read "tag:NAME", one key per tag a firing added or removed.
# Empty: nothing a rule does changes it (who asked, how it came in, when it was made).
_READS: dict[str, frozenset[str]] = {
    "status": frozenset({"status"}), "status_age": frozenset({"status"}),
    "solved": frozenset({"status"}), "closed": frozenset({"status"}),
    "priority": frozenset({"priority"}), "team": frozenset({"team"}), "assignee": frozenset({"assignee"}),
    "skill": frozenset({"skills"}), "type": frozenset({"type"}),
    "text": frozenset({"subject"}),
    "channel": frozenset(), "requester": frozenset(), "org": frozenset(), "org.tier": frozenset(),
    "id": frozenset(), "external": frozenset(), "created": frozenset(),
}
KNOWN = frozenset({"status", "priority", "team", "assignee", "tags", "skills", "type", "subject"})
ANY = None  # "it may have changed anything"


def touched(trigger: Trigger, diff: dict) -> frozenset[str] | None:
    """What a firing of `trigger` changed, as diff keys; ANY when it may be more than its diff says."""
    if trigger.actions.macro:
        return ANY  # a macro's reply may open the ticket, set its first response, feed the text index
    if any(k not in KNOWN and not k.startswith("field.") for k in diff):
        return ANY
    keys = set(diff) - {"tags"}
    if "tags" in diff:  # which tags came or went: `tag:vip` need not look again when `auto-vpn` came
        before, after = diff["tags"]
        keys |= {f"tag:{t}" for t in set(before) ^ set(after)}
    return frozenset(keys)


def may_read(trigger: Trigger, changed: frozenset[str] | None) -> bool:
    """Whether `trigger`'s `when` could answer differently after these changes."""
    reads = _reads(trigger.when)
    if reads is ANY or changed is ANY:
        return True
    return bool(reads & changed)


@lru_cache(maxsize=1024)
def parsed(when: str):
    """A `when` parsed once per process (relative dates are compiled against the run's now)."""
    return parse_when(when)


@lru_cache(maxsize=1024)
def _reads(when: str) -> frozenset[str] | None:
    if not when:
        return frozenset()  # always true: nothing to re-check
    keys: set[str] = set()
    for term in parsed(when).terms:
        if term.field.startswith("field."):
            keys |= {term.field, "type"}  # a new type may rewrite the fields (services/types)
        elif term.field == "tag":
            keys |= {f"tag:{v.lower()}" for v in term.values}
        elif term.field in _READS:
            keys |= _READS[term.field]
        else:
            return ANY
    return frozenset(keys)

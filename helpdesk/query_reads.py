"""Which ticket changes can alter a query's answer.

A trigger chain re-checks only the triggers whose `when` reads what a firing
changed (services/workflow/reads), and the SLA clocks and report figures are worked
out again only when a change touches what they read (a tag an automation adds moves
no clock unless a policy's `match` names that tag). Deliberately cautious: a term or
a diff key not listed here counts as "may have changed anything"."""

from __future__ import annotations

from functools import lru_cache

from helpdesk.rules import parse_when

# term field -> the diff keys (lifecycle._apply's names) that can change its answer;
# `tag:` terms read "tag:NAME", one key per tag added or removed.
# Empty: nothing a ticket change alters (who asked, how it came in, when it was made).
READS: dict[str, frozenset[str]] = {
    "status": frozenset({"status"}), "status_age": frozenset({"status"}),
    "solved": frozenset({"status"}), "closed": frozenset({"status"}),
    "priority": frozenset({"priority"}), "team": frozenset({"team"}), "assignee": frozenset({"assignee"}),
    "skill": frozenset({"skills"}), "type": frozenset({"type"}),
    "text": frozenset({"subject"}),
    "channel": frozenset(), "requester": frozenset(), "org": frozenset(), "org.tier": frozenset(),
    "id": frozenset(), "external": frozenset(), "created": frozenset(),
}
KNOWN = frozenset({"status", "priority", "team", "assignee", "tags", "skills", "type", "subject"})
ANY = None  # "it may have changed anything" / "it may read anything"


def known(diff: dict) -> bool:
    """Whether every field a diff names is one listed above (else: it may change anything)."""
    return all(k in KNOWN or k.startswith("field.") for k in diff)


def diff_keys(diff: dict) -> frozenset[str] | None:
    """A change's diff ({field: (old, new)}) as the keys above; ANY when it names a field
    not listed (its effects are not known here)."""
    if not known(diff):
        return ANY
    keys = set(diff) - {"tags"}
    if "tags" in diff:  # which tags came or went: `tag:vip` need not look again when `auto-vpn` came
        before, after = diff["tags"]
        keys |= {f"tag:{t}" for t in set(before or ()) ^ set(after or ())}
    return frozenset(keys)


@lru_cache(maxsize=1024)
def parsed(when: str):
    """A `when` parsed once per process (relative dates are compiled against the run's now)."""
    return parse_when(when)


@lru_cache(maxsize=1024)
def reads(when: str) -> frozenset[str] | None:
    """The diff keys that can change the answer of query `when`; ANY when not known."""
    if not when:
        return frozenset()  # always true: nothing to re-check
    try:
        query = parsed(when)
    except Exception:  # a policy's match is checked against the desk's names, not by this parser
        return ANY
    keys: set[str] = set()
    for term in query.terms:
        if term.field.startswith("field."):
            keys |= {term.field, "type"}  # a new type may rewrite the fields (services/types)
        elif term.field == "tag":
            keys |= {f"tag:{v.lower()}" for v in term.values}
        elif term.field in READS:
            keys |= READS[term.field]
        else:
            return ANY
    return frozenset(keys)


def overlaps(read: frozenset[str] | None, changed: frozenset[str] | None) -> bool:
    """Whether something read by `read` is among `changed` (ANY on either side: yes)."""
    if read is ANY or changed is ANY:
        return True
    return bool(read & changed)

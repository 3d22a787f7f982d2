"""Typed fields, enforced on every door: create, update, JSON Lines, rules, mail.

A subscriber checks a ticket whenever its type, fields or status change, inside the
change's transaction: a bad value or a missing required one raises `Invalid`
naming the field, so the whole change is refused and nothing is written. Values
are stored as their canonical text (`12.5`, `2026-03-05`, `true`, the option as
the type spells it). Fields a type does not list stay free text."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import Ticket
from helpdesk.request_types import RequestType, check_value
from helpdesk.services.core import bus
from helpdesk.services.types.catalog import canonical_type, find_type, stored_types


REPEATING = ("choice", "multi", "bool", "date")  # kinds whose values recur from ticket to ticket


def checked_fields(kind: RequestType, fields: dict, keys=None, memo: dict | None = None) -> dict:
    """`fields` with the typed ones (all, or those in `keys`) in canonical form. `memo`
    (one dict for many tickets) remembers the values of kinds that recur, so JSON Lines
    check each option, date or yes/no once rather than once a ticket."""
    out = dict(fields)
    for key, value in fields.items():
        spec = kind.field(key)
        if spec is None or (keys is not None and key not in keys) or value in (None, ""):
            continue
        if memo is None or spec.kind not in REPEATING:
            out[key] = check_value(spec, value)
            continue
        seen = (kind.name, key, value)
        if seen not in memo:
            memo[seen] = check_value(spec, value)  # raises for a bad value: nothing remembered
        out[key] = memo[seen]
    return out


def missing_required(kind: RequestType, fields: dict, status: str | None = None) -> list[str]:
    """Keys a ticket of this type must hold: `required` ones, and `required_for` this status."""
    return [f.key for f in kind.fields
            if (f.required or (status and status in f.required_for)) and fields.get(f.key) in (None, "")]


def _refuse_missing(kind: RequestType, keys: list[str], status: str | None = None) -> None:
    if not keys:
        return
    spec = kind.field(keys[0])
    label = f" ({spec.label})" if spec and spec.label and spec.label != spec.key else ""
    when = f"to set status {status}" if status else "on create"
    raise Invalid(f"is required {when} for type {kind.name!r}{label}", field=keys[0])


@bus.subscribe("ticket.created")
def on_created(session: Session, event: bus.DomainEvent) -> None:
    ticket = session.get(Ticket, event.ticket_id)
    if ticket.type is None:
        return
    ticket.type = canonical_type(session, ticket.type)
    kind = find_type(session, ticket.type)
    if kind is None:
        return
    ticket.fields = checked_fields(kind, ticket.fields or {})
    _refuse_missing(kind, missing_required(kind, ticket.fields))
    needs = missing_required(kind, ticket.fields, ticket.status)
    _refuse_missing(kind, needs, ticket.status)


@bus.subscribe("ticket.updated")
def on_updated(session: Session, event: bus.DomainEvent) -> None:
    changes = event.changes or {}
    keys = {k.split(".", 1)[1] for k in changes if k.startswith("field.")}
    if not ({"type", "status"} & set(changes) or keys):
        return
    ticket = session.get(Ticket, event.ticket_id)
    if "type" in changes and ticket.type is not None:
        ticket.type = canonical_type(session, ticket.type)
    kind = find_type(session, ticket.type)
    if kind is None:
        return
    retyped = "type" in changes
    fields = checked_fields(kind, ticket.fields or {}, None if retyped else keys)
    if fields != (ticket.fields or {}):
        ticket.fields = fields
    if retyped or keys:
        _refuse_missing(kind, missing_required(kind, fields))
    _refuse_missing(kind, [k for k in missing_required(kind, fields, ticket.status)
                           if k not in missing_required(kind, fields)], ticket.status)


@bus.subscribe("tickets.vetting")
def on_vetting(session: Session, event: bus.DomainEvent) -> None:
    """JSON Lines drafts, before anything is written: errors by draft index. The desk's
    types are read once for all the drafts, and recurring values checked once."""
    types, memo = stored_types(session), {}
    for index, draft in enumerate(event.data["drafts"]):
        try:
            if draft.type is None:
                continue
            kind = types.get(draft.type.strip().casefold())
            if kind is None:  # a built-in type (lower case), or Invalid listing the desk's types
                draft.type = canonical_type(session, draft.type)
                continue
            draft.type = kind.name
            draft.fields = checked_fields(kind, draft.fields, memo=memo)
            _refuse_missing(kind, missing_required(kind, draft.fields))
            _refuse_missing(kind, missing_required(kind, draft.fields, draft.status), draft.status)
        except Invalid as exc:
            event.data["errors"][index] = exc.message

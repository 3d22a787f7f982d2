"""Assets: equipment a customer owns, its warranty, and its repair history (linked tickets).

Serials are unique as a person reads them: trimmed, inner spaces collapsed, full-width
characters folded (NFKC) and case ignored, so ` ab-1 ` and `AB-1` are one asset. The
serial is kept as first typed; `serial_key` holds the folded form the unique index uses.
A ticket has at most one asset (`ticket ... --asset SERIAL`); the asset's tickets,
newest first, are its repair history."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlmodel import Session

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import Asset, Contact, Organization, Ticket, TicketAsset, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.core.settings import desk_zone
from helpdesk.services.customers import warranty
from helpdesk.services.people.contacts import get_or_create_org, requester_for
from helpdesk.services.people.names import clean_email

STATUSES = ("active", "in_repair", "retired")
SERIAL_MAX = 200
MODEL_MAX = 200
NOTES_MAX = 4000
HISTORY_LIMIT = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DAY = re.compile(r"\s*([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?\s*")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


# -- cleaning ------------------------------------------------------------------

def serial_key(text: str) -> str:
    """The form serials are compared in: NFKC, trimmed, inner spaces collapsed, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def clean_serial(text: str | None, field: str = "serial") -> tuple[str, str]:
    """(serial as shown, key) or Invalid."""
    serial = " ".join((text or "").split())
    if not serial:
        raise Invalid("must not be empty", field=field)
    if _CONTROL.search(serial):
        raise Invalid("must not contain control characters", field=field)
    if len(serial) > SERIAL_MAX:
        raise Invalid(f"is longer than {SERIAL_MAX} characters", field=field)
    if serial.lower() == "none":
        raise Invalid("'none' is not a serial (it clears a ticket's asset)", field=field)
    return serial, serial_key(serial)


def clean_model(text: str | None) -> str | None:
    model = " ".join((text or "").split())
    if _CONTROL.search(model):
        raise Invalid("must not contain control characters", field="model")
    if len(model) > MODEL_MAX:
        raise Invalid(f"is longer than {MODEL_MAX} characters", field="model")
    return model or None


def clean_status(text: str | None) -> str:
    status = re.sub(r"[\s\-]+", "_", (text or "").strip().lower())
    if status not in STATUSES:
        raise Invalid(f"{text!r} is not a status (use {', '.join(STATUSES)})", field="status")
    return status


def clean_months(value: Any, field: str = "warranty_months") -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        months = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise Invalid(f"{value!r} is not a whole number of months", field=field) from None
    if not 0 <= months <= warranty.MONTHS_MAX:
        raise Invalid(f"must be between 0 and {warranty.MONTHS_MAX} months", field=field)
    return months


def parse_day(value: Any, field: str) -> date | None:
    """A calendar day: a date, or text like 2026-01-15, 2026/1/15, 2026年1月15日."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if not text.strip():
        return None
    match = _DAY.fullmatch(text)
    try:
        if match:
            return date(*map(int, match.groups()))
    except ValueError:
        raise Invalid(f"{text.strip()!r} is not a real date", field=field) from None
    raise Invalid(f"{text.strip()!r} is not a date (use YYYY-MM-DD, e.g. 2026-01-15)", field=field)


def clean_notes(text: str | None) -> str | None:
    notes = (text or "").replace("\x00", "").strip()
    if len(notes) > NOTES_MAX:
        raise Invalid(f"is longer than {NOTES_MAX} characters", field="notes")
    return notes or None


# -- finding -------------------------------------------------------------------

def find_asset(session: Session, serial: str) -> Asset | None:
    key = serial_key(serial)
    if not key:
        return None
    return session.execute(select(Asset).where(Asset.serial_key == key)).scalars().first()


def get_asset(session: Session, serial: str) -> Asset:
    asset = find_asset(session, serial)
    if asset is None:
        raise NotFound(f"no asset with serial {' '.join((serial or '').split())!r}; see `helpdesk asset list`")
    return asset


def today(session: Session, now: datetime | None = None) -> date:
    """The desk's local day (desk.timezone)."""
    return warranty.local_today(now or utcnow(), desk_zone(session))


# -- writing -------------------------------------------------------------------

@dataclass
class AssetFields:
    """What to set on an asset; UNSET is left alone, None clears."""

    serial: Any = UNSET
    model: Any = UNSET
    owner: Any = UNSET  # contact email (created on first sight), or None
    org: Any = UNSET  # organization name (created if new), or None
    purchased: Any = UNSET  # date or text
    warranty_months: Any = UNSET
    warranty_end: Any = UNSET  # date or text
    status: Any = UNSET
    notes: Any = UNSET
    changed: dict = field(default_factory=dict)


def add_asset(session: Session, actor: Actor, serial: str, model: str | None = None, *, owner: str | None = None,
              org: str | None = None, purchased: Any = None, warranty_months: Any = None,
              warranty_end: Any = None, status: str = "active", notes: str | None = None) -> Asset:
    """A new asset; a serial already on the desk (in any case or spacing) is a Conflict."""
    require(actor, "agent")
    shown, key = clean_serial(serial)
    existing = session.execute(select(Asset.serial).where(Asset.serial_key == key)).scalars().first()
    if existing is not None:
        raise Conflict(f"asset {existing!r} already exists (serial {shown!r} is the same one); "
                       f"change it with `helpdesk asset update {existing}`")
    now = utcnow()
    asset = Asset(serial=shown, serial_key=key, status=clean_status(status), created_at=now, updated_at=now)
    _set_fields(session, actor, asset, AssetFields(model=model, owner=owner, org=org, purchased=purchased,
                                                   warranty_months=warranty_months, warranty_end=warranty_end,
                                                   notes=notes))
    session.add(asset)
    session.flush()
    record(session, actor, "asset", asset.id, "created", None, asset.serial)
    return asset


def update_asset(session: Session, actor: Actor, serial: str, changes: AssetFields) -> dict[str, tuple[Any, Any]]:
    """Change an asset; returns {field: (old, new)} of what really changed."""
    require(actor, "agent")
    asset = get_asset(session, serial)
    if changes.serial is not UNSET:
        shown, key = clean_serial(changes.serial)
        other = session.execute(select(Asset.serial).where(Asset.serial_key == key, Asset.id != asset.id)).scalars().first()
        if other is not None:
            raise Conflict(f"asset {other!r} already has serial {shown!r}")
        if shown != asset.serial:
            changes.changed["serial"] = (asset.serial, shown)
            asset.serial, asset.serial_key = shown, key
    if changes.status is not UNSET:
        status = clean_status(changes.status)
        if status != asset.status:
            changes.changed["status"] = (asset.status, status)
            asset.status = status
    _set_fields(session, actor, asset, changes)
    if changes.changed:
        asset.updated_at = utcnow()
        session.add(asset)
        for name, (old, new) in changes.changed.items():
            record(session, actor, "asset", asset.id, name, old, new)
        session.flush()
    return changes.changed


def _set_fields(session: Session, actor: Actor, asset: Asset, ch: AssetFields) -> None:
    diff = ch.changed

    def put(name: str, new: Any, shown: tuple | None = None, key: str | None = None) -> None:
        old = getattr(asset, name)
        if old != new:
            setattr(asset, name, new)
            diff[key or name] = shown or (old, new)

    if ch.model is not UNSET:
        put("model", clean_model(ch.model))
    if ch.owner is not UNSET:
        contact = requester_for(session, actor, clean_email(ch.owner, "owner")) if ch.owner else None
        old = session.get(Contact, asset.contact_id) if asset.contact_id else None
        put("contact_id", contact.id if contact else None, (old and old.email, contact and contact.email), "owner")
        if contact and contact.organization_id and ch.org is UNSET and asset.organization_id is None:
            ch.org = session.get(Organization, contact.organization_id).name  # the owner's organization
    if ch.org is not UNSET:
        org = get_or_create_org(session, ch.org) if ch.org else None
        old_org = session.get(Organization, asset.organization_id) if asset.organization_id else None
        put("organization_id", org.id if org else None, (old_org and old_org.name, org and org.name), "org")
    if ch.notes is not UNSET:
        put("notes", clean_notes(ch.notes))
    _set_warranty(session, asset, ch, put)


def _set_warranty(session: Session, asset: Asset, ch: AssetFields, put) -> None:
    """Purchase date and warranty: months (the end follows the purchase date) or an end date."""
    given_months = ch.warranty_months is not UNSET and ch.warranty_months not in (None, "")
    given_end = ch.warranty_end is not UNSET and ch.warranty_end not in (None, "")
    if given_months and given_end:
        raise Invalid("give the warranty in months or as an end date, not both", field="warranty")
    purchased = asset.purchased_on if ch.purchased is UNSET else parse_day(ch.purchased, "purchased")
    months = asset.warranty_months
    explicit_end = asset.warranty_end if asset.warranty_months is None else None
    if ch.warranty_months is not UNSET:
        months = clean_months(ch.warranty_months)
        if months is not None:
            explicit_end = None
    if ch.warranty_end is not UNSET:
        explicit_end = parse_day(ch.warranty_end, "warranty_end")
        if explicit_end is not None:
            months = None
    if months is not None and purchased is None:
        raise Invalid("a warranty in months needs the purchase date (--purchased YYYY-MM-DD)", field="warranty_months")
    if explicit_end is not None and purchased is not None and explicit_end < purchased:
        raise Invalid(f"ends ({explicit_end}) before the purchase ({purchased})", field="warranty_end")
    if purchased is not None and purchased > today(session):
        raise Invalid(f"{purchased} is in the future", field="purchased")
    put("purchased_on", purchased, key="purchased")
    put("warranty_months", months)
    put("warranty_end", warranty.end_of(purchased, months, explicit_end))


# -- tickets -------------------------------------------------------------------

def set_ticket_asset(session: Session, ticket_id: int, serial: str | None) -> tuple[str | None, str | None] | None:
    """Link the ticket to this asset (replacing another), or unlink with None; returns
    (old serial, new serial) when that changed. Unknown serials are NotFound."""
    asset = get_asset(session, serial) if serial else None
    old = session.execute(select(Asset).join(TicketAsset, TicketAsset.asset_id == Asset.id)
                          .where(TicketAsset.ticket_id == ticket_id)).scalars().first()
    if (old and old.id) == (asset and asset.id):
        return None
    session.execute(delete(TicketAsset).where(TicketAsset.ticket_id == ticket_id))
    if asset is not None:
        session.add(TicketAsset(ticket_id=ticket_id, asset_id=asset.id))
    session.flush()
    return (old.serial if old else None, asset.serial if asset else None)


def assets_of_tickets(session: Session, ticket_ids: list[int], day: date | None = None) -> dict[int, dict]:
    """{ticket id: {serial, model, warranty, warranty_end}} for the tickets that have an asset."""
    if not ticket_ids:
        return {}
    rows = session.execute(select(TicketAsset.ticket_id, Asset).join(Asset, Asset.id == TicketAsset.asset_id)
                           .where(TicketAsset.ticket_id.in_(ticket_ids))).all()
    if not rows:
        return {}
    day = day or today(session)
    return {tid: {"serial": a.serial, "model": a.model, "warranty": warranty.state(a.warranty_end, day),
                  "warranty_end": a.warranty_end.isoformat() if a.warranty_end else None} for tid, a in rows}


def repair_history(session: Session, asset: Asset, limit: int = HISTORY_LIMIT) -> tuple[list[Ticket], int]:
    """The asset's tickets, newest first, and how many there are."""
    ids = select(TicketAsset.ticket_id).where(TicketAsset.asset_id == asset.id)
    total = session.execute(select(func.count()).select_from(TicketAsset).where(TicketAsset.asset_id == asset.id)).scalar() or 0
    tickets = session.execute(select(Ticket).where(Ticket.id.in_(ids))
                              .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)).scalars().all()
    return list(tickets), total


# -- listing -------------------------------------------------------------------

LIST_FIELDS = ("warranty", "status", "owner", "org", "model")


def list_assets(session: Session, query: str | None = None, *, limit: int = 100,
                day: date | None = None) -> tuple[list[Asset], int]:
    """Assets matching `query`: words match serial, model, owner or organization;
    `warranty:in|expired|unknown`, `status:S`, `owner:EMAIL`, `org:NAME`, `model:TEXT` narrow."""
    import shlex

    day = day or today(session)
    stmt = select(Asset).outerjoin(Contact, Contact.id == Asset.contact_id).outerjoin(
        Organization, Organization.id == Asset.organization_id)
    try:
        words = shlex.split(query or "")
    except ValueError:
        words = (query or "").split()
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key in LIST_FIELDS:
            value = value.strip()
            if not value:
                raise Invalid(f"{word} — empty value", field=key)
            stmt = stmt.where(_list_term(key, value, day, word))
        else:
            like = f"%{serial_key(word)}%"
            stmt = stmt.where(or_(Asset.serial_key.like(like), func.lower(Asset.model).like(like),
                                  func.lower(Contact.email).like(like), func.lower(Contact.name).like(like),
                                  func.lower(Organization.name).like(like)))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar() or 0
    rows = session.execute(stmt.order_by(Asset.serial_key).limit(limit)).scalars().all()
    return list(rows), total


def _list_term(key: str, value: str, day: date, word: str):
    low = value.lower()
    if key == "warranty":
        return warranty_condition(Asset.warranty_end, low, day, word)
    if key == "status":
        return Asset.status == clean_status(value)
    if key == "owner":
        return or_(func.lower(Contact.email) == low, func.lower(Contact.name).like(f"%{low}%"))
    if key == "org":
        return func.lower(Organization.name) == low
    return func.lower(Asset.model).like(f"%{low}%")


def warranty_condition(end_col, state: str, day: date, source: str = ""):
    """SQL for a warranty state on a date column (shared with the ticket query language)."""
    if state == "in":
        return end_col >= day
    if state == "expired":
        return end_col < day
    if state == "unknown":
        return end_col.is_(None)
    raise Invalid(f"{source or state} — unknown warranty state {state!r} (use {', '.join(warranty.STATES)})",
                  field="warranty")


def expiring(session: Session, days: int, *, day: date | None = None, limit: int = 1000) -> list[Asset]:
    """Assets in use whose warranty ends within `days` days from today (today included), soonest first."""
    if days < 0:
        raise Invalid("must be 0 or more", field="days")
    day = day or today(session)
    from datetime import timedelta

    stmt = (select(Asset).where(Asset.warranty_end >= day, Asset.warranty_end <= day + timedelta(days=days),
                                Asset.status != "retired")
            .order_by(Asset.warranty_end, Asset.serial_key).limit(limit))
    return list(session.execute(stmt).scalars())


# -- shapes --------------------------------------------------------------------

def asset_dicts(session: Session, assets: list[Asset], day: date | None = None) -> list[dict]:
    """The JSON shape of an asset (`asset list --json`, `contact show --json`)."""
    day = day or today(session)
    contacts = _by_id(session, Contact, (a.contact_id for a in assets))
    orgs = _by_id(session, Organization, (a.organization_id for a in assets))
    out = []
    for a in assets:
        c = contacts.get(a.contact_id)
        out.append({
            "serial": a.serial, "model": a.model, "status": a.status,
            "owner": {"email": c.email, "name": c.name} if c else None,
            "organization": orgs[a.organization_id].name if a.organization_id in orgs else None,
            "purchased": a.purchased_on.isoformat() if a.purchased_on else None,
            "warranty_months": a.warranty_months,
            "warranty_end": a.warranty_end.isoformat() if a.warranty_end else None,
            "warranty": warranty.state(a.warranty_end, day),
            "days_left": warranty.days_left(a.warranty_end, day),
            "notes": a.notes,
        })
    return out


def asset_detail(session: Session, serial: str) -> dict:
    """`asset show`: the asset plus its repair history (linked tickets, newest first) and count."""
    asset = get_asset(session, serial)
    data = asset_dicts(session, [asset])[0]
    tickets, total = repair_history(session, asset)
    data["repairs"] = total
    data["repair_history"] = [{"id": t.id, "subject": t.subject, "status": t.status,
                               "created_at": t.created_at.isoformat(),
                               "solved_at": t.solved_at.isoformat() if t.solved_at else None} for t in tickets]
    data["created_at"] = asset.created_at.isoformat()
    return data


def _by_id(session: Session, model, ids) -> dict[int, Any]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in session.execute(select(model).where(model.id.in_(ids))).scalars()}

"""The request form's typed part: which request types customers may pick on the portal,
and their answers checked by the same rules as `ticket create --field` (but worded for
a customer: a reason code per field that the page says in the visitor's language)."""

from __future__ import annotations

import re

from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.request_types import FieldSpec, RequestType, check_value
from helpdesk.services.types.catalog import stored_types

NUMBER = re.compile(r"[+-]?[0-9][0-9,]*(\.[0-9]+)?|[+-]?\.[0-9]+")


def portal_types(session: Session) -> list[RequestType]:
    """Types offered on the portal (`portal = true` in the types file), in file order."""
    return [kind for kind in stored_types(session).values() if kind.portal]


def portal_type(session: Session, name: str | None) -> RequestType | None:
    """The portal type of that name; None for none, or for a type not offered there (an
    internal type is as unknown to a customer as a misspelt one)."""
    wanted = (name or "").strip().casefold()
    return next((kind for kind in portal_types(session) if kind.name.casefold() == wanted), None) if wanted else None


def typed_answers(kind: RequestType, answers: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(field values to store, {"field.KEY": reason code}) for the type's portal fields.
    Fields the type does not ask on the portal are ignored, whatever was posted."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in kind.portal_fields:
        raw = (answers.get(spec.key) or "").replace("\x00", "").strip()
        if not raw:
            if spec.required:
                errors[f"field.{spec.key}"] = "required"
            continue
        try:
            values[spec.key] = check_value(spec, raw)
        except Invalid:
            errors[f"field.{spec.key}"] = _reason(spec, raw)
    return values, errors


def _reason(spec: FieldSpec, raw: str) -> str:
    if spec.kind == "number":
        return "range" if NUMBER.fullmatch(" ".join(raw.split())) else "not_number"
    return {"text": "too_long", "date": "date", "bool": "yes_no", "choice": "choice", "multi": "choice"}[spec.kind]

"""Email addresses and names as the desk stores them: trimmed, folded, checked."""

from __future__ import annotations

import re

from helpdesk.errors import Invalid

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


def clean_email(value: str, field: str = "email") -> str:
    email = (value or "").strip().lower()
    if not EMAIL.match(email):
        raise Invalid(f"{value!r} is not an email address", field=field)
    return email


def clean_name(value: str | None, field: str = "name", *, max_len: int = 200) -> str:
    name = " ".join((value or "").replace("\x00", "").split())
    if not name:
        raise Invalid("must not be empty", field=field)
    if len(name) > max_len:
        raise Invalid(f"is longer than {max_len} characters", field=field)
    return name

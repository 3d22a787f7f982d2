"""Per-user settings on this machine (not shared): who I am on each desk, key bindings.

The file is TOML at $HELPDESK_CONFIG or <user config dir>/helpdesk/config.toml.
"You" is remembered per database, as `[desks."<url>"] agent = "..."`; a top-level
`agent` (written by older releases for every desk) is still read as a fallback."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any


def config_path() -> Path:
    env = os.environ.get("HELPDESK_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("helpdesk", appauthor=False)) / "config.toml"


def load() -> dict[str, Any]:
    path = config_path()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        from helpdesk.errors import Invalid

        raise Invalid(f"{path}: {exc}") from None


def desk_key(url: str) -> str:
    """The name a desk is remembered by: its resolved URL, never with a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def remembered_agent(url: str) -> tuple[str | None, str | None]:
    """(agent, scope) remembered for the desk at `url`: scope "desk" for its own
    entry, "global" for an old top-level `agent`, (None, None) for nothing."""
    config = load()
    desks = config.get("desks")
    entry = desks.get(desk_key(url)) if isinstance(desks, dict) else None
    if isinstance(entry, dict) and isinstance(entry.get("agent"), str) and entry["agent"]:
        return entry["agent"], "desk"
    legacy = config.get("agent")
    if isinstance(legacy, str) and legacy:
        return legacy, "global"
    return None, None


def desk_entry(url: str) -> str:
    """The TOML lines that remember an agent for this desk (for messages, too)."""
    return f"[desks.{json.dumps(desk_key(url), ensure_ascii=False)}]"


def remember_agent(url: str, email: str, *, replace: bool = False) -> bool:
    """Remember `email` as you on the desk at `url`; unless `replace`, only when
    this desk has no entry yet. True when the file now says so."""
    current, scope = remembered_agent(url)
    if scope == "desk" and (current == email or not replace):
        return current == email
    path = config_path()
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_with_agent(before, desk_entry(url), email), encoding="utf-8")
    from helpdesk.errors import Invalid

    try:
        written = remembered_agent(url) == (email, "desk")
    except Invalid:
        written = False
    if not written:  # a hand-written layout this line-by-line edit cannot follow
        path.write_text(before, encoding="utf-8")
        raise Invalid(f"{path}: could not remember {email} for this desk; add {desk_entry(url)} agent = \"{email}\" by hand")
    return True


def _with_agent(text: str, header: str, email: str) -> str:
    """`text` with `agent = email` under `header`, the table added at the end if missing."""
    line = f"agent = {json.dumps(email, ensure_ascii=False)}"
    lines = text.splitlines()
    if header in (s.strip() for s in lines):
        start = next(i for i, s in enumerate(lines) if s.strip() == header)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
        for i in range(start + 1, end):
            if re.match(r"\s*agent\s*=", lines[i]):
                lines[i] = line
                break
        else:
            lines.insert(start + 1, line)
        return "\n".join(lines) + "\n"
    body = text.rstrip("\n")
    return (body + "\n\n" if body else "") + f"{header}\n{line}\n"

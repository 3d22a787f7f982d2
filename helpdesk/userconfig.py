"""Per-user settings on this machine (not shared): who I am, key bindings.

The file is TOML at $HELPDESK_CONFIG or <user config dir>/helpdesk/config.toml."""

from __future__ import annotations

import os
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


def set_agent_if_unset(email: str) -> bool:
    """Remember the acting agent for this user, unless one is already chosen."""
    if load().get("agent"):
        return False
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(f'agent = "{email}"\n' + existing, encoding="utf-8")
    return True


def acting_agent(explicit: str | None) -> str | None:
    """--as, else HELPDESK_AGENT, else the config file's `agent`."""
    return explicit or os.environ.get("HELPDESK_AGENT") or load().get("agent")

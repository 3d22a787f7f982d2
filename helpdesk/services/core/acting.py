"""Who "you" are on a desk: the first of `--as`, HELPDESK_AGENT and the agent the
user config remembers for this desk (or, from older releases, for every desk).

An agent named on purpose (`--as`, HELPDESK_AGENT) must exist; a remembered one
that is not on this desk is ignored with a hint, so reads work and the first
agent of an empty desk can still be added."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from helpdesk import userconfig
from helpdesk.services.core.actors import Actor, find_acting, nobody, resolve_actor

AS, ENV, CONFIG = "--as", "HELPDESK_AGENT", "config"


@dataclass(frozen=True)
class Acting:
    actor: Actor
    source: str | None  # AS, ENV, CONFIG, or None when nobody is set
    config: Path  # the user config file, tried last
    scope: str | None = None  # for CONFIG: "desk" (this desk's entry) or "global" (an old top-level `agent`)
    ignored: str | None = None  # a remembered agent who is not on this desk

    @property
    def hint(self) -> str | None:
        if self.ignored is None:
            return None
        return (f"note: {self.config} remembers {self.ignored!r} as you, who is not on this desk; "
                "ignored (see `helpdesk whoami`)")


def acting(session: Session, explicit: str | None, url: str) -> Acting:
    """The acting agent on the desk at `url`; raises NotFound for an unknown `--as` /
    HELPDESK_AGENT, naming which."""
    path = userconfig.config_path()
    if explicit:
        return Acting(resolve_actor(session, explicit, AS), AS, path)
    env = os.environ.get(ENV)
    if env:
        return Acting(resolve_actor(session, env, ENV), ENV, path)
    who, scope = userconfig.remembered_agent(url)
    if who is None:
        why = f"no agent is set for this desk (tried --as, HELPDESK_AGENT and {path}); use --as EMAIL or HELPDESK_AGENT"
        return Acting(nobody(why), None, path)
    if find_acting(session, who) is None:
        why = f"{path} remembers {who!r}, who is not on this desk; use --as EMAIL or HELPDESK_AGENT"
        return Acting(nobody(why), None, path, scope, ignored=who)
    return Acting(resolve_actor(session, who, str(path)), CONFIG, path, scope)

"""`helpdesk whoami`: who you act as on this desk, and why."""

from __future__ import annotations

from helpdesk import render
from helpdesk.commands.common import JSON, acting, desk


def whoami(json_out: bool = JSON) -> None:
    """Who you act as on this desk, and why.

    The first of --as, HELPDESK_AGENT, and the agent your config file remembers
    for this desk (--db); or, with nobody set, how to set someone.

    Example: helpdesk --db real.db whoami
    """
    from helpdesk.userconfig import desk_entry, desk_key

    with desk().read() as s:
        found = acting(s, hint=False)  # the output explains an ignored agent itself
    url = desk().url
    data = _as_dict(found, desk_key(url))
    if json_out:
        return render.emit_json(data)
    if data["agent"]:
        agent = data["agent"]
        print(f"you act as {agent['email']} ({agent['name']}, {agent['role']}) on {data['database']}")
        print(f"from {_source_text(found)}")
        return
    print(f"nobody: no agent is set for {data['database']}")
    if found.ignored:
        print(f"{found.config} remembers {found.ignored}, who is not on this desk (ignored)")
    print("to act as someone here: --as EMAIL (before the command), or HELPDESK_AGENT=EMAIL,")
    print("or `helpdesk agent add EMAIL --name NAME` on an empty desk (its first agent becomes you),")
    print(f"or remember one in {found.config}:")
    print(f'  {desk_entry(url)}\n  agent = "EMAIL"')


def _as_dict(found, database: str) -> dict:
    actor = found.actor
    return {
        "database": database,
        "agent": None if actor.anonymous else {"email": actor.email, "name": actor.name, "role": actor.role},
        "source": found.source,  # "--as", "HELPDESK_AGENT", "config", or null
        "scope": found.scope,  # for "config": "desk", or "global" (an old setting for every desk)
        "config": str(found.config),
        "ignored": found.ignored,  # a remembered agent who is not on this desk
    }


def _source_text(found) -> str:
    if found.source == "--as":
        return "--as"
    if found.source == "HELPDESK_AGENT":
        return "HELPDESK_AGENT"
    if found.scope == "global":
        return f"{found.config} (its top-level `agent`, an older setting for every desk)"
    return f"{found.config} (remembered for this desk)"

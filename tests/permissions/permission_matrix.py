"""Who may do what: the one table behind docs/permissions.md and tests/permissions/.

Every service entry point, every CLI command and every portal route has one row:
the door, its name, one code per role, and the rule in words. `test_permissions.py`
runs each row as each role and checks the code; it also lists the services, the
Typer commands and the Starlette routes, so a new one without a row fails.

    python tests/permissions/permission_matrix.py > docs/permissions.md

Codes: y allowed; n refused (service: Forbidden; CLI: exit 6 naming what and why;
portal: 404, the same page as for a ticket that does not exist); 3 refused before
anything runs (CLI exit 3: the acting agent named by --as / HELPDESK_AGENT is not on
the desk); 5 refused as invalid input (exit 5, the rule says why); - not applicable;
. not run by the test (the rule says why).
"""

from __future__ import annotations

from dataclasses import dataclass

# (key, heading): services use the first four, the CLI the first five, the portal the last two.
ROLES = ("admin", "agent", "viewer", "nobody", "ghost", "customer", "other")
HEADINGS = {
    "admin": "admin", "agent": "agent", "viewer": "viewer", "nobody": "no agent",
    "ghost": "--as unknown", "customer": "customer", "other": "other customer",
}
DOOR_ROLES = {
    "service": ("admin", "agent", "viewer", "nobody"),
    "cli": ("admin", "agent", "viewer", "nobody", "ghost"),
    "portal": ("customer", "other"),
}
SHOWN = {"y": "✓", "n": "✗", "3": "✗ 3", "5": "✗ 5", "-": "–", ".": "·"}


@dataclass(frozen=True)
class Row:
    door: str  # service | cli | portal
    name: str  # "tickets.lifecycle.create_ticket" | "ticket create" | "POST /t/{token}"
    codes: str  # one code per role of DOOR_ROLES[door]
    rule: str

    def code(self, role: str) -> str:
        roles = DOOR_ROLES[self.door]
        return self.codes[roles.index(role)] if role in roles else "-"


def _rows(door: str, text: str) -> list[Row]:
    """Rows from `name | codes | rule` lines (blank lines and # comments skipped)."""
    rows = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, codes, rule = (part.strip() for part in line.split("|", 2))
        assert len(codes) == len(DOOR_ROLES[door]), (door, name, codes)
        assert set(codes) <= set(SHOWN), (door, name, codes)
        rows.append(Row(door, name, codes, rule))
    return rows


# Services: admin agent viewer nobody. "nobody" is the Actor an unknown or unset agent
# becomes (`actors.nobody`): viewer rank, no agent id. "-" rows are plumbing: called only
# from inside an entry point that has already checked the role; never a door's call.
SERVICES = _rows("service", """
tickets.lifecycle.create_ticket | yynn | agents work tickets
tickets.lifecycle.update_ticket | yynn | agents work tickets
tickets.lifecycle.close_ticket | yynn | agents work tickets
tickets.lifecycle.reopen_ticket | yynn | agents work tickets
tickets.lifecycle.merge_tickets | yynn | agents work tickets
tickets.lifecycle.link_tickets | yynn | agents work tickets
tickets.lifecycle.touch | ---- | plumbing: the version/event step of every ticket write
tickets.lifecycle.touch_many | ---- | plumbing: the same for many tickets
tickets.conversation.add_agent_message | yynn | agents reply and write notes
tickets.conversation.post_agent_message | yynn | agents reply and write notes
tickets.conversation.add_customer_message | yynn | the mail and import doors call it as the system, the portal as the portal (agent rank); never a viewer
tickets.bulk.matching_ids | yyyy | reading: which tickets a query matches
tickets.bulk.update_many | yynn | agents work tickets
tickets.from_lines.create_from_lines | yynn | agents work tickets
tickets.export.export_tickets | yyyy | reading: anyone who may open the desk may read it
tickets.listing.find_tickets | yyyy | reading
tickets.listing.condition | yyyy | reading: a query as SQL (`assignee:me` needs an agent)
tickets.queues.list_queues | yyyy | reading: the app's queues
tickets.queues.count_tickets | yyyy | reading
tickets.queues.queue_counts | yyyy | reading
tickets.queues.read_rows | yyyy | reading
tickets.queues.count_before | yyyy | reading
tickets.queues.view_ids | yyyy | reading
tickets.views.add_view | yynn | own views: agents; shared views (--shared): admins only
tickets.views.add_view [shared] | ynnn | shared views: admins only
tickets.views.list_views | yyyy | reading: shared views and one's own
tickets.views.remove_view | yynn | own views: agents; shared views: admins only
people.agents.add_agent | ynnn | admins manage agents (the first agent of an empty desk excepted: it becomes the admin)
people.agents.update_agent | ynnn | admins manage agents; anyone may set themselves away or back
people.agents.update_agent [own role] | ynn- | nobody raises their own role (admins excepted)
people.agents.update_agent [away] | yyy- | anyone with an agent may set themselves away or back
people.agents.add_team | ynnn | admins manage teams
people.agents.update_team | ynnn | admins manage teams
people.contacts.add_contact | yynn | agents add contacts
people.contacts.requester_for | yynn | finds a contact, or adds one (agents)
people.history.contact_history | yyyy | reading: a customer in 360°
people.history.org_history | yyyy | reading
people.history.ticket_requester_360 | yyyy | reading
imports.run.run_import | yynn | agents import tickets
customers.notes.add_note | yynn | agents write notes about customers
customers.assets.add_asset | yynn | agents keep assets
customers.assets.update_asset | yynn | agents keep assets
customers.asset_import.import_asset_rows | yynn | agents import assets
customers.asset_import.import_assets | yynn | agents import assets
customers.articles.read_article | yyyy | reading the knowledge base
customers.articles.count_articles | yyyy | reading the knowledge base
customers.articles.list_articles | yyyy | reading the knowledge base
customers.articles.search_articles | yyyy | reading the knowledge base
customers.articles.add_article | yynn | agents write, publish and archive articles
customers.articles.edit_article | yynn | agents write articles
customers.articles.set_state | yynn | agents publish and archive articles
customers.articles.publish_article | yynn | agents publish articles
customers.articles.archive_article | yynn | agents archive articles
customers.articles.count_use | yynn | an agent used an article in a reply
customers.suggest.suggest_for_ticket | yyyy | reading: articles for a ticket
customers.suggest.draft_from_ticket | yynn | agents write articles
customers.suggest.reply_with_article | yynn | agents reply
customers.suggest.insert_article | yynn | agents reply (the app's composer)
customers.portal_links.agent_link | yynn | agents hand out a ticket's portal link
customers.portal_links.revoke | yynn | agents withdraw a ticket's portal links
customers.surveys.rate | yynn | agents record a rating taken by phone; the portal rates as the portal
collaboration.followers.follow | yyy5 | anyone with an agent follows a ticket (no agent: invalid, following belongs to an agent)
collaboration.followers.follow [another agent] | yynn | making another agent follow: agents
collaboration.followers.unfollow | yyy5 | as follow
collaboration.followers.add_follower | ---- | plumbing: follow and @mentions, which checked the role
collaboration.transfer.transfer_ticket | yynn | agents work tickets
mail.sides.start_side | yynn | agents write to third parties
mail.sides.write_side | yynn | agents write to third parties
mail.sides.close_side | yynn | agents close side conversations
sla.loading.load_policies | ynnn | admins change settings (SLA policies)
types.catalog.load_types_file | ynnn | admins change settings (request types)
types.stages.move_stage | yynn | agents work tickets (a stage with a team: its members only)
types.stages.enter | ---- | plumbing: move_stage and ticket changes entering a stage
types.approvals.approve | yynn | agents who are approvers of the stage (not the requester)
workflow.stored.load_rules_file | ynnn | admins change settings (rules)
workflow.stored.load_macros_file | ynnn | admins change settings (macros)
workflow.macros.apply_macro | yynn | agents work tickets
workflow.macros.apply_macro_many | yynn | agents work tickets
workflow.macros.preview_macro | yynn | agents, who may apply the macro (the preview runs it and rolls back)
workflow.macros.macro_text | ---- | plumbing: a macro's text for apply/preview
workflow.routing.route_now | yynn | agents serve waiting tickets now (routing on every change needs no one)
workflow.automations.run_now | yynn | agents run the automations ahead of the worker
workflow.automations.run_now [dry run] | yyyy | reading: what the automations would do (rolled back)
workflow.triggers.rehearse_rule | yyyy | reading: what a rule would do (rolled back)
workflow.actions.require_skills | ---- | plumbing: a rule or type asks for skills
insight.reports.scope | yyyy | reading: reports
insight.reports.dashboard | yyyy | reading: the app's dashboard
upkeep.doctor.repair_search | ynnn | admins repair the search index (`doctor --repair`); anyone may read the checks
core.settings.set_setting | ynnn | admins change settings
core.settings.unset_setting | ynnn | admins change settings
core.settings.store_loaded | ---- | plumbing: the loaders above, which checked the role
core.audit.record | ---- | plumbing: appends an event inside a checked write
desk.demo_build.create | ---- | plumbing: the demo desk, built as the system
""")

# CLI: admin agent viewer nobody ghost. "nobody": no --as, no HELPDESK_AGENT, and the
# user config names no agent of this desk. "ghost": --as (or HELPDESK_AGENT) names no agent.
CLI = _rows("cli", """
tui | ..... | the app: not run here; it calls the same services as the rows above
init | yyyyy | whoever may open the database file may create or upgrade it; `--demo` fills only an empty desk (no agents, no tickets), so its admin never joins a real desk
backup | yyyyy | whoever may open the database file may copy it (the file's permissions are the boundary)
migrate-db | ..... | whoever may open the database file and log in to the target server may copy the desk there (the file's and the server's permissions are the boundary); not run here: tests/services/upkeep/test_moving.py
import | yynn3 | agents import tickets
export | yyyy3 | reading
doctor | yyyyy | reading the desk's health: whoever may open the database file (exit 1 when a check finds a problem)
worker | yyyyy | the system's jobs (run as the system): whoever may open the database file
route | yynn3 | agents serve waiting tickets now
whoami | yyyy3 | says who you are, and why not when nobody; an unknown --as is named (exit 3)
notifications | yyy53 | one's own notifications: exit 5 when no agent is set (they belong to an agent)
ticket create | yynn3 | agents work tickets
ticket list | yyyy3 | reading
ticket show | yyyy3 | reading
ticket update | yynn3 | agents work tickets
ticket reply | yynn3 | agents work tickets
ticket note | yynn3 | agents work tickets
ticket close | yynn3 | agents work tickets
ticket reopen | yynn3 | agents work tickets
ticket merge | yynn3 | agents work tickets
ticket link | yynn3 | agents work tickets
ticket bulk | yynn3 | agents work tickets (the preview without --yes too)
ticket macro | yynn3 | agents work tickets
ticket stage | yynn3 | agents work tickets
ticket stages | yyyy3 | reading
ticket approve | yynn3 | approvers among the agents
ticket follow | yyy53 | anyone with an agent follows a ticket (no agent: exit 5)
ticket unfollow | yyy53 | as follow
ticket transfer | yynn3 | agents work tickets
ticket side | yynn3 | agents write to third parties
ticket sides | yyyy3 | reading
ticket rate | yynn3 | agents record a rating taken by phone
agent add | ynnn3 | admins manage agents
agent list | yyyy3 | reading
agent update | ynnn3 | admins manage agents (anyone may set themselves away or back)
team add | ynnn3 | admins manage teams
team list | yyyy3 | reading
team update | ynnn3 | admins manage teams
contact add | yynn3 | agents add contacts
contact list | yyyy3 | reading
contact show | yyyy3 | reading
contact note | yynn3 | agents write notes about customers
view add | yynn3 | own views: agents; --shared: admins
view list | yyyy3 | reading
view remove | ynnn3 | shared views: admins (an agent removes their own: see the service row)
config get | yyyy3 | reading (the portal's signing key is never shown)
config set | ynnn3 | admins change settings
config unset | ynnn3 | admins change settings
asset add | yynn3 | agents keep assets
asset update | yynn3 | agents keep assets
asset show | yyyy3 | reading
asset list | yyyy3 | reading
asset expiring | yyyy3 | reading
kb add | yynn3 | agents write articles
kb edit | yynn3 | agents write articles
kb publish | yynn3 | agents publish articles
kb archive | yynn3 | agents archive articles
kb list | yyyy3 | reading
kb search | yyyy3 | reading
kb show | yyyy3 | reading
kb suggest | yyyy3 | reading
kb from-ticket | yynn3 | agents write articles
macro load | ynnn3 | admins change settings
macro list | yyyy3 | reading
mail ingest | yyyyy | a channel: mail arrives as the system (e.g. piped from the mail server, with no agent)
mail fetch | yyyyy | a channel: the system's job, as the worker runs it (the test desk has no server: exit 5 for every role)
mail send | yyyyy | the system's job: sends what agents queued (the test desk has no server: exit 5 for every role)
mail outbox | yyyy3 | reading
org show | yyyy3 | reading
org note | yynn3 | agents write notes about customers
portal link | yynn3 | agents hand out a ticket's portal link
portal revoke | yynn3 | agents withdraw a ticket's portal links
report summary | yyyy3 | reading
report agents | yyyy3 | reading
report heatmap | yyyy3 | reading
report backlog | yyyy3 | reading
rules load | ynnn3 | admins change settings
rules list | yyyy3 | reading
rules test | yyyy3 | reading (the rule runs and is rolled back)
rules run | yynn3 | agents run the automations now (--dry-run: anyone who may read)
sla load | ynnn3 | admins change settings
sla policies | yyyy3 | reading
sla status | yyyy3 | reading
sla notifications | yyy53 | one's own notifications: exit 5 when no agent is set
type load | ynnn3 | admins change settings
type list | yyyy3 | reading
type show | yyyy3 | reading
""")

# Portal: customer = the requester with their own signed link; other = anyone else: a
# link signed for another ticket, another purpose, a revoked or expired one, a forged or
# guessed token. "other" answers exactly like a ticket that does not exist.
PORTAL = _rows("portal", """
GET / | yy | anyone: the track form
POST / | yy | anyone: the answer is the same for a right and a wrong number and email; the link goes only to the requester's mail
GET /t/{token} | yn | the ticket's own link only; anything else is the 404 of a missing ticket
POST /t/{token} | yn | the ticket's own link only (and the CSRF token); nothing is written otherwise
GET /request | yy | anyone: the request form
POST /request | yy | anyone: a new ticket (rate limited per address)
GET /survey/{token} | yn | the ticket's own survey link only
POST /survey/{token} | yn | the ticket's own survey link only; nothing is written otherwise
GET /kb | yy | anyone: published articles only
GET /kb/{article} | yn | published articles only; a draft, internal or archived one is the 404 of a missing one
POST /kb/{article} | yn | feedback on published articles only
GET /healthz | yy | anyone: ok or 503
GET /static/portal.css | yy | anyone
""")

MATRIX: list[Row] = SERVICES + CLI + PORTAL


def _table(rows: list[Row], door: str, label: str) -> list[str]:
    roles = DOOR_ROLES[door]
    out = [f"| {label} | " + " | ".join(HEADINGS[r] for r in roles) + " | rule |",
           "|---|" + "---|" * len(roles) + "---|"]
    for row in rows:
        cells = " | ".join(SHOWN[row.code(r)] for r in roles)
        out.append(f"| `{row.name}` | {cells} | {row.rule} |")
    return out


def render() -> str:
    """docs/permissions.md, whole."""
    lines = [
        "# Permissions",
        "",
        "Who may do what, door by door. This page is generated from the table the tests run",
        "(`tests/permissions/permission_matrix.py`; `python tests/permissions/permission_matrix.py",
        "> docs/permissions.md`), and `tests/permissions/test_permissions.py` runs every row as every",
        "role: a new service entry point, CLI command or portal route without a row fails the suite.",
        "",
        "## Roles",
        "",
        "- **admin**: everything an agent may, plus agents, teams and settings (`config set`, SLA",
        "  policies, request types, rules, macros, shared views).",
        "- **agent**: works tickets (create, reply, note, update, close, merge, stages, approvals,",
        "  transfers, side conversations), contacts, notes, assets and knowledge-base articles.",
        "- **viewer**: reads everything an agent reads; follows tickets and sets themselves away;",
        "  writes nothing else.",
        "- **no agent**: no `--as`, no `HELPDESK_AGENT`, and the user config names no agent of this desk",
        "  (or one who is not on it). Reads like a viewer; every write is refused (exit 6) with the",
        "  sources tried. The first agent of an empty desk can always be added (it becomes the admin).",
        "- **--as unknown**: `--as` or `HELPDESK_AGENT` names no agent of this desk. Refused before",
        "  anything runs (exit 3), naming where the name came from; commands that never ask who you",
        "  are (init, backup, worker, mail) run as usual.",
        "- **customer**: the requester through the portal with the signed link of their own ticket",
        "  (mailed to them, or handed out with `helpdesk portal link`).",
        "- **other customer**: anyone else on the portal: another ticket's link, a link of the other",
        "  kind (a survey link on a status page), a revoked or expired link, a forged or guessed token.",
        "  They get the very page a missing ticket gets (404), so nothing tells whether a ticket or an",
        "  account exists.",
        "",
        "The system (the worker, rules, routing, mail intake) acts as `system` with admin rank; the",
        "portal records its changes as `portal` with agent rank.",
        "",
        "Codes: ✓ allowed; ✗ refused (service: `Forbidden`; CLI: exit 6 and one line naming what is",
        "refused and why, e.g. `only agents may work tickets; vic@example.com is viewer`; portal: 404);",
        "✗ 3 refused as not found (exit 3); ✗ 5 refused as invalid (exit 5); – not applicable;",
        "· not run by the test (see its rule).",
        "",
        "Rules are enforced in the service layer (`services/core/actors.require`), so the CLI, the",
        "app, the worker, mail and the portal obey the same table.",
        "",
        "## Service entry points",
        "",
        "Every public function of `helpdesk/services/` that takes `(session, actor)`. Rows marked –",
        "are plumbing, called only inside an entry point that checked the role already.",
        "",
        *_table(SERVICES, "service", "function"),
        "",
        "## CLI commands",
        "",
        *_table(CLI, "cli", "command"),
        "",
        "## Portal routes",
        "",
        "The portal has no staff login: the staff columns do not apply.",
        "",
        *_table(PORTAL, "portal", "route"),
        "",
        "## The audit trail is append-only",
        "",
        "No service updates or deletes an `event` row. `tests/permissions/test_audit_trail.py` runs a",
        "broad set of operations (the whole matrix above among them) with database triggers that refuse",
        "any UPDATE or DELETE of `event`. The database refuses a DELETE of an event itself (migration",
        "0013: an SQLite trigger, a PostgreSQL trigger function), since nothing in the desk deletes",
        "events: there is no ticket or contact delete, a merge keeps both tickets' events, and there is",
        "no redaction. UPDATE stays allowed in the database for one caller: the demo desk (`init",
        "--demo`) gives the events it has just written the story's times, inside the same",
        "transaction, before anyone sees them.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")

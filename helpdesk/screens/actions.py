"""What an agent does to tickets, shared by the queue and the ticket screens.

A screen mixes in `TicketActions` and says which tickets an action targets
(`targets()`: the marked rows, else the one under the cursor). Every change runs
in the app's write worker through a service, with `if_version` so a ticket
someone else changed meanwhile is refused, never silently overwritten."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.binding import Binding

from helpdesk.screens.confirm import ConfirmScreen
from helpdesk.screens.picker import Choice, PickerScreen
from helpdesk.screens.prompt import PromptScreen

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")

ACTION_BINDINGS = [
    Binding("a", "assign", "Assign", id="ticket.assign"),
    Binding("s", "status", "Status", id="ticket.status"),
    Binding("p", "priority", "Priority", id="ticket.priority"),
    Binding("t", "tags", "Tags", id="ticket.tags"),
    Binding("r", "reply", "Reply", id="ticket.reply"),
    Binding("n", "note", "Note", id="ticket.note"),
    Binding("m", "macro", "Macro", id="ticket.macro"),
    Binding("x", "close_ticket", "Close", id="ticket.close"),
    Binding("R", "reopen", "Reopen", show=False, id="ticket.reopen"),
    Binding("M", "merge", "Merge", show=False, id="ticket.merge"),
    Binding("L", "link", "Link", show=False, id="ticket.link"),
    Binding("S", "side", "Side conversation", show=False, id="ticket.side"),
    Binding("c", "customer", "Customer", show=False, id="ticket.customer"),  # the requester in 360° (screens/customer.py)
]

# (action, title, help) for the command palette
PALETTE = [
    ("assign", "Assign…", "Give the ticket(s) to an agent (marked rows, else the current one)"),
    ("status", "Set status…", "new, open, pending, on hold, solved, closed"),
    ("priority", "Set priority…", "low, normal, high, urgent"),
    ("tags", "Add or remove a tag…", "Type a tag; -tag removes it"),
    ("reply", "Reply…", "Write a public reply to the requester"),
    ("note", "Internal note…", "Write a note only agents see"),
    ("macro", "Apply a macro…", "A canned reply or note with its changes (marked rows, else the current one)"),
    ("close_ticket", "Close", "Close the ticket(s)"),
    ("reopen", "Reopen", "Reopen a solved or closed ticket"),
    ("merge", "Merge into…", "Merge this ticket into another one"),
    ("link", "Link to…", "Link this ticket to another one"),
    ("side", "Side conversation…", "Mail a third party about the ticket, apart from the customer (S)"),
]


@dataclass(frozen=True)
class Targets:
    ids: list[int]
    versions: dict[int, int] = field(default_factory=dict)
    batch: bool = False
    subject: str = ""
    tags: tuple[str, ...] = ()  # current tags when known (single ticket)

    @property
    def label(self) -> str:
        return f"{len(self.ids)} tickets" if self.batch else f"#{self.ids[0]}"


def describe_single(ticket_id: int, diff: dict) -> str:
    if not diff:
        return f"#{ticket_id}: nothing changed"
    parts = [f"{name} → {_shown(new)}" for name, (_, new) in diff.items()]
    return f"#{ticket_id}: " + ", ".join(parts)


def describe_macro(ticket_id: int, name: str, changed: dict) -> str:
    """'#12: macro still-waiting: reply sent, status → pending'."""
    parts = ["reply sent" if "reply" in changed else "note added" if "note" in changed else ""]
    parts += [f"{k} → {_shown(new)}" for k, (_, new) in changed.items() if k not in ("reply", "note")]
    parts = [p for p in parts if p]
    return f"#{ticket_id}: macro {name}" + (": " + ", ".join(parts) if parts else " (nothing changed)")


def describe_bulk(result, what: str) -> str:
    """'status → solved on 11 tickets; 1 unchanged; 1 skipped (#5 changed since version 3 ...)'."""
    text = f"{what} on {len(result.changed)} ticket{'s' if len(result.changed) != 1 else ''}"
    if result.unchanged:
        text += f"; {len(result.unchanged)} unchanged"
    if result.skipped:
        first_id, why = next(iter(result.skipped.items()))
        text += f"; {len(result.skipped)} skipped ({why})"
    return text


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


class TicketActions:
    """Mixin for screens; needs `targets(single=False) -> Targets | None` and an `app` (HelpdeskApp)."""

    def targets(self, single: bool = False) -> Targets | None:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    def _targets(self, single: bool = False) -> Targets | None:
        t = self.targets(single)
        if t is None or not t.ids:
            self.app.notify("No ticket here.", severity="warning")
            return None
        return t

    # -- field changes -----------------------------------------------------------

    def action_assign(self) -> None:
        if not (t := self._targets()):
            return
        me = self.app.actor
        load = self.app.reference.workload

        def hint(email: str) -> str:  # "bob@example.com · 3/5 · away": who has room, who is away
            return " · ".join(p for p in (email, load.get(email, "")) if p)

        choices = [Choice("Me", me.email, hint(me.email))] if me.agent_id else []
        choices += [Choice(name, email, hint(email)) for email, name in self.app.reference.agents if email != me.email]
        choices.append(Choice("Nobody (unassign)", ""))
        self.app.push_screen(PickerScreen(f"Assign {t.label} to", choices),
                             lambda v: v is not None and self.change(t, {"assignee": v or None},
                                                                     f"assignee → {v or 'nobody'}"))

    def action_status(self) -> None:
        if not (t := self._targets()):
            return
        choices = [Choice(s.replace("_", " "), s) for s in STATUSES]
        self.app.push_screen(PickerScreen(f"Status of {t.label}", choices),
                             lambda v: v and self.change(t, {"status": v}, f"status → {v}"))

    def action_priority(self) -> None:
        if not (t := self._targets()):
            return
        choices = [Choice(p, p) for p in PRIORITIES]
        self.app.push_screen(PickerScreen(f"Priority of {t.label}", choices),
                             lambda v: v and self.change(t, {"priority": v}, f"priority → {v}"))

    def action_tags(self) -> None:
        if not (t := self._targets()):
            return
        have = set(t.tags)
        choices = [Choice(f"− remove {tag}", ("remove", tag)) for tag in sorted(have)]
        choices += [Choice(f"+ add {tag}", ("add", tag)) for tag in self.app.reference.tags if tag not in have]

        def typed(text: str) -> Choice | None:
            if text.startswith("-") and len(text) > 1:
                return Choice(f"− remove {text[1:]}", ("remove", text[1:].lower()))
            return Choice(f"+ add new tag {text}", ("add", text.lower())) if text else None

        def picked(value) -> None:
            if value:
                how, tag = value
                key = "add_tags" if how == "add" else "remove_tags"
                self.change(t, {key: [tag]}, f"tag {'+' if how == 'add' else '−'}{tag}")

        self.app.push_screen(PickerScreen(f"Tags of {t.label}", choices, new_choice=typed), picked)

    def action_macro(self) -> None:
        if not (t := self._targets()):
            return
        macros = self.app.reference.macros
        if not macros:
            self.app.notify("No macros loaded (helpdesk macro load FILE; an example: data/macros.example.toml).",
                            severity="warning", markup=False)
            return
        choices = [Choice(name, name, what) for name, what in macros]
        self.app.push_screen(PickerScreen(f"Macro for {t.label}", choices),
                             lambda name: name and self.apply_macro(t, name))

    def apply_macro(self, t: Targets, name: str) -> None:
        if not t.batch:
            tid, version = t.ids[0], t.versions.get(t.ids[0])

            def one(s, actor):
                from helpdesk.services.workflow.macros import apply_macro

                changed = apply_macro(s, actor, tid, name, if_version=version)["changed"]
                return describe_macro(tid, name, changed)

            self.app.run_change(one, t.ids)
            return

        def many(s, actor):
            from helpdesk.services.workflow.macros import apply_macro_many

            return describe_bulk(apply_macro_many(s, actor, t.ids, name, versions=t.versions), f"macro {name}")

        self.confirm_batch(t, f"macro {name}", many)

    def change(self, t: Targets, fields: dict, what: str) -> None:
        """Apply one change to the targets: a batch asks first and runs in one transaction."""
        from helpdesk.services.tickets.lifecycle import TicketChanges

        changes = TicketChanges(**fields)
        if not t.batch:
            tid, version = t.ids[0], t.versions.get(t.ids[0])

            def one(s, actor):
                from helpdesk.services.tickets.lifecycle import update_ticket

                return describe_single(tid, update_ticket(s, actor, tid, changes, if_version=version))

            self.app.run_change(one, t.ids)
            return

        def many(s, actor):
            from helpdesk.services.tickets.bulk import update_many

            return describe_bulk(update_many(s, actor, t.ids, changes, versions=t.versions), what)

        self.confirm_batch(t, what, many)

    def confirm_batch(self, t: Targets, what: str, fn) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.app.run_change(fn, t.ids, batch=True)

        self.app.push_screen(ConfirmScreen(f"Apply {what} to {len(t.ids)} marked tickets?",
                                           "All in one change; tickets someone else changed meanwhile are skipped."),
                             answer)

    # -- lifecycle ---------------------------------------------------------------

    def action_close_ticket(self) -> None:
        if not (t := self._targets()):
            return
        if t.batch:
            self.change(t, {"status": "closed"}, "closed")
            return
        tid, version = t.ids[0], t.versions.get(t.ids[0])

        def close(s, actor):
            from helpdesk.services.tickets.lifecycle import close_ticket

            return f"#{tid} closed" if close_ticket(s, actor, tid, if_version=version) else f"#{tid} was already closed"

        self.app.run_change(close, [tid])

    def action_reopen(self) -> None:
        if not (t := self._targets(single=True)):
            return
        tid, version = t.ids[0], t.versions.get(t.ids[0])

        def reopen(s, actor):
            from helpdesk.services.tickets.lifecycle import reopen_ticket

            reopen_ticket(s, actor, tid, if_version=version)
            return f"#{tid} reopened"

        self.app.run_change(reopen, [tid])

    def action_merge(self) -> None:
        if not (t := self._targets(single=True)):
            return
        tid = t.ids[0]

        def into(text: str | None) -> None:
            target = _number(self.app, text)
            if target is None:
                return
            self.app.push_screen(ConfirmScreen(f"Merge #{tid} into #{target}?",
                                               f"#{tid} is closed and its conversation moves to #{target}."),
                                 lambda yes: yes and self.app.run_change(_merge(tid, t.versions.get(tid), target),
                                                                         [tid, target]))

        self.app.push_screen(PromptScreen(f"Merge #{tid} into ticket number:", placeholder="#123"), into)

    def action_link(self) -> None:
        if not (t := self._targets(single=True)):
            return
        tid = t.ids[0]

        def other(text: str | None) -> None:
            target = _number(self.app, text)
            if target is not None:
                self.app.run_change(_link(tid, t.versions.get(tid), target), [tid, target])

        self.app.push_screen(PromptScreen(f"Link #{tid} to ticket number:", placeholder="#123"), other)

    # -- conversation ------------------------------------------------------------

    def action_reply(self) -> None:
        self._write_message("reply")

    def action_note(self) -> None:
        self._write_message("note")

    def action_customer(self) -> None:
        from helpdesk.screens.customer import CustomerScreen

        if t := self._targets(single=True):
            self.app.push_screen(CustomerScreen(t.ids[0]))

    def _write_message(self, kind: str) -> None:
        from helpdesk.screens.compose import ComposeScreen

        if not (t := self._targets(single=True)):
            return
        tid = t.ids[0]
        self.app.push_screen(ComposeScreen(tid, t.subject, t.versions.get(tid), kind))


    def action_side(self) -> None:
        """Start a side conversation by mail with a third party, or write into one of the ticket's."""
        from helpdesk.services.mail.sides import sides_of

        if not (t := self._targets(single=True)):
            return
        tid = t.ids[0]
        with self.app.desk.read() as s:
            found = [(x.id, x.subject, list(x.participants), x.state) for x in sides_of(s, tid)]
        if not found:
            self._side_recipients(t)
            return
        choices = [Choice("New side conversation…", "new", "mail someone else about this ticket")]
        choices += [Choice(f"#{sid} {subject}", sid, f"{state} · {', '.join(to)}") for sid, subject, to, state in found]

        def picked(value) -> None:
            if value == "new":
                self._side_recipients(t)
            elif value is not None:
                self._write_side(t, side_id=value)

        self.app.push_screen(PickerScreen(f"Side conversations of #{tid}", choices), picked)

    def _side_recipients(self, t: Targets) -> None:
        tid = t.ids[0]

        def typed(text: str | None) -> None:
            if not text:
                return
            from helpdesk.errors import HelpdeskError
            from helpdesk.services.mail.sides import clean_recipients
            from helpdesk.services.tickets.lifecycle import get_ticket

            try:  # a bad address or the requester is refused here, before any text is written
                with self.app.desk.read() as s:
                    to = clean_recipients(s, get_ticket(s, tid), [text])
            except HelpdeskError as exc:
                self.app.notify(exc.message, severity="error", markup=False)
                return
            if to:
                self._write_side(t, to=to)

        self.app.push_screen(PromptScreen(f"Side conversation on #{tid} with (never the requester):",
                                          placeholder="warehouse@example.com, finance@example.com"), typed)

    def _write_side(self, t: Targets, *, to: list[str] | None = None, side_id: int | None = None) -> None:
        from helpdesk.screens.compose import ComposeScreen

        tid = t.ids[0]
        self.app.push_screen(ComposeScreen(tid, t.subject, t.versions.get(tid), "side", to=to, side_id=side_id))


def _number(app, text: str | None) -> int | None:
    if not text:
        return None
    digits = text.strip().lstrip("#")
    if not digits.isdigit():
        app.notify(f"{text!r} is not a ticket number", severity="error")
        return None
    return int(digits)


def _merge(source: int, version: int | None, target: int):
    def merge(s, actor):
        from helpdesk.services.tickets.lifecycle import (
            check_version,
            get_ticket,
            merge_tickets,
        )

        check_version(get_ticket(s, source), version, s)
        merge_tickets(s, actor, source, target)
        return f"#{source} merged into #{target}"

    return merge


def _link(ticket_id: int, version: int | None, other: int):
    def link(s, actor):
        from helpdesk.services.tickets.lifecycle import (
            check_version,
            get_ticket,
            link_tickets,
        )

        check_version(get_ticket(s, ticket_id), version, s)
        linked = link_tickets(s, actor, ticket_id, other)
        return f"#{ticket_id} linked to #{other}" if linked else f"#{ticket_id} was already linked to #{other}"

    return link

"""`f`: edit one ticket's typed fields, each with the widget its kind wants.

choice → Select, multi → SelectionList, number and date → Input checked as you type
(the same rules the service applies, `request_types.check_value`), bool → Checkbox,
text → Input. ctrl+s saves only what changed, through `update_ticket` with the
version the form was read at: the service has the last word (a bad value, a required
field left empty, someone else's change), its refusal is a notification and the form
stays open with what was typed; nothing is written."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.validation import Function
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from helpdesk.errors import Invalid
from helpdesk.request_types import FieldSpec, check_value
from helpdesk.text import literal

PLACEHOLDERS = {"number": "a number", "date": "YYYY-MM-DD, e.g. 2026-03-05", "text": ""}


def spec_of(field: dict) -> FieldSpec:
    """The FieldSpec back from its JSON shape (services/types/form.ticket_form)."""
    return FieldSpec(field["key"], field["kind"], field.get("label") or "", bool(field.get("required")),
                     tuple(field.get("required_for") or ()), field.get("min"), field.get("max"),
                     tuple(field.get("options") or ()))


def acceptable(spec: FieldSpec, text: str) -> bool:
    if not text.strip():
        return True  # empty clears; the service says whether the field may be empty
    try:
        check_value(spec, text)
    except Invalid:
        return False
    return True


def split_multi(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


class FieldsScreen(ModalScreen[bool]):
    """Dismisses with True once saved, False when cancelled or nothing changed."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="fields.save"),
        Binding("escape", "cancel", "Cancel", id="fields.cancel"),
    ]

    class Saved(Message):
        def __init__(self, summary: str) -> None:
            super().__init__()
            self.summary = summary

    class Refused(Message):
        def __init__(self, text: str, version: int | None) -> None:
            super().__init__()
            self.text, self.version = text, version

    def __init__(self, ticket_id: int, form: dict, version: int | None) -> None:
        super().__init__(classes="dialog")
        self.ticket_id, self.form, self.version = ticket_id, form, version
        self.fields = [f for f in form.get("fields") or []]
        self.saving = False

    def compose(self):
        with Vertical(id="fields", classes="dialog-box"):
            yield Static(Text(f"Fields of #{self.ticket_id} · ") + Text(literal(self.form["type"])),
                         classes="dialog-title")
            with VerticalScroll(id="fields-form"):
                for n, field in enumerate(self.fields):
                    yield from self._row(n, field)
            yield Static(Text("ctrl+s saves · esc cancels · tab moves", "dim"), classes="dialog-keys")

    def _row(self, n: int, field: dict):
        spec, value = spec_of(field), field.get("value")
        label = Text(literal(field.get("label") or spec.key))
        if spec.required:
            label.append(" *", "bold")
        elif spec.required_for:
            label.append(f"  needed to be {' / '.join(spec.required_for)}", "dim")
        wid = f"field-{n}"
        if spec.kind == "bool":
            yield Checkbox(label, value=value == "true", id=wid, classes="field-input")
            return
        yield Label(label, classes="field-label")
        if spec.kind == "choice":
            options = [(Text(literal(o)), o) for o in spec.options]
            if value and value not in spec.options:  # held from before the options changed: kept unless changed
                options.append((Text(literal(value)) + Text(" (no longer an option)", "dim"), value))
            yield Select(options, value=value or Select.NULL, prompt="—", id=wid, classes="field-input",
                         compact=True)
        elif spec.kind == "multi":
            chosen = split_multi(value)
            items = [(Text(literal(o)), o, o in chosen) for o in spec.options]
            items += [(Text(literal(o)) + Text(" (no longer an option)", "dim"), o, True)
                      for o in chosen if o not in spec.options]
            yield SelectionList[str](*items, id=wid, classes="field-input field-multi")
        else:
            hint = PLACEHOLDERS.get(spec.kind, "")
            if spec.kind == "number" and (spec.min is not None or spec.max is not None):
                bounds = [f"≥ {spec.min:g}"] if spec.min is not None else []
                bounds += [f"≤ {spec.max:g}"] if spec.max is not None else []
                hint += f" ({', '.join(bounds)})"
            validators = [] if spec.kind == "text" else [
                Function(lambda text, s=spec: acceptable(s, text), f"not a valid {spec.kind}")]
            yield Input(value=value or "", placeholder=hint, validators=validators, id=wid,
                        classes=f"field-input -{spec.kind}", compact=True)

    def on_mount(self) -> None:
        first = self.query(".field-input")
        if first:
            first.first().focus()

    # -- what changed -------------------------------------------------------------

    def changes(self) -> dict[str, str | None]:
        """{key: new value or None to clear} for the fields whose value the form changed."""
        out: dict[str, str | None] = {}
        for n, field in enumerate(self.fields):
            spec, before = spec_of(field), field.get("value") or None
            widget = self.query_one(f"#field-{n}")
            if isinstance(widget, Checkbox):
                after = "true" if widget.value else "false"
                if before is None and not widget.value:
                    continue  # never set, still unticked: leave it unset
            elif isinstance(widget, Select):
                after = None if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, SelectionList):
                picked = set(widget.selected)
                if picked == set(split_multi(before)):
                    continue
                kept = [o for o in split_multi(before) if o in picked and o not in spec.options]
                after = ", ".join([*(o for o in spec.options if o in picked), *kept]) or None
            else:
                after = widget.value.strip() or None
            if after != before:
                out[spec.key] = after
        return out

    # -- saving ---------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        changed = self.changes()
        if not changed:
            self.notify("Nothing changed.", severity="warning")
            return
        self.saving = True
        self.save(changed, self.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="fields")
    def save(self, changed: dict, version: int | None) -> None:
        from helpdesk.errors import Conflict, HelpdeskError
        from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

        app, tid = self.app, self.ticket_id
        try:
            diff = app.desk.write(lambda s: update_ticket(s, app.actor, tid, TicketChanges(fields=changed),
                                                          if_version=version))
        except Conflict as exc:
            self.post_message(self.Refused(exc.message, app.current_version(tid)))
            return
        except HelpdeskError as exc:
            self.post_message(self.Refused(exc.message, None))
            return
        changed_now = [f"{name.removeprefix('field.')} → {new if new is not None else 'none'}"
                       for name, (_, new) in diff.items()]
        self.post_message(self.Saved(f"#{tid}: " + (", ".join(changed_now) or "nothing changed")))

    def on_fields_screen_saved(self, message: Saved) -> None:
        self.saving = False
        self.app.notify(message.summary, markup=False)
        self.app.desk_changed_here()
        self.dismiss(True)

    def on_fields_screen_refused(self, message: Refused) -> None:
        self.saving = False
        text = message.text
        if message.version is not None:  # someone else changed it: say so; a second ctrl+s saves over it
            self.version = message.version
            text += " — your values are kept; press ctrl+s again to save them anyway."
        self.app.notify(text, title="Not saved", severity="error", timeout=10, markup=False)

    def action_cancel(self) -> None:
        self.dismiss(False)

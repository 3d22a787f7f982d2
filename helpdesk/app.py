"""The Textual app: the screen an agent keeps open all day.

The app owns the opened desk, the acting agent, the one-second clock that ticks
SLA countdowns, the change poll (rescheduled after each poll finishes) and the
write worker every screen's changes go through. Services are imported inside
workers, so the first rows reach the screen before the heavy modules load."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from helpdesk.models import utcnow
from helpdesk.widgets.cells import Palette

POLL_SECONDS = 2.0


@dataclass
class Reference:
    """Small lists the pickers open with instantly: assignable agents and tags in use."""

    agents: list[tuple[str, str]] = field(default_factory=list)  # (email, name)
    tags: list[str] = field(default_factory=list)
    workload: dict[str, str] = field(default_factory=dict)  # email -> "3/5 · away"
    macros: list[tuple[str, str]] = field(default_factory=list)  # (name, what it does)


class DeskOpened(Message):
    def __init__(self, desk, actor, reference: Reference, stamp, problem: str | None,
                 unread: tuple[int, int] = (0, 0)) -> None:
        super().__init__()
        self.desk, self.actor, self.reference, self.stamp, self.problem = desk, actor, reference, stamp, problem
        self.unread = unread  # (how many, the newest id): the badge starts there, toasts after it


class Polled(Message):
    def __init__(self, stamp, changed: set[int], alerts: list[str], reference: Reference | None,
                 unread: int = 0) -> None:
        super().__init__()
        self.stamp, self.changed, self.alerts, self.reference = stamp, changed, alerts, reference
        self.unread = unread


class ChangeDone(Message):
    def __init__(self, summary: str, ids: list[int], batch: bool) -> None:
        super().__init__()
        self.summary, self.ids, self.batch = summary, ids, batch


class ChangeRefused(Message):
    def __init__(self, message: str, ids: list[int]) -> None:
        super().__init__()
        self.message, self.ids = message, ids


class HelpdeskApp(App):
    """`HelpdeskApp()` opens the database the CLI would use (HELPDESK_DB, else the default file)."""

    CSS_PATH = "app.tcss"
    TITLE = "helpdesk"
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("N", "notifications", "Notifications", show=False, id="app.notifications"),
    ]

    now: reactive[datetime] = reactive(utcnow, init=False)

    def __init__(self, db: str | None = None, who: str | None = None, *, desk=None, background: bool = True,
                 poll_seconds: float = POLL_SECONDS, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self.db, self.who, self.desk = db, who, desk
        self._own_desk = desk is None
        self.background, self.poll_seconds, self.clock = background, poll_seconds, clock
        self.actor = None
        self.reference = Reference()
        self.palette = Palette()
        self.keymap: dict[str, str] = {}
        self.stamp = None
        self.scheduler = None
        self.sla_seen: dict[int, tuple[str, str]] | None = None
        self.last_notification = 0
        self.unread = 0
        self.set_reactive(HelpdeskApp.now, clock())

    # -- start and stop ----------------------------------------------------------

    def on_mount(self) -> None:
        self._load_user_config()
        self.palette = Palette.from_theme(self.current_theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.clock_timer = self.set_interval(1, self._tick, name="clock")
        self.open_desk()

    def get_default_screen(self) -> Screen:
        from helpdesk.screens.queue import QueueScreen

        return QueueScreen()

    def _load_user_config(self) -> None:
        from helpdesk import userconfig
        from helpdesk.errors import Invalid

        try:
            config = userconfig.load()
        except Invalid as exc:
            self.notify(exc.message, severity="error", timeout=10)
            return
        keys = config.get("keys") or {}
        self.keymap = {str(k): str(v) for k, v in keys.items()} if isinstance(keys, dict) else {}
        if self.keymap:
            self.set_keymap(self.keymap)
        theme = config.get("theme")
        if theme and theme in self.available_themes:
            self.theme = theme

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_desk(self) -> None:
        from helpdesk.errors import HelpdeskError
        from helpdesk.services.core.acting import acting
        from helpdesk.services.core.actors import ANONYMOUS
        from helpdesk.services.core.changes import desk_stamp

        if self.desk is None:
            from helpdesk.db import open_desk

            self.desk = open_desk(self.db)
        problem = None
        with self.desk.read() as s:
            try:
                found = acting(s, self.who, self.desk.url)
                actor, problem = found.actor, found.hint
            except HelpdeskError as exc:
                actor, problem = ANONYMOUS, exc.message
            if actor.anonymous and problem is None:
                problem = "No acting agent: you can read but not change tickets (set HELPDESK_AGENT or run with --as)."
            stamp = desk_stamp(s)
            reference = self._read_reference(s)
            unread = self._unread(s, actor)
        self.post_message(DeskOpened(self.desk, actor, reference, stamp, problem, unread))

    @staticmethod
    def _unread(s, actor) -> tuple[int, int]:
        from helpdesk.services.core import notifications

        if getattr(actor, "agent_id", None) is None:
            return 0, 0
        newest = notifications.recent(s, actor.agent_id, 1)
        return notifications.unread_count(s, actor.agent_id), newest[0].id if newest else 0

    @staticmethod
    def _read_reference(s) -> Reference:
        from helpdesk.services.people.agents import agent_loads
        from helpdesk.services.tickets.queues import assignable_agents, known_tags
        from helpdesk.services.workflow.macros import macro_choices

        agents, loads = assignable_agents(s), agent_loads(s)
        workload = {a.email: f"{loads.get(a.id, 0)}/{a.capacity if a.capacity is not None else '-'}"
                    + (" · away" if a.away else "") for a in agents}
        return Reference([(a.email, a.name) for a in agents], known_tags(s), workload, macro_choices(s))

    def on_desk_opened(self, message: DeskOpened) -> None:
        self.desk, self.actor, self.reference, self.stamp = message.desk, message.actor, message.reference, message.stamp
        if message.problem:
            self.notify(message.problem, severity="warning", timeout=8)
        count, self.last_notification = message.unread
        self.call_after_refresh(self.show_unread, count)
        for screen in self.screen_stack:
            if hasattr(screen, "start"):
                screen.start()
        self.set_timer(self.poll_seconds, self.poll, name="poll")
        if self.background:
            self.call_after_refresh(self._start_scheduler)

    def _start_scheduler(self) -> None:
        try:
            from helpdesk.scheduler import start_background
        except ImportError:
            return
        self.scheduler = start_background(self.desk)

    def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.desk is not None and self._own_desk:
            self.desk.close()

    # -- time and live changes ---------------------------------------------------

    def _tick(self) -> None:
        self.now = self.clock()

    def watch_now(self, now: datetime) -> None:
        for screen in self.screen_stack:
            if hasattr(screen, "tick"):
                screen.tick(now)

    def _theme_changed(self, theme) -> None:
        self.palette = Palette.from_theme(theme)
        self.desk_changed_here()

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll(self) -> None:
        """One cheap look at the desk; the next is scheduled when this one has finished."""
        from helpdesk.services.core.changes import changed_tickets, desk_stamp

        with self.desk.read() as s:
            stamp = desk_stamp(s)
            changed = changed_tickets(s, self.stamp.last_event) if stamp != self.stamp else set()
            reference = self._read_reference(s) if stamp != self.stamp else None
            alerts = self._alerts(s, stamp)
            unread = self._unread(s, self.actor)[0]
        self.post_message(Polled(stamp, changed, alerts, reference, unread))

    def _alerts(self, s, stamp) -> list[str]:
        """My new notifications (SLA, mentions, followed tickets, ...), toasted once; they stay
        unread for the badge and the panel (`N`). Without the service: SLA changes of my tickets."""
        agent_id = getattr(self.actor, "agent_id", None)
        if agent_id is None:
            return []
        try:
            from helpdesk.services.core import notifications
        except ImportError:
            return self._sla_alerts(s, agent_id)
        fresh = list(notifications.unread(s, agent_id, since_id=self.last_notification))
        if not fresh:
            return []
        self.last_notification = max(_field(n, "id") for n in fresh)
        return [str(_field(n, "text")) for n in fresh]

    def _sla_alerts(self, s, agent_id: int) -> list[str]:
        from helpdesk.services.core.changes import sla_alerts

        now = sla_alerts(s, agent_id)
        seen, self.sla_seen = self.sla_seen, now
        if seen is None:
            return []
        return [f"SLA {state} on #{tid}: {subject}" for tid, (state, subject) in sorted(now.items())
                if seen.get(tid, (None,))[0] != state]

    def on_polled(self, message: Polled) -> None:
        changed_desk = message.stamp != self.stamp
        if message.reference is not None:
            self.reference = message.reference
        self.stamp = message.stamp
        from helpdesk.text import literal

        for text in alert_toasts(message.alerts):
            self.notify(literal(text), title="Notification", severity="warning", timeout=10, markup=False)
        self.show_unread(message.unread)
        if changed_desk:
            self._tell_screens(message.changed)
        self.set_timer(self.poll_seconds, self.poll, name="poll")

    def _tell_screens(self, changed: set[int]) -> None:
        for screen in self.screen_stack:
            if hasattr(screen, "desk_changed"):
                screen.desk_changed(changed)

    def desk_changed_here(self) -> None:
        """I changed something: show it now rather than at the next poll."""
        if self.desk is not None and self.stamp is not None:
            self._tell_screens(set())

    # -- reading and writing for screens ---------------------------------------------

    def read_ticket(self, ticket_id: int) -> tuple[dict, dict | None, dict]:
        """The detail of one ticket, its requester card and its SLA clocks as countdowns by kind
        (call from a worker thread)."""
        from helpdesk.services.sla.clocks import countdowns
        from helpdesk.services.tickets.lifecycle import get_ticket
        from helpdesk.services.tickets.listing import ticket_detail
        from helpdesk.services.tickets.queues import requester_card
        from helpdesk.services.types.form import ticket_form

        with self.desk.read() as s:
            ticket = get_ticket(s, ticket_id)
            clocks = countdowns(s, {ticket.id: ticket.status})[ticket.id]
            detail = ticket_detail(s, ticket, now=self.clock())
            detail["form"] = ticket_form(s, ticket)  # its request type's fields and process, or None
            return detail, requester_card(s, ticket), clocks

    def current_version(self, ticket_id: int) -> int | None:
        from helpdesk.models import Ticket

        with self.desk.read() as s:
            ticket = s.get(Ticket, ticket_id)
            return ticket.version if ticket else None

    def run_change(self, fn: Callable[[Any, Any], str], ids: list[int], *, batch: bool = False) -> None:
        """Run `fn(session, actor) -> summary` in one write transaction, off the screen's thread."""
        self._write(fn, ids, batch)

    @work(thread=True, exit_on_error=False, group="write")
    def _write(self, fn, ids: list[int], batch: bool) -> None:
        from helpdesk.errors import HelpdeskError

        try:
            summary = self.desk.write(lambda s: fn(s, self.actor))
        except HelpdeskError as exc:
            self.post_message(ChangeRefused(exc.message, ids))
            return
        self.post_message(ChangeDone(summary, ids, batch))

    def on_change_done(self, message: ChangeDone) -> None:
        self.notify(message.summary, markup=False)
        if message.batch:
            for screen in self.screen_stack:
                if hasattr(screen, "batch_done"):
                    screen.batch_done()
        self.desk_changed_here()

    def on_change_refused(self, message: ChangeRefused) -> None:
        self.notify(message.message, title="Not changed", severity="error", timeout=10, markup=False)
        self.desk_changed_here()  # show what the other agent did

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures become a notification (the screen never freezes or crashes)."""
        if event.state != WorkerState.ERROR:
            return
        from helpdesk.errors import HelpdeskError

        error = event.worker.error
        text = error.message if isinstance(error, HelpdeskError) else f"unexpected error: {type(error).__name__}: {error}"
        self.notify(text, severity="error", timeout=10, markup=False)
        if event.worker.group == "poll":
            self.set_timer(self.poll_seconds * 5, self.poll, name="poll")
        for screen in self.screen_stack:
            if hasattr(screen, "worker_failed"):
                screen.worker_failed(event.worker.group)

    def show_unread(self, count: int) -> None:
        """The badge on every screen that has one."""
        from helpdesk.widgets.badge import NotificationBadge

        self.unread = count
        for screen in self.screen_stack:
            for badge in screen.query(NotificationBadge):
                badge.show_count(count)

    def action_notifications(self) -> None:
        from helpdesk.screens.notifications import NotificationsScreen

        if not isinstance(self.screen, NotificationsScreen):
            self.push_screen(NotificationsScreen(), self._open_noted)

    def _open_noted(self, ticket_id: int | None) -> None:
        if ticket_id is not None:
            from helpdesk.screens.ticket import TicketScreen

            self.push_screen(TicketScreen(ticket_id))

    # -- keys, help, palette -------------------------------------------------------

    def action_help(self) -> None:
        from helpdesk.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(key_sections(), self.keymap))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from helpdesk.screens.actions import PALETTE

        yield from super().get_system_commands(screen)
        if hasattr(screen, "targets"):
            for action, title, help_text in PALETTE:
                yield SystemCommand(title, help_text, partial(screen.run_action, action))
        for action, title, help_text in SCREEN_COMMANDS:
            if hasattr(screen, f"action_{action}"):
                yield SystemCommand(title, help_text, partial(screen.run_action, action))
        for q in getattr(screen, "queues", []):
            yield SystemCommand(f"Go to {q.title}", q.query, partial(screen.open_queue, q.key), discover=False)
        yield SystemCommand("Keys", "Every key and what it does", self.action_help)
        yield SystemCommand("Notifications", "Mentions, followed tickets, transfers, SLA (N)", self.action_notifications)
        yield SystemCommand("Knowledge base", "Search and read articles (g then k)", self.action_knowledge_base)
        if _import_screen() is not None:
            yield SystemCommand("Import a spreadsheet…", "Create tickets from an .xlsx or .csv file",
                                self.action_import_sheet)

    def action_knowledge_base(self) -> None:
        from helpdesk.screens.kb import KbScreen

        if not isinstance(self.screen, KbScreen):
            self.push_screen(KbScreen())

    def action_import_sheet(self) -> None:
        screen = _import_screen()
        if screen is not None:
            self.push_screen(screen(None))


SCREEN_COMMANDS = [
    ("search", "Search…", "Find tickets with the query language"),
    ("save_view", "Save this search as a view…", "Keep the current query in the sidebar"),
    ("mark_all", "Mark every ticket of the view", "For a batch change (again to clear)"),
    ("sort", "Sort by…", "Order the table by another column"),
    ("reverse", "Reverse the order", "Flip ascending and descending"),
    ("timeline", "Show or hide the timeline", "Every change made to the ticket"),
    ("sidebar", "Show or hide the queues", "The sidebar with counts"),
    ("reload", "Reload", "Read the view again now"),
    ("insight", "Insight dashboard", "Report figures, live: volume, first reply, FCR, SLA, backlog (g i)"),
]


def _import_screen():
    try:
        from helpdesk.screens.import_sheet import ImportScreen
    except ImportError:
        return None
    return ImportScreen


def _field(item, name: str):
    return item[name] if isinstance(item, dict) else getattr(item, name)


def key_sections() -> list[tuple[str, list[Binding]]]:
    """Every screen's bindings, for `?` and docs/tui.md."""
    from helpdesk.screens.compose import ComposeScreen
    from helpdesk.screens.confirm import ConfirmScreen
    from helpdesk.screens.fields import FieldsScreen
    from helpdesk.screens.insight import InsightScreen
    from helpdesk.screens.kb import KbScreen
    from helpdesk.screens.notifications import NotificationsScreen
    from helpdesk.screens.picker import PickerScreen
    from helpdesk.screens.queue import QueueScreen
    from helpdesk.screens.ticket import TicketScreen
    from helpdesk.widgets.search_bar import SearchInput
    from helpdesk.widgets.ticket_table import TicketTable

    def own(cls) -> list[Binding]:
        return [b for b in cls.BINDINGS if isinstance(b, Binding) and b.id]

    palette = Binding(HelpdeskApp.COMMAND_PALETTE_BINDING, "command_palette", "Command palette (not remappable)")
    return [
        ("Everywhere", own(HelpdeskApp) + [palette]),
        ("Ticket table", own(TicketTable)),
        ("Queue", own(QueueScreen)),
        ("Ticket (full screen)", [b for b in own(TicketScreen) if b.id in ("ticket.back", "ticket.timeline")]),
        ("Search line", own(SearchInput)),
        ("Reply / note / side conversation", own(ComposeScreen)),
        ("Fields editor (f)", own(FieldsScreen)),
        ("Pickers and questions", own(PickerScreen)[:1] + own(ConfirmScreen)),
        ("Notifications (N)", own(NotificationsScreen)),
        ("Insight dashboard (g i)", own(InsightScreen)),
        ("Knowledge base (g k)", own(KbScreen)),
    ]


def run_app(db: str | None = None, who: str | None = None) -> None:
    """What `helpdesk` / `helpdesk tui` runs."""
    HelpdeskApp(db=db, who=who).run()


def alert_toasts(alerts: list[str], limit: int = 3) -> list[str]:
    """At most `limit` toasts a poll: a burst of SLA alerts ends in one summary line."""
    if len(alerts) <= limit:
        return list(alerts)
    rest = len(alerts) - (limit - 1)
    return [*alerts[: limit - 1], f"…and {rest} more notifications (N shows them all)"]

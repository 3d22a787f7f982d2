"""The insight dashboard (`g` then `i`, or the command palette): the report figures, live.

The figures are read in a thread worker (one session) and posted back; a newer read
makes an older one's result stale (generation number). The screen re-reads when the
desk changes (`desk_changed`, called by the app's poll), at most one read at a time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static

from helpdesk.services.insight.tables import hms, pct
from helpdesk.text import literal
from helpdesk.widgets.insight import Bars, HeatGrid, Tile, pad

PERIODS = (("today", "Today"), ("7d", "7 days"), ("30d", "30 days"), ("month", "This month"))


class Loaded(Message):
    def __init__(self, generation: int, data: dict | None, error: str | None = None) -> None:
        super().__init__()
        self.generation, self.data, self.error = generation, data, error


class InsightScreen(Screen):
    CSS_PATH = "insight.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="insight.back"),
        Binding("t", "period('today')", "Today", id="insight.today"),
        Binding("w", "period('7d')", "7 days", id="insight.week"),
        Binding("d", "period('30d')", "30 days", id="insight.days30"),
        Binding("m", "period('month')", "This month", id="insight.month"),
        Binding("r", "reload", "Reload", id="insight.reload"),
        Binding("ctrl+s", "save_svg", "Save SVG", id="insight.save"),
    ]

    def __init__(self, preset: str = "7d") -> None:
        super().__init__()
        self.preset = preset
        self.generation = 0
        self.loading = False
        self._stale = False
        self.data: dict | None = None

    def compose(self):
        yield Static(id="insight-header")
        with Horizontal(id="insight-tiles"):
            for key, label in (("created", "Created"), ("solved", "Solved"), ("first", "First reply"),
                               ("resolution", "Resolved in"), ("fcr", "FCR"), ("sla", "SLA reply"),
                               ("reopen", "Reopens"), ("backlog", "Backlog"), ("csat", "CSAT")):
                yield Tile(label, id=f"tile-{key}")
        with Horizontal(id="insight-middle"):
            with Vertical(id="insight-trend"):
                yield Static(id="trend-title")
                yield Static("created", classes="spark-label")
                yield Sparkline([], id="spark-created")
                yield Static("solved", classes="spark-label")
                yield Sparkline([], id="spark-solved")
            yield Bars(id="insight-sla")
            yield Bars(id="insight-backlog")
        with Horizontal(id="insight-bottom"):
            yield HeatGrid(id="insight-heat")
            yield DataTable(id="insight-agents", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#insight-agents", DataTable)
        table.add_columns("agent", "replies", "solved", "first replies", "first reply", "business", "CSAT")
        self._header()
        self.load()

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        if self.loading:
            self._stale = True
            return
        self.loading, self._stale = True, False
        self.generation += 1
        self._read(self.generation, self.preset)

    @work(thread=True, exclusive=False, exit_on_error=False, group="insight")
    def _read(self, generation: int, preset: str) -> None:
        from helpdesk.errors import HelpdeskError
        from helpdesk.services.insight.reports import dashboard

        app = self.app
        try:
            with app.desk.read() as s:
                data = dashboard(s, app.actor, preset, now=app.clock())
        except HelpdeskError as exc:
            self.post_message(Loaded(generation, None, str(exc)))
            return
        self.post_message(Loaded(generation, data))

    def on_loaded(self, message: Loaded) -> None:
        self.loading = False
        if self._stale:
            self.load()
        if message.generation != self.generation:
            return
        if message.error:
            self.notify(literal(message.error), severity="error", markup=False)
            return
        self.data = message.data
        self._show(message.data)

    def desk_changed(self, changed: set[int]) -> None:
        self.load()

    # -- showing ------------------------------------------------------------------------------

    def _header(self, data: dict | None = None) -> None:
        text = Text("Insight", style="bold")
        if data:
            s = data["summary"]
            text.append(f"  {s['period']['label']} · {s['timezone']}", style="dim")
        text.append("    ")
        keys = {"today": "t", "7d": "w", "30d": "d", "month": "m"}
        for key, label in PERIODS:
            style = "bold reverse" if key == self.preset else ""
            text.append(f" {keys[key]} ", style="bold").append(label + " ", style=style).append(" ")
        self.query_one("#insight-header", Static).update(text)

    def _show(self, data: dict) -> None:
        s = data["summary"]
        self._header(data)
        fr, res, fcr, sla = s["first_reply"], s["resolution"], s["fcr"], s["sla"]
        tile = lambda key: self.query_one(f"#tile-{key}", Tile)  # noqa: E731
        tile("created").show(str(s["created"]), f"{fr['no_reply']} no reply")
        tile("solved").show(str(s["solved"]), f"{fcr['zero_reply']} no reply")
        tile("first").show(hms(fr["median"]), f"biz {hms(fr['median_business'])}")
        tile("resolution").show(hms(res["median"]), f"biz {hms(res['median_business'])}")
        tile("fcr").show(pct(fcr["rate"]), f"1-touch {_short(fcr['one_touch']['rate'])}")
        first = sla["first_response"]
        tile("sla").show(pct(first["rate"]), f"{first['breached']} breached", tone=_tone(first["rate"]))
        tile("reopen").show(pct(s["reopen"]["rate"]), f"{s['reopen']['tickets']} tickets")
        tile("backlog").show(str(s["backlog"]["total"]), f"{s['backlog']['over_7d']} over 7d")
        csat = s["csat"]
        tile("csat").show(pct(csat["rate"]) if csat else "-", f"{csat['rated']} rated" if csat else "no surveys")

        trend = data["trend"]
        days = trend["days"]
        self.query_one("#trend-title", Static).update(Text(
            f"Created / solved per day, {days[0]} .. {days[-1]}", style="bold"))
        self.query_one("#spark-created", Sparkline).data = trend["created"]
        self.query_one("#spark-solved", Sparkline).data = trend["solved"]
        self.query_one("#insight-sla", Bars).show("SLA attainment", [
            ({"first_response": "reply", "resolution": "resolve"}[name], (v["rate"] or 0) * 100,
             pct(v['rate'])) for name, v in sla.items()], top=100, colour="green", width=8,
            note="achieved / (achieved + breached)")
        b = s["backlog"]
        self.query_one("#insight-backlog", Bars).show("Backlog by age", [
            ("< 24h", b["under_24h"], str(b["under_24h"])), ("1-3 days", b["d1_3"], str(b["d1_3"])),
            ("3-7 days", b["d3_7"], str(b["d3_7"])), (">= 7 days", b["over_7d"], str(b["over_7d"]))],
            colour="dark_orange", width=12)
        heat = data["heatmap"]
        self.query_one("#insight-heat", HeatGrid).show(f"Created by weekday and hour ({heat['timezone']})",
                                                       heat["weekdays"], heat["cells"])
        table = self.query_one("#insight-agents", DataTable)
        table.clear()
        width = max([10] + [len(a["name"] or a["agent"]) * 2 for a in data["agents"]])
        for a in data["agents"]:
            table.add_row(Text(pad(literal(a["name"] or a["agent"]), min(width, 24)).rstrip()),
                          a["replies"], a["solved"], a["first_replies"], hms(a["first_reply_mean"]),
                          hms(a["first_reply_mean_business"]), pct(a["csat"]["rate"]) if a["csat"] else "-")

    # -- actions ---------------------------------------------------------------------------------

    def action_period(self, preset: str) -> None:
        if preset != self.preset:
            self.preset = preset
            self._header()
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_save_svg(self) -> None:
        stamp = self.app.clock().astimezone().strftime("%Y%m%d-%H%M%S") if hasattr(self.app, "clock") \
            else datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"helpdesk-insight-{stamp}.svg"
        path = self.app.save_screenshot(filename=name, path=str(Path.cwd()))
        self.notify(f"saved {path}", title="Dashboard", markup=False)


def _short(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _tone(rate: float | None) -> str | None:
    if rate is None:
        return None
    return "green" if rate >= 0.9 else "yellow" if rate >= 0.75 else "red"

"""A report as titled tables (pure): what the CLI prints, and what .csv/.xlsx/.html files hold.

Each `Table` says which chart suits it (bar, column, heat or none); the writers in
`files.py` draw it natively (Excel charts, inline SVG)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str | None = None  # "bar" (horizontal), "column", "heat"
    series: tuple[int, ...] = (1,)  # the numeric columns a bar or column chart draws


def hms(seconds) -> str:
    """3900 minutes -> '2d 17h 00m'; None -> '-'."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def pct(rate) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def summary_tables(d: dict) -> list[Table]:
    fr, res, fcr, reopen, st = d["first_reply"], d["resolution"], d["fcr"], d["reopen"], d["time_in_status"]
    head = Table("Headline", ["figure", "value", "detail"], [
        ["created", d["created"], ""],
        ["solved", d["solved"], "merged tickets left out"],
        ["first reply, median", fr["median"], f"business {hms(fr['median_business'])}; {fr['count']} replied"],
        ["first reply, mean", fr["mean"], f"business {hms(fr['mean_business'])}"],
        ["first reply, p90", fr["p90"], ""],
        ["still without a reply", fr["no_reply"], ""],
        ["resolution, median", res["median"], f"business {hms(res['median_business'])}"],
        ["resolution, mean", res["mean"], f"first solve {hms(res['first_mean'])}"],
        ["requester wait, mean", st["requester_wait_mean"], "new + open + on hold"],
        ["agent work, mean", st["agent_work_mean"], "new + open"],
        ["pending, mean", st["pending_mean"], ""],
        ["on hold, mean", st["on_hold_mean"], ""],
        ["FCR", pct(fcr["rate"]), f"{fcr['count']} of {fcr['of']}; {fcr['zero_reply']} solved with no reply"],
        ["one-touch", pct(fcr["one_touch"]["rate"]), f"{fcr['one_touch']['count']} of {fcr['one_touch']['of']}"],
        ["reopen rate", pct(reopen["rate"]), f"{reopen['tickets']} tickets, {reopen['events']} reopens"],
        ["CSAT", pct(d["csat"]["rate"]) if d["csat"] else "-",
         f"{d['csat']['good']} of {d['csat']['rated']}" if d["csat"] else d.get("satisfaction", "")],
        ["NPS", "-" if d["nps"] is None else d["nps"], ""],
    ])
    for row in head.rows:
        if _is_duration(row[0]):
            row[1] = hms(row[1])
    sla = Table("SLA attainment", ["clock", "achieved", "breached", "rate"],
                [[k.replace("_", " "), v["achieved"], v["breached"], pct(v["rate"])] for k, v in d["sla"].items()],
                chart="bar", series=(1, 2))
    return [head, sla, *_counts("By channel", d["by_channel"]), *_counts("By priority", d["by_priority"]),
            *_counts("By team", d["by_team"]), *_counts("By type", d["by_type"]),
            backlog_table(d["backlog"])]


def _counts(title: str, counts: dict) -> list[Table]:
    return [Table(title, ["value", "tickets"], [[k, v] for k, v in counts.items()], chart="bar")]


def backlog_table(b: dict) -> Table:
    return Table("Backlog by age", ["age", "tickets"], [["< 24h", b["under_24h"]], ["1-3 days", b["d1_3"]],
                                                        ["3-7 days", b["d3_7"]], [">= 7 days", b["over_7d"]]],
                 chart="column")


def agents_table(d: dict) -> Table:
    return Table("Agents", ["agent", "name", "replies", "solved", "first replies", "first reply mean",
                            "first reply mean (business)", "CSAT"],
                 [[a["agent"], a["name"], a["replies"], a["solved"], a["first_replies"], hms(a["first_reply_mean"]),
                   hms(a["first_reply_mean_business"]), pct(a["csat"]["rate"]) if a["csat"] else "-"]
                  for a in d["agents"]], chart="bar", series=(2, 3))


def heatmap_table(d: dict) -> Table:
    return Table(f"Tickets created by weekday and hour ({d['timezone']})", ["day", *map(str, d["hours"])],
                 [[day, *cells] for day, cells in zip(d["weekdays"], d["cells"])], chart="heat")


def tables(kind: str, d: dict) -> list[Table]:
    if kind == "summary":
        return summary_tables(d)
    if kind == "agents":
        return [agents_table(d)]
    if kind == "heatmap":
        return [heatmap_table(d)]
    if kind == "backlog":
        return [backlog_table(d["backlog"])]
    raise ValueError(kind)


def _is_duration(name: str) -> bool:
    return any(w in name for w in ("reply, ", "resolution", "wait", "work", "pending", "on hold"))

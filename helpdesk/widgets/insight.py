"""Dashboard pieces: figure tiles, labelled bars, a weekday x hour heatmap in coloured cells.

No chart library: bars are block characters, the heatmap is background colours. Labels
(team names, types, agent names may be Chinese) are padded by display width
(`rich.cells.cell_len`), so columns line up whatever the script."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from helpdesk.text import literal

BLOCKS = " ▏▎▍▌▋▊▉█"


def pad(text: str, width: int) -> str:
    """`text` cut or padded to `width` terminal cells (a CJK character takes two)."""
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * (width - used)


def bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of eighth blocks, `value` of `top` over `width` cells."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(8 * width * min(value, top) / top)
    return "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


class Tile(Static):
    """One headline figure: a label, the value big, a line of detail."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="tile")
        self.label = label

    def show(self, value: str, detail: str = "", *, tone: str | None = None) -> None:
        text = Text(self.label + "\n", style="dim")
        text.append(value, style=Style(bold=True, color=tone) if tone else Style(bold=True))
        if detail:
            text.append("\n" + detail, style="dim")
        self.update(text)


class Bars(Static):
    """Labelled bars: [(label, value, shown)], labels padded by display width."""

    def show(self, title: str, rows: list[tuple[str, float, str]], *, width: int = 24, colour: str = "dodger_blue2",
             top: float | None = None, note: str = "") -> None:
        text = Text(title + "\n", style="bold")
        if not rows:
            text.append("nothing in this period", style="dim")
            self.update(text)
            return
        label_w = min(16, max(cell_len(literal(r[0])) for r in rows))
        top = top if top is not None else max((r[1] for r in rows), default=0)
        for label, value, shown in rows:
            text.append(pad(literal(label), label_w) + " ")
            drawn = bar(value, top, width)
            text.append(drawn, style=colour)
            text.append(" " * (width - cell_len(drawn) + 1) + shown + "\n")
        if note:
            text.append(note, style="dim")
        text.rstrip()
        self.update(text)


class HeatGrid(Static):
    """Weekdays down, hours across, each cell's background as dark as its count."""

    def show(self, title: str, weekdays: list[str], cells: list[list[int]]) -> None:
        top = max((v for row in cells for v in row), default=0)
        text = Text(title + "\n", style="bold")
        text.append("    " + "".join(f"{h:<3}" if h % 3 == 0 else "   " for h in range(24)).rstrip() + "\n",
                    style="dim")
        for day, row in zip(weekdays, cells):
            text.append(pad(day, 4))
            for v in row:
                share = v / top if top else 0
                background = _heat(share)
                fg = "white" if share > 0.55 else "grey23"
                text.append(f"{v:>2} " if v else " · ", style=Style(bgcolor=background, color=fg))
            text.append("\n")
        text.append(f"busiest hour: {top} tickets" if top else "no tickets in this period", style="dim")
        self.update(text)


def _heat(share: float) -> str:
    """White to deep red."""
    r = 255 - int(40 * share)
    g = int(250 - 200 * share)
    b = int(245 - 215 * share)
    return f"rgb({r},{g},{b})"

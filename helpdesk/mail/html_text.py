"""HTML mail to readable plain text with the standard library's HTML parser."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from .text import strip_invisible

_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}
_BLOCK = {"div", "section", "article", "header", "footer", "main", "nav", "aside", "form",
          "table", "tr", "ul", "ol", "dl", "dt", "dd", "center", "address", "hr", "figure"}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}
_CELL = {"td", "th"}
_WHITESPACE = re.compile(r"[ \t\n\r\f\xa0]+")
_MAX_HTML = 5_000_000  # characters; beyond this a "body" is not something to read


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0
        # (href, line count, column) where each open link's text starts
        self.links: list[tuple[str, int, int]] = []

    # -- output -------------------------------------------------------------
    def write(self, text: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = text.replace("\r\n", "\n").split("\n")
            self.lines[-1] += first
            for line in rest:
                self.newline()
                self.lines[-1] += line
            return
        text = _WHITESPACE.sub(" ", text)
        if not self.lines[-1].strip(" >"):
            text = text.lstrip(" ")
        elif self.lines[-1].endswith(" "):
            text = text.lstrip(" ")
        self.lines[-1] += text

    def newline(self) -> None:
        self.lines[-1] = self.lines[-1].rstrip(" ")
        self.lines.append("> " * self.quote_depth)

    def block(self, blank: bool = False) -> None:
        if self.lines[-1].strip(" >"):
            self.newline()
        if blank and len(self.lines) > 1 and self.lines[-2].strip(" >"):
            self.newline()

    # -- parser events ------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += tag not in _VOID
            return
        if self.skip_depth:
            return
        self._open(tag, dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP and not self.skip_depth:
            self._open(tag, dict(attrs))
            if tag not in _VOID:
                self.handle_endtag(tag)

    def _open(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "br":
            self.newline()
        elif tag == "li":
            self.block()
            self.write("- ")
        elif tag in _PARAGRAPH:
            self.block(blank=True)
            self.pre_depth += tag == "pre"
            if tag == "blockquote":
                self.quote_depth += 1
                self.lines[-1] = "> " * self.quote_depth
        elif tag in _BLOCK:
            self.block()
        elif tag in _CELL:
            if self.lines[-1].strip(" >"):
                self.write(" ")
        elif tag == "img":
            self.write((attrs.get("alt") or "").strip())
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.lines), len(self.lines[-1])))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            self._close_link(*self.links.pop())
        elif tag in _PARAGRAPH:
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            if tag == "blockquote" and self.quote_depth:
                while len(self.lines) > 1 and not self.lines[-1].strip(" >"):
                    self.lines.pop()
                self.quote_depth -= 1
                self.newline()
            self.block(blank=True)
        elif tag in _BLOCK or tag == "li":
            self.block()

    def _close_link(self, href: str, line_count: int, start: int) -> None:
        href = href.strip()
        if line_count == len(self.lines):
            label = self.lines[-1][start:].strip()
        else:
            label = " ".join(self.lines[line_count - 1 :])[start:].strip()
        target = href[7:] if href.lower().startswith("mailto:") else href
        if not href or href.startswith("#") or href.lower().startswith(("javascript:", "cid:")):
            return
        if not label:
            self.write(f" {href}")
        elif target.strip() != label and href != label:
            self.write(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.write(data)

    def text(self) -> str:
        lines = [line.rstrip() for line in self.lines]
        out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
        return strip_invisible(out).strip("\n")


def html_to_text(markup: str) -> str:
    """Readable text from HTML: no tags, scripts or styles; links as "text (url)";
    <br>, <p> and <li> as line breaks; <blockquote> as "> " quoted lines; entities decoded."""
    markup = _defuse(markup[:_MAX_HTML])
    writer = _TextWriter()
    try:
        writer.feed(markup)
        writer.close()
    except Exception:  # the parser is lenient, but a reader must never lose the mail
        return _crude(markup)
    return writer.text()


def _defuse(markup: str) -> str:
    """Comments removed and every "<" that does not open a whole tag escaped, in one
    linear pass. html.parser rescans unfinished constructs ("<a<a<a...", "<!--<!--...")
    to the end of the input each time, which lets a hostile mail take minutes."""
    out: list[str] = []
    i, n, gt = 0, len(markup), -2  # gt: next ">" (-1: none left, -2: not looked yet)
    while i < n:
        lt = markup.find("<", i)
        if lt < 0:
            out.append(markup[i:])
            break
        out.append(markup[i:lt])
        if markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            if end < 0:
                break  # an unclosed comment hides the rest, as it does in a browser
            i = end + 3
            continue
        if gt == -2 or -1 < gt <= lt:
            gt = markup.find(">", lt + 1)
        following = markup.find("<", lt + 1)
        if gt < 0 or (0 <= following < gt):
            out.append("&lt;")
            i = lt + 1
        else:
            out.append(markup[lt : gt + 1])
            i = gt + 1
    return "".join(out)


def _crude(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr)\b[^>]*>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return strip_invisible(re.sub(r"[ \t]+", " ", text)).strip()

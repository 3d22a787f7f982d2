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
_MAX_QUOTE_MARKS = 20  # deeper nesting is noise; unbounded it makes output quadratic
_LABEL_CHUNKS = 50  # a link text longer than this is never compared with its URL
_MAX_HTML = 5_000_000  # characters; beyond this a "body" is not something to read


class _TextWriter(HTMLParser):
    """Collects text line by line. The current line is a list of chunks, so a huge
    one-line body costs linear time, not a copy per chunk."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[str] = []  # finished lines
        self.parts: list[str] = []  # chunks of the current line
        self.prefix = ""  # "> " per open <blockquote>
        self.has_text = False  # the current line holds more than spaces
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0
        # (href, finished line count, chunk count) where each open link's text starts
        self.links: list[tuple[str, int, int]] = []

    # -- output -------------------------------------------------------------
    def write(self, text: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            first, *rest = text.replace("\r\n", "\n").split("\n")
            self._append(first)
            for line in rest:
                self.newline()
                self._append(line)
            return
        text = _WHITESPACE.sub(" ", text)
        if not self.has_text or (self.parts and self.parts[-1].endswith(" ")):
            text = text.lstrip(" ")
        self._append(text)

    def _append(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.has_text = self.has_text or bool(text.strip())

    def newline(self) -> None:
        self.done.append((self.prefix + "".join(self.parts)).rstrip(" "))
        self.parts = []
        self.prefix = self._quote_prefix()
        self.has_text = False

    def _quote_prefix(self) -> str:
        return "> " * min(self.quote_depth, _MAX_QUOTE_MARKS)

    def _previous_has_text(self) -> bool:
        return bool(self.done) and bool(self.done[-1].strip(" >"))

    def block(self, blank: bool = False) -> None:
        if self.has_text:
            self.newline()
        if blank and self._previous_has_text():
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
                self.prefix = self._quote_prefix()
        elif tag in _BLOCK:
            self.block()
        elif tag in _CELL:
            if self.has_text:
                self.write(" ")
        elif tag == "img":
            self.write((attrs.get("alt") or "").strip())
        elif tag == "a":
            self.links.append((attrs.get("href") or "", len(self.done), len(self.parts)))

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
                if self.has_text:
                    self.newline()
                while self.done and not self.done[-1].strip(" >"):
                    self.done.pop()  # no empty quoted lines at the end of a quote
                self.quote_depth -= 1
                self.prefix = self._quote_prefix()
            self.block(blank=True)
        elif tag in _BLOCK or tag == "li":
            self.block()

    def _close_link(self, href: str, line_count: int, start: int) -> None:
        href = href.strip()
        if line_count == len(self.done) and len(self.parts) - start <= _LABEL_CHUNKS:
            label = "".join(self.parts[start:]).strip()
        else:  # long or over several lines: never just its URL, so the URL is added
            label = "\0"
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
        self.newline()
        out = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in self.done))
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
    """Comments and CDATA removed and every "<" that does not open a whole tag escaped,
    in one linear pass. html.parser rescans an unfinished construct ("<a<a<a...",
    "<![CDATA[>...") to the end of the input each time: minutes for a hostile mail."""
    out: list[str] = []
    next_gt, next_cdata_end = _finder(markup, ">"), _finder(markup, "]]>")
    i, n = 0, len(markup)
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
        elif markup.startswith("<![CDATA[", lt) and next_cdata_end(lt) >= 0:
            i = next_cdata_end(lt) + 3  # a bogus comment in HTML: browsers hide it
        else:
            gt, following = next_gt(lt), markup.find("<", lt + 1)
            whole = gt >= 0 and not 0 <= following < gt and not markup.startswith("<![CDATA[", lt)
            out.append(markup[lt : gt + 1] if whole else "&lt;")
            i = gt + 1 if whole else lt + 1
    return "".join(out)


def _finder(markup: str, token: str):
    """find(token, pos) for rising pos, each part of the text scanned once."""
    found = -2  # -2: not looked yet; -1: none left

    def after(pos: int) -> int:
        nonlocal found
        if found == -2 or -1 < found < pos:
            found = markup.find(token, pos)
        return found

    return after


def _crude(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr)\b[^>]*>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return strip_invisible(re.sub(r"[ \t]+", " ", text)).strip()

"""Tokenizer for the query language: text -> raw terms (no field knowledge).

Splits on whitespace outside quotes, peels off `-` (negation), `key:` and a
leading comparison, and splits values on commas outside quotes. Full-width
`：` and `，` count as `:` and `,` because Chinese input methods type them.
`quote()` is the inverse used when a query is written back as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpdesk.errors import Invalid

COLONS = ":："
COMMAS = ",，"
# A “curly” quote opens a phrase closed by ”; a plain " by another ".
QUOTE_PAIRS = {'"': '"', "“": "”"}
OPS = (">=", "<=", ">", "<")

# Field names are ASCII, so `注意：打印机` or `10:30` stays free text.
_KEYED = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)[:：](.*)", re.DOTALL)
_TICKET_NUMBER = re.compile(r"#([0-9].*)", re.DOTALL)


@dataclass(frozen=True)
class Piece:
    """A run of characters that was, or was not, inside quotes."""

    text: str
    quoted: bool


@dataclass(frozen=True)
class RawTerm:
    """One term before the field knows what its values mean."""

    source: str  # exactly as typed, for error messages
    negated: bool
    key: str | None  # lower-cased field name as typed ("#" for #123); None = free text
    op: str  # "=" or a comparison that led the value
    values: tuple[str, ...]  # comma-split and unquoted; free text is one phrase


def tokenize(text: str) -> list[RawTerm]:
    return [_raw_term(source, pieces) for source, pieces in _chunks(text)]


def _chunks(text: str) -> list[tuple[str, list[Piece]]]:
    """Whitespace-separated chunks, each as pieces; whitespace inside quotes is kept."""
    chunks: list[tuple[str, list[Piece]]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, pieces, plain = i, [], []
        while i < n and not text[i].isspace():
            if text[i] in QUOTE_PAIRS:
                if plain:
                    pieces.append(Piece("".join(plain), False))
                    plain = []
                phrase, i = _quoted(text, i, start)
                pieces.append(phrase)
            else:
                plain.append(text[i])
                i += 1
        if plain:
            pieces.append(Piece("".join(plain), False))
        chunks.append((text[start:i], pieces))
    return chunks


def _quoted(text: str, i: int, start: int) -> tuple[Piece, int]:
    """Read the quoted phrase opening at text[i]; `\\"` and `\\\\` escape inside it."""
    close, out, j = QUOTE_PAIRS[text[i]], [], i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text) and text[j + 1] in (close, "\\"):
            out.append(text[j + 1])
            j += 2
        elif c == close:
            return Piece("".join(out), True), j + 1
        else:
            out.append(c)
            j += 1
    term = text[start:].split("\n", 1)[0]  # the quote swallowed the rest
    term = term if len(term) <= 60 else term[:59] + "…"
    raise Invalid(f"{term} — unterminated quote (close it with {close})")


def _raw_term(source: str, pieces: list[Piece]) -> RawTerm:
    negated = False
    first = pieces[0]
    if not first.quoted and first.text.startswith("-"):
        if first.text == "-" and len(pieces) == 1:
            raise Invalid(f"{source} — nothing after '-' to leave out (write -tag:spam or -word)")
        negated = True
        pieces = _replace_first(pieces, first.text[1:])
        first = pieces[0]
    if not first.quoted:
        match = _KEYED.fullmatch(first.text) or _TICKET_NUMBER.fullmatch(first.text)
        if match:
            key = match.group(1).lower() if match.re is _KEYED else "#"
            rest = match.group(2) if match.re is _KEYED else match.group(1)
            op, value_pieces = _leading_op(_replace_first(pieces, rest))
            return RawTerm(source, negated, key, op, _split_values(value_pieces))
    return RawTerm(source, negated, None, "=", ("".join(p.text for p in pieces),))


def _replace_first(pieces: list[Piece], text: str) -> list[Piece]:
    return ([Piece(text, False)] if text else []) + pieces[1:]


def _leading_op(pieces: list[Piece]) -> tuple[str, list[Piece]]:
    if pieces and not pieces[0].quoted:
        for op in OPS:
            if pieces[0].text.startswith(op):
                return op, _replace_first(pieces, pieces[0].text[len(op) :])
    return "=", pieces


def _split_values(pieces: list[Piece]) -> tuple[str, ...]:
    values, current = [], []
    for piece in pieces:
        if piece.quoted:
            current.append(piece.text)
            continue
        parts = re.split(f"[{COMMAS}]", piece.text)
        current.append(parts[0])
        for part in parts[1:]:
            values.append("".join(current))
            current = [part]
    values.append("".join(current))
    return tuple(values)


_SPECIAL = set('"“”\\') | set(COLONS) | set(COMMAS)


def quote(value: str) -> str:
    """Write a value so that tokenize() reads it back unchanged."""
    plain = (
        value
        and value[0] not in "-#<>="
        and not any(c.isspace() or c in _SPECIAL for c in value)
    )
    if plain:
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

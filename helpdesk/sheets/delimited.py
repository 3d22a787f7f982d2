"""CSV/TSV: encoding detection, delimiter sniffing and a streamed row reader."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from helpdesk.errors import Invalid

_CHUNK = 1 << 20
_SNIFF_CHARS = 64 * 1024
_DELIMITERS = (",", "\t", ";", "|")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
csv.field_size_limit(1 << 26)  # long ticket descriptions pass the 128 KiB default


def detect_encoding(path: Path) -> str:
    """BOM if any; else UTF-16 by its zero bytes; else UTF-8 if the first non-ASCII
    bytes decode as UTF-8, else GB18030 (a superset of GBK, what Chinese Excel saves)."""
    with path.open("rb") as stream:
        chunk = stream.read(_CHUNK)
        for bom, name in _BOMS:
            if chunk.startswith(bom):
                return name
        utf16 = _utf16_without_bom(chunk[:4096])
        if utf16:
            return utf16
        first = True
        while chunk:  # stream on: an ASCII-only head says nothing
            if not chunk.isascii():
                return "utf-8" if _decodes_as_utf8(chunk, first) else "gb18030"
            chunk, first = stream.read(_CHUNK), False
    return "utf-8"


def _utf16_without_bom(head: bytes) -> str | None:
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _decodes_as_utf8(chunk: bytes, first: bool) -> bool:
    if not first:  # a later chunk may begin inside a character
        chunk = chunk.lstrip(bytes(range(0x80, 0xC0)))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
    except UnicodeDecodeError:
        return False
    return True


def check_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise Invalid(f'unknown text encoding "{name}"', field="encoding") from None


def sniff_delimiter(path: Path, encoding: str, default: str) -> str:
    """The delimiter that splits most rows of the head into the same number of cells.
    Title rows above the header and commas inside descriptions do not fool it."""
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        sample = stream.read(_SNIFF_CHARS)
        truncated = bool(stream.read(1))
    if truncated and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = default, 0
    for delimiter in (default, *(d for d in _DELIMITERS if d != default)):
        score = _consistency(sample, delimiter)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _consistency(sample: str, delimiter: str) -> int:
    try:
        widths = Counter(
            len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if len(row) > 1
        )
    except csv.Error:
        return 0
    return max(widths.values(), default=0)


def iter_delimited(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """(row number as a spreadsheet shows it, cells); a quoted multi-line cell is one row."""
    number = 0
    try:
        with path.open(encoding=encoding, newline="") as stream:
            for number, cells in enumerate(csv.reader(stream, delimiter=delimiter), start=1):
                yield number, cells
    except UnicodeDecodeError:
        raise Invalid(
            f"{path.name}: row {number + 1} is not valid {encoding} text; save the file as "
            "UTF-8 CSV or name its encoding in the map file (encoding = \"gb18030\")"
        ) from None
    except csv.Error as error:
        raise Invalid(f"{path.name}: row {number + 1} cannot be read as CSV ({error})") from None

"""Bytes to text for the charsets real mail uses, including the ones it lies about.

Every function here returns text; none raises on bad bytes or unknown labels.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

# Label -> codecs to try, supersets first: "gb2312" mail routinely carries GBK-only
# characters, "shift_jis" carries Microsoft's cp932 extensions, and so on.
_CHINESE_SIMPLIFIED = ("gb18030",)
_ALIASES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("gb2312", "gbk", "gb18030", "cp936", "ms936", "windows-936", "gb_2312-80",
         "gb_2312", "euc-cn", "csgb2312", "chinese", "x-gbk"),
        _CHINESE_SIMPLIFIED,
    ),
    **dict.fromkeys(
        ("big5", "big-5", "cn-big5", "csbig5", "x-x-big5", "big5-hkscs", "cp950",
         "windows-950", "ms950"),
        ("big5hkscs", "cp950"),
    ),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis",
         "windows-31j", "cp932", "ms932"),
        ("cp932", "shift_jis_2004"),
    ),
    **dict.fromkeys(
        ("iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "iso-2022-jp-1", "iso-2022-jp-3"),
        ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    ),
    **dict.fromkeys(("euc-jp", "x-euc-jp", "cseucpkdfmtjapanese"), ("euc_jp", "euc_jis_2004")),
    **dict.fromkeys(
        ("euc-kr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "cp949", "windows-949", "korean"),
        ("cp949",),
    ),
    **dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252"),
                    ("cp1252", "latin-1")),
    **dict.fromkeys(("tis-620", "windows-874", "iso-8859-11"), ("cp874",)),
    "utf8": ("utf-8",),
}
# Labels that say nothing useful about 8-bit bytes.
_NO_LABEL = {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "default",
             "x-user-defined", "us_ascii", "ansi_x3.4-1968", "iso646-us"}
_GUESSES = ("utf-8", "gb18030")
_ISO2022_ESCAPES = re.compile(rb"\x1b(\$[@B(]|\(J|\(B|\$\(D)")
# Single-byte labels never fail to decode, so valid non-ASCII UTF-8 under them is a lie.
_SINGLE_BYTE = re.compile(r"^(iso-8859-\d+|windows-125\d|cp125\d|latin-?\d|koi8-[ru])$")


class Decoded(NamedTuple):
    text: str
    problem: str | None  # why the result may be wrong, for a note on the ticket


def normalise_label(label: str | None) -> str:
    label = (label or "").strip().strip("\"'").lower()
    return label.split("*", 1)[0]  # RFC 2231 language suffix: "utf-8*en"


def codecs_for(label: str) -> tuple[str, ...]:
    return _ALIASES.get(label, (label,))


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        return None
    except Exception:  # a codec with a bug of its own must not break mail intake
        return None


def _guess(data: bytes) -> tuple[str, str]:
    """(text, codec) for unlabelled bytes: utf-8, then gb18030, then latin-1."""
    if _ISO2022_ESCAPES.search(data):
        for codec in ("iso2022_jp_2", "iso2022_jp_ext"):
            text = _try(data, codec)
            if text is not None:
                return text, codec
    for codec in _GUESSES:
        text = _try(data, codec)
        if text is not None:
            return text, codec
    return data.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes, label: str | None, *, what: str = "text") -> Decoded:
    """Decode `data` declared as charset `label`; fall back rather than fail."""
    name = normalise_label(label)
    if name in _NO_LABEL:
        text, codec = _guess(data)
        note = f"{what}: no usable charset; guessed latin-1" if codec == "latin-1" else None
        return Decoded(_strip_bom(text), note)
    if _SINGLE_BYTE.match(name) and not data.isascii():
        text = _try(data, "utf-8")
        if text is not None:
            return Decoded(_strip_bom(text), None)
    candidates = codecs_for(name)
    for codec in candidates:
        text = _try(data, codec)
        if text is not None:
            return Decoded(_strip_bom(text), None)
    return _after_lie(data, name, candidates, what)


def _after_lie(data: bytes, name: str, candidates: tuple[str, ...], what: str) -> Decoded:
    known = [c for c in candidates if _known(c)]
    if not known:
        text, codec = _guess(data)
        return Decoded(_strip_bom(text), f"{what}: unknown charset {name!r}; read as {codec}")
    for codec in _GUESSES:
        text = _try(data, codec)
        if text is not None:
            return Decoded(_strip_bom(text), f"{what}: labelled {name!r} but read as {codec}")
    text = data.decode(known[0], errors="replace")
    return Decoded(_strip_bom(text), f"{what}: some characters are not valid {name!r}")


def _known(codec: str) -> bool:
    try:
        info = codecs.lookup(codec)
    except (LookupError, ValueError, TypeError):
        return False
    return getattr(info, "_is_text_encoding", True)  # base64, zlib, rot13: not charsets


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text

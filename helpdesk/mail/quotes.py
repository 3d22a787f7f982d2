"""Collapsing quoted history in replies, so an agent reads only what is new.

The full text is always kept elsewhere; this only decides what is shown first.
"""

from __future__ import annotations

import re

# A line that starts quoted history, whatever follows it.
_SEPARATORS = [
    re.compile(r"^\s*-{2,}\s*(original message|original-nachricht|message d'origine)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$"),
    re.compile(r"^\s*-{2,}\s*原始郵件\s*-{2,}\s*$"),
    re.compile(r"^\s*-{2,}\s*Reply message\s*-{2,}\s*$", re.I),
]
# Attribution lines: "On <date>, <who> wrote:", "在 <date>，<who> 写道：", "<who> 于 <date> 写道：".
_ATTRIBUTION_END = re.compile(
    r"(wrote|schrieb|a écrit|escribió|escreveu|scrisse|написал\(а\)|написал|写道|寫道)\s*[:：]\s*$",
    re.I,
)
_ATTRIBUTION_START = re.compile(r"^\s*(On|Am|Le|El|Em|Il)\s|^\s*在")
_ATTRIBUTION_HINT = re.compile(r"@|\d")  # an address or a date: not just "my boss wrote:"
# Outlook/Foxmail header blocks: "From:" (or "发件人:") followed by "Sent:"/"Date:"/... lines.
_HEADER_FROM = re.compile(r"^\s*\*?(From|发件人|寄件者|Von|De)\s*\*?\s*[:：]", re.I)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Cc|发送时间|时间|日期|收件人|抄送|主题|寄件日期|收件者|主旨|"
    r"Gesendet|Datum|An|Betreff|Envoyé|Objet|À)\s*\*?\s*[:：]",
    re.I,
)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_QUOTED = re.compile(r"^\s*(>|＞)")
_ATTRIBUTION_LINES = 3  # Gmail wraps a long "On ... wrote:" over up to three lines


def collapse_quotes(text: str) -> str:
    """The new part of a reply: quoted history ("On ... wrote:", "在 ... 写道：",
    "-----Original Message-----", "发件人:"/"From:" header blocks) and a trailing
    ">"-quoted block removed. Text that is nothing but history is returned whole."""
    lines = text.replace("\r\n", "\n").split("\n")
    cut = _history_start(lines)
    visible = _drop_trailing_quote(lines[:cut])
    result = "\n".join(visible).strip()
    return result if result else text.strip()


def _history_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if any(sep.match(line) for sep in _SEPARATORS):
            return _with_rule_above(lines, i)
        if _is_attribution(lines, i):
            return i
        if _HEADER_FROM.match(line) and _header_block_follows(lines, i):
            return _with_rule_above(lines, i)
    return len(lines)


def _is_attribution(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _QUOTED.match(line):
        return False
    if _ATTRIBUTION_END.search(line):
        return bool(_ATTRIBUTION_START.match(line) or _ATTRIBUTION_HINT.search(line))
    if not _ATTRIBUTION_START.match(line):
        return False
    for end in range(i + 1, min(i + _ATTRIBUTION_LINES, len(lines))):
        if not lines[end].strip() or _QUOTED.match(lines[end]):
            return False
        if _ATTRIBUTION_END.search(lines[end]):
            return True
    return False


def _header_block_follows(lines: list[str], i: int) -> bool:
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return sum(bool(_HEADER_NEXT.match(line)) for line in following[:4]) >= 2


def _with_rule_above(lines: list[str], i: int) -> int:
    """Include Outlook's "_____" rule (and blank lines) just above the history."""
    j = i
    while j > 0 and not lines[j - 1].strip():
        j -= 1
    return j - 1 if j > 0 and _RULE.match(lines[j - 1]) else i


def _drop_trailing_quote(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_QUOTED.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    if start == end:
        return lines[:end]
    # A one-line attribution ("Alice wrote:") introducing the quote goes with it.
    if start and _ATTRIBUTION_END.search(lines[start - 1]):
        start -= 1
    return lines[:start]

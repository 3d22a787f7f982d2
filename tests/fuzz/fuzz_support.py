"""Shared pieces of the fuzz tests: settings profiles, a hang guard, hostile text.

Two profiles. `ci` (the default) is what the suite runs: a fixed, derandomised set of
inputs per target, so a run costs the same each time and never flakes. `deep`
(`HYPOTHESIS_PROFILE=deep`, or `python -m bench.fuzz`) tries many times more, at random. Every input runs under `bounded()`, which turns a hang (a
regex gone catastrophic, a loop that never ends) into a failure naming the input.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
from collections import Counter
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
DEEP = PROFILE == "deep"
SCALE = int(os.environ.get("HELPDESK_FUZZ_SCALE", "40")) if DEEP else 1
HANG_SECONDS = 20  # no single input may take this long, whatever the machine's load
TRIED: Counter = Counter()  # inputs tried per target, for bench/fuzz.py's report


@atexit.register
def _report() -> None:
    """With HELPDESK_FUZZ_REPORT=FILE, the inputs tried per target go there (bench/fuzz.py)."""
    target = os.environ.get("HELPDESK_FUZZ_REPORT")
    if target and TRIED:
        with open(target, "w", encoding="utf-8") as out:
            json.dump({"profile": PROFILE, "tried": dict(sorted(TRIED.items()))}, out, indent=2)


def fuzz(examples: int, *, deadline_ms: int | None = 5000):
    """Settings for one fuzz target: `examples` inputs in `ci`, SCALE times as many in `deep`.

    The deadline is generous (a loaded 2-CPU machine must not fail it, in `ci` or in
    `deep`); targets that drive a whole app pass None and rely on the hang guard alone."""
    deadline = deadline_ms
    return settings(
        max_examples=examples * SCALE,
        deadline=deadline,
        derandomize=not DEEP,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


class Hang(Exception):
    """An input ran longer than the hang guard allows."""


@contextmanager
def bounded(target: str, seconds: float = HANG_SECONDS):
    """Count one input for `target` and fail it with `Hang` if it runs over `seconds`.

    SIGALRM interrupts pure-Python loops and the `re` engine alike (it checks for
    signals while it backtracks)."""
    TRIED[target] += 1

    def _alarm(signum, frame):
        raise Hang(f"{target}: one input ran over {seconds}s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- hostile text -------------------------------------------------------------

ESCAPES = [
    "\x1b[31m", "\x1b[0m", "\x1b[2J", "\x1b[H", "\x1b[?1049h", "\x1b[6n", "\x1bc",
    "\x1b]0;owned\x07", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]52;c;ZXZpbA==\x07", "\x1bP+q544e\x1b\\", "\x1b_apc\x1b\\", "\x1b^pm\x1b\\",
    "\x9b31m", "\x9d0;t\x9c", "\x1b", "\x1b[", "\x1b]", "\x07", "\x08\x08\x08", "\r", "\x00", "\x7f",
]
BIDI = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069"]
MARKUP = [
    "[bold]", "[/bold]", "[/]", "[red on white]", "[link=https://evil.example]x[/link]",
    "[@click=app.quit]x[/]", "[b]", "\\[bold]", "[reverse blink]", ":smile:", "[on #ff0000]",
    "$variable", "[dim]", "[i]x[/i]",
]
HTML = [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'", "\"", "&amp;", "&lt;b&gt;",
    "<b>", "</textarea>", "<!--", "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}", "]]>",
]
ODD = [
    "\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\ufffd", "e\u0301", "退款", "😀",
    "\t", "\n", "\r\n", " ", "　", "#1", "@bob", "\ud800", "\udcff",
]
HOSTILE_PIECES = ESCAPES + BIDI + MARKUP + HTML + ODD


def hostile_text(*, min_size: int = 0, max_pieces: int = 12, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text built from escape sequences, bidi overrides, markup, HTML and odd characters,
    glued with ordinary words, plus now and then a very long line."""
    pieces = HOSTILE_PIECES if surrogates else [p for p in HOSTILE_PIECES if not _has_surrogate(p)]
    alphabet = st.characters(exclude_categories=["Cs"]) if not surrogates else st.characters()
    piece = st.one_of(
        st.sampled_from(pieces),
        st.text(alphabet, max_size=8),
        st.sampled_from(["word", "printer", "打印机", "Ada", "x"]),
    )
    joined = st.lists(piece, min_size=max(min_size, 0), max_size=max_pieces).map("".join)
    long = st.tuples(st.sampled_from(pieces), st.integers(500, 5000)).map(lambda t: "A" * t[1] + t[0])
    text = st.one_of(joined, joined, joined, long)
    return text.filter(lambda s: len(s) >= min_size) if min_size else text


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def visible_dangers(output: str) -> list[str]:
    """What in `output` a terminal would act on: ESC, other C0/C1 controls (newline and
    tab aside), bidi overrides and isolates."""
    found = []
    for c in output:
        code = ord(c)
        if c in "\n\t":
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F or c in BIDI:
            found.append(repr(c))
    return found

"""Python's cyclic garbage collector, held off during bulk work (an import, a JSON
Lines create with its triggers).

An import keeps tens of thousands of rows alive per batch; every few thousand
allocations the collector walks them, and its full passes cost about a fifth of an
import's time. Reference counting frees a batch's rows when the batch is done, so:

    with paused() as tidy:
        for batch in batches:
            ...
            tidy()  # now and then, the young objects only: cycles the batches made

A pass over the young objects costs about as much as a batch of 10,000 rows leaves
alive (some 30 ms), and the rows make few cycles: one pass per `every` calls. The collector is switched back on (as it was) on the way out, even on error."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def paused(every: int = 10) -> Iterator[Callable[[], None]]:
    was_on, calls = gc.isenabled(), 0

    def tidy() -> None:
        nonlocal calls
        calls += 1
        if calls % every == 0:
            gc.collect(0)

    gc.disable()
    try:
        yield tidy
    finally:
        if was_on:
            gc.enable()

"""The garbage collector is held off during bulk work and comes back as it was."""

import gc
import weakref

import pytest

from helpdesk.services.core import collector


class _Node:
    pass


def _cycle() -> weakref.ref:
    node = _Node()
    node.me = node  # only the cyclic collector can free it
    return weakref.ref(node)


def test_paused_inside_and_back_on_after():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_an_error():
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("batch failed")
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_tidy_frees_cycles_every_so_many_calls():
    with collector.paused(every=3) as tidy:
        gc.collect()
        ref = _cycle()
        tidy()
        tidy()
        assert ref() is not None  # not yet: two calls of three
        tidy()
        assert ref() is None

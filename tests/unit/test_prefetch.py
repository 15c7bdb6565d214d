"""mezzo.prefetch: a block source run ahead in a thread gives the same items, errors and clean-up."""

from __future__ import annotations

import threading

import pytest

from mezzo.prefetch import prefetch


def test_items_come_in_order_from_another_thread():
    threads = set()

    def source():
        for i in range(50):
            threads.add(threading.get_ident())
            yield i

    assert list(prefetch(source(), depth=3)) == list(range(50))
    assert threads and threading.get_ident() not in threads


def test_an_error_of_the_source_is_raised_after_its_items():
    def source():
        yield 1
        yield 2
        raise ValueError("bad block")

    got = []
    with pytest.raises(ValueError, match="bad block"):
        for item in prefetch(source()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_and_closes_the_source():
    closed = threading.Event()
    made = []

    def source():
        try:
            for i in range(1000):
                made.append(i)
                yield i
        finally:
            closed.set()

    stream = prefetch(source(), depth=2)
    assert next(stream) == 0
    stream.close()
    assert closed.is_set()
    assert len(made) <= 5  # ran at most a few items ahead

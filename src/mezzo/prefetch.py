"""Run a block source ahead in a background thread: :func:`prefetch`.

A stream of blocks has a producing half (read, gain, the limiter) and a consuming
half (dither, meters, the writer). mezzo's kernels release the GIL (numba
``nogil``), as do libsndfile and soxr calls, so the two halves run on two cores at
once when the producer runs in a thread of its own. Blocks come out in order; at
most ``depth`` wait in between, so memory stays a few blocks. An exception of the
producer is raised in the consumer at the point where its block would have come;
a consumer that stops early (an error, a closed generator) stops the producer
within one block.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")

#: blocks the producer may run ahead of the consumer
DEPTH = 2
#: seconds between checks of a stop request by a producer waiting on a full queue
_POLL_S = 0.1


class _End:
    """The producer's last message: done, or failed with ``error``."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetch(source: Iterable[T], depth: int = DEPTH) -> Iterator[T]:
    """Yield the items of ``source`` in order, produced by a background thread up to
    ``depth`` items ahead."""
    messages: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def offer(message: object) -> bool:
        while not stop.is_set():
            try:
                messages.put(message, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    items = iter(source)

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            offer(_End(error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator's own clean-up (open files) runs here, now
                close()
        offer(_End())

    thread = threading.Thread(target=produce, name="mezzo-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            message = messages.get()
            if isinstance(message, _End):
                if message.error is not None:
                    raise message.error
                return
            yield message  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()

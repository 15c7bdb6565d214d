"""``Chain``: processors in series, itself a processor."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mezzo.errors import ParameterError
from mezzo.processors.base import Processor


class Chain(Processor):
    """Run processors one after the other; itself a :class:`Processor`.

    Parameters
    ----------
    processors : iterable of Processor
        In signal order. An instance may appear only once (it holds state).

    Notes
    -----
    ``latency_samples`` is the sum of the members' latencies; the whole-signal call
    compensates it. Flushing feeds ``latency_samples`` zeros through the chain,
    which yields every member's tail in turn. A chain takes no key: give the key
    to a member and call that member directly.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import Chain, Compressor, Limiter
    >>> x = 0.9 * np.sin(2 * np.pi * 440 * np.arange(48000) / 48000)
    >>> chain = Chain([Compressor(threshold_db=-12.0, ratio=3.0), Limiter(ceiling_db=-3.0)])
    >>> y = chain(x, 48000)
    >>> y.shape, bool(20 * np.log10(np.abs(y).max()) <= -3.0)  # aligned with x; under the ceiling
    ((48000,), True)
    """

    def __init__(self, processors: Iterable[Processor]) -> None:
        members = list(processors)
        seen: set[int] = set()
        for p in members:
            if not isinstance(p, Processor):
                raise ParameterError(f"Chain members must be processors, got {type(p).__name__}")
            if id(p) in seen:
                raise ParameterError(
                    f"{type(p).__name__} instance appears twice in the Chain: create a second instance"
                )
            seen.add(id(p))
        super().__init__()
        self.processors = members

    def __repr__(self) -> str:
        return f"Chain([{', '.join(repr(p) for p in self.processors)}])"

    def prepare(self, sample_rate: int, channels: int, max_block: int | None = None) -> None:
        """Prepare every member, then the chain."""
        for p in self.processors:
            p.prepare(sample_rate, channels, max_block)
        super().prepare(sample_rate, channels, max_block)

    def _reset_state(self) -> None:
        for p in self.processors:
            p.reset()

    def _latency(self) -> int:
        return sum(p.latency_samples for p in self.processors)

    def _process(self, x: np.ndarray, key: np.ndarray | None, record: bool) -> tuple[np.ndarray, None]:
        for p in self.processors:
            x = p.process(x)
        return x, None

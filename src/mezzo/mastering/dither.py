"""TPDF dither and quantisation to integer PCM, block by block.

The quantiser works in LSB units of a ``bits``-bit signed integer (full scale
``2 ** (bits - 1)``, as libsndfile scales PCM): ``q = round(x * 2**(bits-1) + d)``
with ``d`` the difference of two independent uniform variables on [0, 1)
(triangular PDF on (-1, 1) LSB, 2 LSB peak to peak; drawn from splitmix64 in a
numba kernel, :mod:`mezzo.kernels.dither`), clipped to the integer range. The float value of a written sample is exactly ``q / 2**(bits-1)``, so
what :meth:`Quantizer.process` returns is what a reader of the file gets.
The error ``|q / 2**(bits-1) - x|`` is at most 1.5 LSB (1 LSB of dither plus
0.5 LSB of rounding), away from clipping.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_ERROR_LSB", "Quantizer"]

#: Largest quantisation error with TPDF dither, LSB (1 of dither + 0.5 of rounding).
MAX_ERROR_LSB = 1.5


class Quantizer:
    """Streaming TPDF-dithered quantiser to ``bits``-bit integers (seeded, reproducible).

    Parameters
    ----------
    bits : int, 8 to 24
        Word length of the integer PCM target.
    seed : int
        Seed of the dither noise: the same seed and samples give the same output
        (the noise runs channel by channel within a block, so the split matters).
    """

    def __init__(self, bits: int, *, seed: int = 0) -> None:
        self.bits = int(bits)
        self.scale = float(2 ** (self.bits - 1))
        # the noise generator's state, spread from the seed (numpy's SeedSequence)
        self._state = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)

    @property
    def lsb(self) -> float:
        """One LSB as a float sample value."""
        return 1.0 / self.scale

    def process(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dither and quantise a ``(channels, n)`` float block.

        Returns
        -------
        values : ndarray, float32, shape (channels, n)
            The quantised samples as floats (what the file will hold).
        words : ndarray, int32, shape (channels, n)
            The samples left-justified in 32 bits (``q << (32 - bits)``), the form
            libsndfile converts exactly to any PCM word length down to ``bits``.
        """
        from mezzo.kernels.dither import tpdf_quantize

        values = np.empty(block.shape, dtype=np.float32)
        words = np.empty(block.shape, dtype=np.int32)
        tpdf_quantize(block, self.scale, 32 - self.bits, self._state, values, words)
        return values, words

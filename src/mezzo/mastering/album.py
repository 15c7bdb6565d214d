"""Album loudness: one BS.1770 measurement over the gated blocks of several streams.

BS.1770-4 gates 400 ms blocks: the absolute gate (-70 LUFS), the relative gate
(-10 LU below the mean of the blocks above the absolute gate) and the mean
(eqs. 5-7) are all functions of the multiset of block energies. The meter keeps
that multiset as a histogram (count and exact energy sum per 0.01 LU bin), so
the album's histogram is the sum of the tracks' histograms, and the album's
integrated loudness and loudness range follow from it exactly as for one long
file (but without the blocks that would straddle two tracks, as with
concatenated measurement in EBU Tech 3343's album practice and in
libebur128's ``ebur128_loudness_global_multiple``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mezzo.errors import ParameterError
from mezzo.meters.loudness import LoudnessMeter, combined_loudness
from mezzo.results import to_dict

__all__ = ["AlbumLoudness", "album_loudness"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlbumLoudness:
    """Loudness of several streams measured as one programme.

    Attributes
    ----------
    integrated_lufs : float or None
        Gated integrated loudness over the blocks of all streams, LUFS.
    loudness_range_lu : float or None
        Loudness range over the short-term blocks of all streams, LU.
    tracks : int
        Number of streams combined.
    """

    integrated_lufs: float | None
    loudness_range_lu: float | None
    tracks: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)


def album_loudness(meters: Sequence[LoudnessMeter]) -> AlbumLoudness:
    """Combine the gating histograms of several :class:`LoudnessMeter` states.

    Parameters
    ----------
    meters : sequence of LoudnessMeter
        Meters that have measured one track each (any sample rates and channel
        counts: block loudness is already in LUFS). They are not modified.

    Returns
    -------
    AlbumLoudness

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 5) / 48000
    >>> meters = []
    >>> for level_db in (-20.0, -30.0):
    ...     m = LoudnessMeter(48000, 1)
    ...     m.update(10 ** (level_db / 20) * np.sin(2 * np.pi * 997 * t))
    ...     meters.append(m)
    >>> round(album_loudness(meters).integrated_lufs, 1)  # energy mean of -23 and -33 LUFS
    -25.6
    """
    meters = list(meters)
    if not meters:
        raise ParameterError("meters is empty: pass at least one LoudnessMeter")
    integrated, lra = combined_loudness(meters)
    return AlbumLoudness(
        integrated_lufs=integrated,
        loudness_range_lu=lra,
        tracks=len(meters),
    )

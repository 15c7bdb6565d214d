"""Ducker: turns the audio down while a key signal (voice-over, kick) is present."""

from __future__ import annotations

from typing import Any, ClassVar

from mezzo.processors.compressor import DynamicsProcessor
from mezzo.processors.params import DUCKER_PARAMS


class Ducker(DynamicsProcessor):
    """Sidechain compressor set up for ducking; ``key`` is required.

    Parameters
    ----------
    threshold_db : float, -120 to 20
        Key level (dBFS) above which the audio is turned down.
    depth_db : float, 0 to 80
        Most gain reduction, dB.
    ratio : float, 1 to inf
        Ratio of the sidechain gain computer. With the default inf the reduction is
        ``key level - T`` dB, so a key ``depth_db`` above the threshold ducks fully.
    knee_db : float, 0 to 48
        Knee width, dB.
    attack_ms, hold_ms, release_ms : float, >= 0
        Time constants (63 % of a step in dB) and hold, as for the compressor.
    detector, rms_window_ms, lookahead_ms, key_highpass_hz
        As for :class:`~mezzo.processors.compressor.Compressor`.

    Notes
    -----
    The gain is the compressor's (Giannoulis et al. 2012, eq. 4 and eq. 16) computed
    from the key only and clamped at ``-depth_db``; all channels share one gain
    (the key's channels are linked by their maximum).

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import Ducker
    >>> t = np.arange(48000) / 48000
    >>> pad = 0.5 * np.sin(2 * np.pi * 220 * t)
    >>> voice = np.sin(2 * np.pi * 1000 * t) * (t >= 0.5)  # silent, then 0 dBFS from 0.5 s
    >>> y = Ducker(threshold_db=-30.0, depth_db=12.0)(pad, 48000, key=voice)
    >>> round(20 * np.log10(np.abs(y[40000:]).max() / 0.5))  # ducked fully while the voice plays
    -12
    """

    PARAMS = DUCKER_PARAMS
    requires_key: ClassVar[bool] = True

    def _gain_channels(self) -> int:
        return 1

    def _settings(self) -> dict[str, Any]:
        return self._shared_settings(
            curve="down", range_db=self._values["depth_db"], hysteresis_db=0.0,
            makeup_db=0.0, mix=1.0, link=1.0,
        )

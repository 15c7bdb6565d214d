"""Downward expander and noise gate (the compressor family's mirror image)."""

from __future__ import annotations

from typing import Any

from mezzo.processors.compressor import DynamicsProcessor
from mezzo.processors.params import EXPANDER_PARAMS, GATE_PARAMS


class Expander(DynamicsProcessor):
    """Downward expander: levels below the threshold are pushed further down.

    Parameters
    ----------
    threshold_db : float, -120 to 20
        Threshold ``T``, dBFS.
    ratio : float, 1 to inf
        Expansion ratio ``R``: below ``T`` the output falls ``R`` dB per dB of input
        (``y = T + R (x - T)``); inf is a gate.
    range_db : float, 0 to 200
        Most gain reduction, dB (the gain never goes below ``-range_db``).
    knee_db : float, 0 to 48
        Knee width ``W`` (finite ratio only), dB.
    attack_ms : float, >= 0
        Opening time constant: the gain covers 63 % of a rising step in dB.
    hold_ms : float, >= 0
        Time the gain stays put after the level falls, before closing.
    release_ms : float, >= 0
        Closing time constant (63 % of a falling step in dB).
    hysteresis_db : float, 0 to 40
        The expander opens when the level reaches ``T`` and closes only when it
        falls below ``T - hysteresis_db`` (while open, the curve's threshold is
        ``T - hysteresis_db``); avoids chatter around the threshold.
    lookahead_ms : float, 0 to 200
        Audio delay so that the gate opens before the transient (latency).
    detector, rms_window_ms, link, key_highpass_hz
        As for :class:`~mezzo.processors.compressor.Compressor`; ``key`` works the same.

    Notes
    -----
    Static curve (Giannoulis et al. 2012, section 2.2, the expander/gate form of
    eq. 4): ``g = 0`` for ``2(x - T) > W``; ``g = (1 - R)(x - T - W/2)^2 / (2W)`` in
    the knee; ``g = (R - 1)(x - T)`` below, clamped at ``-range_db``. For ``R`` inf
    the gain is 0 dB at or above ``T`` and ``-range_db`` below. Smoothing is the
    branching detector of eq. 16 on the gain in dB; here "attack" is the gain
    *rising* (opening), "release" the gain falling.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import Expander
    >>> t = np.arange(48000) / 48000
    >>> x = np.sin(2 * np.pi * 440 * t) * np.where(t < 0.5, 0.5, 0.005)  # -6 dBFS, then -46 dBFS
    >>> y = Expander(threshold_db=-30.0, ratio=2.0)(x, 48000)
    >>> round(20 * np.log10(np.abs(y[40000:]).max() / 0.005))  # 16 dB under the threshold: 16 dB more
    -16
    """

    PARAMS = EXPANDER_PARAMS

    def _settings(self) -> dict[str, Any]:
        v = self._values
        return self._shared_settings(
            curve="expand", range_db=v["range_db"], hysteresis_db=v["hysteresis_db"],
            makeup_db=0.0, mix=1.0, link=v["link"],
        )


class Gate(Expander):
    """Noise gate: an :class:`Expander` with infinite ratio by default.

    Defaults: ``ratio=inf``, ``range_db=80`` (attenuation when closed),
    ``hysteresis_db=3``. All parameters as for :class:`Expander`.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import Gate
    >>> t = np.arange(96000) / 48000
    >>> x = np.sin(2 * np.pi * 440 * t) * np.where(t < 0.5, 0.5, 0.001)  # a note, then -60 dBFS hiss
    >>> y = Gate(threshold_db=-40.0, range_db=40.0)(x, 48000)  # release 100 ms (63 % of the way)
    >>> round(20 * np.log10(np.abs(y[72000:]).max() / 0.001))  # a second later: down by the range
    -40
    """

    PARAMS = GATE_PARAMS

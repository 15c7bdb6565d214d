"""Leveler: an automatic level rider towards a short-term loudness target."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mezzo.processors.base import Processor, one_call_signature
from mezzo.processors.compressor import time_constant_coef
from mezzo.processors.params import LEVELER_PARAMS

#: short-term loudness window (EBU Tech 3341 / BS.1770-4), s
SHORT_TERM_S = 3.0


class Leveler(Processor):
    """Rides the gain so that short-term loudness stays near ``target_lufs``.

    Parameters
    ----------
    target_lufs : float, -70 to 0
        Short-term loudness to aim at, LUFS.
    range_db : float, 0 to 40
        Most boost and most cut, dB.
    speed_ms : float, 1 to 60000
        Time constant of the gain rides (63 % of a change in dB), ms.
    floor_lufs : float, -100 to 0
        When the short-term loudness is below this (a pause), the gain is held
        instead of boosting the pause up to the target.
    key_offset_db : float, -40 to 40
        With a ``key`` (e.g. the music bed under a voice): aim at the key's
        short-term loudness plus this offset instead of ``target_lufs``.

    Notes
    -----
    Detector: K-weighted (BS.1770-4, :func:`mezzo.meters.kweighting.k_weighting_sos`,
    run with ``scipy.signal.sosfilt`` and its ``zi`` state) mean square summed over
    the channels (all channel weights 1), over a rectangular 3 s window: the
    short-term loudness of EBU Tech 3341, ``L = -0.691 + 10 log10(energy)``
    (BS.1770-4 eq. 2). The window is centred on the sample being ridden: the audio
    is delayed by 1.5 s, reported as ``latency_samples``. The wanted gain
    ``target - L`` dB, clamped to ``+/-range_db``, is smoothed by a one-pole in dB
    with time constant ``speed_ms``; while ``L < floor_lufs`` the gain is held.
    After a call the gain curve (dB, shape (channels, samples)) is in ``.gain_db``.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import Leveler, loudness
    >>> x = 0.05 * np.sin(2 * np.pi * 997 * np.arange(48000 * 20) / 48000)  # about -29 LUFS
    >>> y = Leveler(target_lufs=-23.0, speed_ms=500.0)(x, 48000)
    >>> round(loudness(y[48000 * 10 :], 48000).integrated_lufs)  # ridden up to the target
    -23
    """

    PARAMS = LEVELER_PARAMS
    accepts_key: ClassVar[bool] = True
    has_gain: ClassVar[bool] = True

    def _configure(self) -> None:
        from mezzo.meters.kweighting import k_weighting_sos

        fs = self._sample_rate
        self._sos = k_weighting_sos(fs)
        self._window = round(SHORT_TERM_S * fs)
        self._look = self._window // 2
        self._coef = time_constant_coef(self._values["speed_ms"], fs)

    def _latency(self) -> int:
        return self._look

    def _always_record(self) -> bool:
        return True

    def _reset_state(self) -> None:
        c = self._channels
        k = self._key_channels if self._key_channels is not None else 1
        self._zi = np.zeros((self._sos.shape[0], c, 2))
        self._key_zi = np.zeros((self._sos.shape[0], k, 2))
        self._ring = np.zeros(self._window)
        self._key_ring = np.zeros(self._window)
        self._sums = np.zeros(4)
        self._state = np.zeros(1)
        self._counters = np.zeros(1, dtype=np.int64)
        self._delay = np.zeros((c, self._look))

    def _key_changed(self) -> None:
        if self._counters[0] > 0:
            from mezzo.errors import AudioInputError

            raise AudioInputError("a key appeared after blocks without one: give the key from the first block")
        self._reset_state()

    def _power(self, x: np.ndarray, zi_name: str) -> np.ndarray:
        from scipy.signal import sosfilt

        if x.shape[1] == 0:
            return np.zeros(0)
        y, zi = sosfilt(self._sos, x.astype(np.float64, copy=False), axis=1, zi=getattr(self, zi_name))
        setattr(self, zi_name, zi)
        return np.einsum("ij,ij->j", y, y)

    def _process(self, x: np.ndarray, key: np.ndarray | None, record: bool) -> tuple[np.ndarray, np.ndarray | None]:
        from mezzo.kernels.envelope import leveler_block

        v = self._values
        n = x.shape[1]
        power = self._power(x, "_zi")
        key_power = self._power(key, "_key_zi") if key is not None else power
        gain = np.empty(n)
        leveler_block(
            power,
            key_power,
            gain,
            self._window,
            float(v["target_lufs"]),
            float(v["key_offset_db"]),
            float(v["range_db"]),
            float(v["floor_lufs"]),
            self._coef,
            key is not None,
            self._ring,
            self._key_ring,
            self._sums,
            self._state,
            self._counters,
        )
        joined = np.concatenate([self._delay, x], axis=1)
        dry = joined[:, :n]
        self._delay = joined[:, n:]
        lin = np.power(10.0, gain / 20.0)
        out = (dry * lin).astype(x.dtype, copy=False)
        gain_db = np.repeat(gain[np.newaxis, :], x.shape[0], axis=0) if record else None
        return out, gain_db


def level(audio: np.ndarray, sample_rate: int, *, key: np.ndarray | None = None, **params: Any) -> np.ndarray:
    """One-call form of :class:`Leveler`: ``Leveler(**params)(audio, sample_rate, key=key)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mezzo import level, loudness
    >>> x = 0.05 * np.sin(2 * np.pi * 997 * np.arange(48000 * 20) / 48000)  # about -29 LUFS
    >>> y = level(x, 48000, target_lufs=-23.0, speed_ms=500.0)
    >>> round(loudness(y[48000 * 10 :], 48000).integrated_lufs)
    -23
    """
    return Leveler(**params)(audio, sample_rate, key=key)


level.__signature__ = one_call_signature(Leveler, key=True)  # type: ignore[attr-defined]

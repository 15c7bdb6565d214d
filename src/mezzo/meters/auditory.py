"""The auditory model behind :mod:`mezzo.meters.audibility`: excitation, loudness, partial loudness.

This is the loudness model of Moore, Glasberg & Baer (1997) as standardised in ANSI
S3.4-2007, with the partial-loudness equations of Moore, Glasberg & Baer (1997) for a
signal heard in the presence of other sounds:

* **Frequency scale**: the ERB-number (Cam) scale of Glasberg & Moore (1990),
  ``E(f) = 21.366 log10(4.368 f / 1000 + 1)``; ``ERB(f) = 24.673 (4.368 f / 1000 + 1)`` Hz.
* **Outer and middle ear**: the free-field-to-eardrum and middle-ear transfer functions
  of ANSI S3.4-2007 (Tables 1 and 3), interpolated linearly in dB over log frequency.
* **Excitation pattern**: roex(p) auditory filters every 0.5 Cam from 50 Hz to 15 kHz,
  upper slope ``p_u = 4 fc / ERB(fc)``, lower slope
  ``p_l = p_u - 0.35 (p_u / p_u(1 kHz)) (X - 51)`` with ``X`` the level per ERB of the
  input around each component (ANSI S3.4-2007 eq. 3-5). The filter shapes follow the
  level of the *whole mix* (the ear hears the mix), and the same filters apply to every
  source, so each source's excitation is linear in its own power and the excitations of
  the sources add up to the excitation of the mix.
* **Specific loudness** (sone per Cam), ANSI S3.4-2007 eq. 6-9, with ``E_THRQ``, ``G``,
  ``A`` and ``alpha`` from its Table 4 and Figures 6-7, ``C = 0.046871``.
* **Partial specific loudness** of a signal with excitation ``E_SIG`` heard with a
  background of excitation ``E_NOISE`` (Moore, Glasberg & Baer 1997, eq. 17-18): the
  signal's threshold in the background is ``E_THRN = K E_NOISE + E_THRQ``, where ``K``
  is the signal-to-noise ratio at the output of the auditory filter at threshold (-3 dB
  from 1 kHz up, rising towards low frequencies). With no background it is the specific
  loudness in quiet.

Loudness is the sum of specific loudness over the filters times their 0.5 Cam spacing,
per ear; each channel is taken as one ear (headphone-like listening; a mono sound is
heard by both ears) and the loudness of the ears adds up (ANSI S3.4-2007 sec. 3.9).
Levels: a full-scale sine (peak 1.0, 0 dBFS) is ``full_scale_spl_db`` dB SPL.

References
----------
B. C. J. Moore, B. R. Glasberg and T. Baer, "A model for the prediction of thresholds,
loudness, and partial loudness", J. Audio Eng. Soc. 45(4), 224-240, 1997.
ANSI S3.4-2007, "Procedure for the computation of loudness of steady sounds".
B. R. Glasberg and B. C. J. Moore, "Derivation of auditory filter shapes from
notched-noise data", Hearing Research 47, 103-138, 1990.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "AuditoryBands",
    "cam_to_hz",
    "erb_hz",
    "hz_to_cam",
    "partial_specific_loudness",
]

#: Spacing of the auditory filters on the ERB-number scale, Cam.
CAM_STEP = 0.5
#: Centre of the lowest and the highest filter, Hz (ANSI S3.4-2007 covers 50 Hz to 15 kHz).
LOWEST_HZ = 50.0
HIGHEST_HZ = 15000.0
#: Loudness constant C of ANSI S3.4-2007 (1 sone = binaural 1 kHz tone at 40 dB SPL).
LOUDNESS_C = 0.046871
#: Excitation above which the high-level specific-loudness law applies (100 dB).
_HIGH_EXCITATION = 1e10

# ANSI S3.4-2007 Table 1: free-field to eardrum, dB (outer ear).
_OUTER_HZ = np.array([
    20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 750, 800, 1000,
    1250, 1500, 1600, 2000, 2500, 3000, 3150, 4000, 5000, 6000, 6300, 8000, 9000, 10000,
    11200, 12500, 14000, 15000, 16000, 20000,
])  # fmt: skip
_OUTER_DB = np.array([
    0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.5, 0.9, 1.4, 1.6, 1.7, 2.5, 2.7, 2.6, 2.6, 3.2, 5.2, 6.6,
    12.0, 17.0, 15.3, 15.2, 14.2, 10.7, 7.1, 6.4, 1.8, -0.9, -1.6, 1.9, 4.9, 2.0, -2.0, 2.5, 2.5,
])  # fmt: skip
# ANSI S3.4-2007 Table 3: middle ear (eardrum to cochlea), dB.
_MIDDLE_HZ = np.array([
    20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 750, 800, 1000,
    1250, 1500, 1600, 2000, 2500, 3000, 3150, 4000, 5000, 6000, 6300, 8000, 9000, 10000, 11200,
    12500, 14000, 15000, 16000, 18000, 20000,
])  # fmt: skip
_MIDDLE_DB = -np.array([
    39.6, 32.0, 25.85, 21.4, 18.5, 15.9, 14.1, 12.4, 11.0, 9.6, 8.3, 7.4, 6.2, 4.8, 3.8, 3.3, 2.9,
    2.6, 2.6, 3.2, 4.5, 5.5, 8.5, 10.4, 7.3, 7.0, 6.6, 7.0, 9.2, 10.2, 12.2, 10.8, 10.1, 12.7, 15.0,
    18.2, 23.8, 32.3, 45.5, 50.0,
])  # fmt: skip
# ANSI S3.4-2007 Table 4: excitation at threshold in quiet E_THRQ, dB (3.73 dB from 500 Hz up).
_THRQ_HZ = np.array([50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500])
_THRQ_DB = np.array([28.18, 23.90, 19.20, 15.68, 12.67, 10.09, 8.08, 6.30, 5.30, 4.50, 3.73])
# ANSI S3.4-2007 Figure 7 (tabulated): A as a function of G (dB).
_A_G_DB = np.array([
    -25.0, -24.54531, -23.78397, -22.78169, -19.78305, -16.21055, -11.23866, -9.45902, -7.38338,
    -5.89392, -4.97718, -3.62882, -2.50042, -1.77405, -1.57745, -1.24006, -0.94596, -0.75663,
    -0.52501, -0.35451, -0.18750, -0.07845, -0.02470, 0.0,
])  # fmt: skip
_A_VALUES = np.array([
    8.85200, 8.85200, 8.63150, 8.35840, 7.65258, 6.99954, 6.10719, 5.82490, 5.55322, 5.36425,
    5.25064, 5.10314, 4.98203, 4.90515, 4.88449, 4.84918, 4.81854, 4.79890, 4.77494, 4.75736,
    4.74019, 4.72899, 4.72349, 4.72096,
])  # fmt: skip
# ANSI S3.4-2007 Figure 6 (tabulated): alpha as a function of G (dB).
_ALPHA_G_DB = np.array([-25.0, -20.0, -15.0, -10.0, -5.0, 0.0])
_ALPHA_VALUES = np.array([0.26692, 0.25016, 0.23679, 0.22228, 0.21055, 0.20000])
# Moore, Glasberg & Baer (1997), the K(f) curve: signal-to-noise ratio at the output of the
# auditory filter at masked threshold, dB (-3 dB from 1 kHz up), read at these frequencies.
_K_HZ = np.array([50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0, 630.0, 800.0, 1000.0])
_K_DB = np.array([13.5, 10.0, 7.1, 4.9, 3.1, 1.5, 0.4, -0.5, -1.3, -1.9, -2.3, -2.7, -2.9, -3.0])


def erb_hz(freq_hz: np.ndarray | float) -> np.ndarray:
    """Equivalent rectangular bandwidth of the auditory filter at ``freq_hz``, Hz (Glasberg & Moore 1990)."""
    return 24.673 * (4.368 * np.asarray(freq_hz, dtype=np.float64) / 1000.0 + 1.0)


def hz_to_cam(freq_hz: np.ndarray | float) -> np.ndarray:
    """ERB number (Cam) of ``freq_hz``."""
    return 21.366 * np.log10(4.368 * np.asarray(freq_hz, dtype=np.float64) / 1000.0 + 1.0)


def cam_to_hz(cam: np.ndarray | float) -> np.ndarray:
    """Frequency in Hz of the ERB number ``cam``."""
    return (np.power(10.0, np.asarray(cam, dtype=np.float64) / 21.366) - 1.0) * 1000.0 / 4.368


def _interp_log(freq_hz: np.ndarray, table_hz: np.ndarray, table_db: np.ndarray) -> np.ndarray:
    """Table lookup linear in dB over log frequency, held at the ends."""
    return np.interp(np.log(np.maximum(freq_hz, 1.0)), np.log(table_hz), table_db)


def ear_transfer_db(freq_hz: np.ndarray) -> np.ndarray:
    """Free-field outer ear plus middle ear transfer, dB (ANSI S3.4-2007 Tables 1 and 3)."""
    f = np.asarray(freq_hz, dtype=np.float64)
    return _interp_log(f, _OUTER_HZ, _OUTER_DB) + _interp_log(f, _MIDDLE_HZ, _MIDDLE_DB)


@dataclass(frozen=True)
class AuditoryBands:
    """The filter bank and loudness constants of the model for one sample rate.

    Parameters
    ----------
    sample_rate : int
        Sample rate in Hz; filters stop below 0.45 of it (and at 15 kHz).

    Attributes
    ----------
    centre_hz : ndarray, shape (bands,)
        Centre frequencies of the auditory filters (0.5 Cam apart), Hz; the components
        of the input are grouped on the same grid.
    edges_hz : ndarray, shape (bands + 1,)
        Band edges of the components (half way on the Cam scale), Hz.
    """

    sample_rate: int
    centre_hz: np.ndarray = field(init=False, repr=False)
    edges_hz: np.ndarray = field(init=False, repr=False)
    p_upper: np.ndarray = field(init=False, repr=False)
    p_lower_coef: np.ndarray = field(init=False, repr=False)
    upper_weights: np.ndarray = field(init=False, repr=False)
    level_weights: np.ndarray = field(init=False, repr=False)
    e_thrq: np.ndarray = field(init=False, repr=False)
    gain: np.ndarray = field(init=False, repr=False)
    a: np.ndarray = field(init=False, repr=False)
    alpha: np.ndarray = field(init=False, repr=False)
    k: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        top_hz = min(HIGHEST_HZ, 0.45 * self.sample_rate)
        lo_cam, hi_cam = float(hz_to_cam(LOWEST_HZ)), float(hz_to_cam(top_hz))
        cams = lo_cam + CAM_STEP * np.arange(math.floor((hi_cam - lo_cam) / CAM_STEP) + 1)
        centre = cam_to_hz(cams)
        edges = cam_to_hz(np.concatenate([cams - CAM_STEP / 2, [cams[-1] + CAM_STEP / 2]]))
        erb = erb_hz(centre)
        p_upper = 4.0 * centre / erb
        p_1k = 4.0 * 1000.0 / float(erb_hz(1000.0))
        # Level-independent parts: the upper skirts (components at or above the centre) and
        # the symmetric filters that give each component's level per ERB.
        g = (centre[np.newaxis, :] - centre[:, np.newaxis]) / centre[:, np.newaxis]  # [filter, comp]
        pg = p_upper[:, np.newaxis] * np.abs(g)
        roex = (1.0 + pg) * np.exp(-pg)
        upper = np.where(g >= 0, roex, 0.0)
        e_thrq_db = _interp_log(centre, _THRQ_HZ, _THRQ_DB)
        gain_db = _THRQ_DB[-1] - e_thrq_db  # G: low-frequency gain of the cochlear amplifier, dB <= 0
        values = {
            "centre_hz": centre,
            "edges_hz": edges,
            "p_upper": p_upper,
            "p_lower_coef": 0.35 * p_upper / p_1k,
            "upper_weights": upper,
            "level_weights": roex,
            "e_thrq": 10.0 ** (e_thrq_db / 10.0),
            "gain": 10.0 ** (gain_db / 10.0),
            "a": np.interp(gain_db, _A_G_DB, _A_VALUES),
            "alpha": np.interp(gain_db, _ALPHA_G_DB, _ALPHA_VALUES),
            "k": 10.0 ** (_interp_log(centre, _K_HZ, _K_DB) / 10.0),
        }
        for name, value in values.items():
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def count(self) -> int:
        """Number of filters (and of component bands)."""
        return int(self.centre_hz.size)

    def excitation(self, power: np.ndarray) -> np.ndarray:
        """Excitation of each source with the filters set by the level of the mix (their sum).

        Parameters
        ----------
        power : ndarray, shape (frames, sources, bands)
            Component intensities of each source (after the outer and middle ear),
            relative to 0 dB SPL.

        Returns
        -------
        ndarray, shape (frames, sources, bands), float64
            Excitation at each filter, relative to 0 dB SPL.
        """
        from mezzo.kernels.excitation import excitation

        power = np.ascontiguousarray(power, dtype=np.float64)
        out = np.empty_like(power)
        excitation(power, self.level_weights, self.upper_weights, self.centre_hz, self.p_upper,
                   self.p_lower_coef, out)
        return out

    def specific_loudness_law(self, excitation: np.ndarray) -> np.ndarray:
        """ANSI S3.4-2007 specific loudness above threshold, sone/Cam (eq. 7 and 9).

        ``C ((G E + A)^alpha - A^alpha)``, and ``C (E / 1.0707)^0.2`` above 100 dB.
        """
        e = np.asarray(excitation, dtype=np.float64)
        mid = LOUDNESS_C * (np.power(self.gain * e + self.a, self.alpha) - np.power(self.a, self.alpha))
        return np.where(e > _HIGH_EXCITATION, LOUDNESS_C * np.power(e / 1.0707, 0.2), mid)


def partial_specific_loudness(bands: AuditoryBands, e_sig: np.ndarray, e_noise: np.ndarray) -> np.ndarray:
    """Specific loudness of a signal heard with a background, sone/Cam.

    Parameters
    ----------
    bands : AuditoryBands
        The model's filter bank and constants.
    e_sig, e_noise : ndarray, shape (..., bands)
        Excitation of the signal and of the background (0 for quiet), relative to 0 dB SPL.

    Returns
    -------
    ndarray, shape (..., bands)

    Notes
    -----
    Moore, Glasberg & Baer (1997) eq. 17 (``E_SIG >= E_THRN``) and 18 (below), with
    ``N(E)`` the specific-loudness law of :meth:`AuditoryBands.specific_loudness_law`:

    ``N'_SIG = N(E_SIG + E_NOISE) - [N(E_NOISE + E_THRN) - N(E_THRQ)] (E_THRN / E_SIG)^0.3``

    ``N'_SIG = N(E_THRQ) (2 E_SIG / (E_SIG + E_THRN))^1.5
    [N(E_SIG + E_NOISE) - N(E_NOISE)] / [N(E_NOISE + E_THRN) - N(E_NOISE)]``

    with ``E_THRN = K E_NOISE + E_THRQ``. With ``E_NOISE = 0`` this is the specific
    loudness in quiet, including the law near threshold (ANSI S3.4-2007 eq. 8). Both
    branches meet at ``E_SIG = E_THRN`` with the value ``N(E_THRQ)``.
    """
    e_sig = np.asarray(e_sig, dtype=np.float64)
    e_noise = np.asarray(e_noise, dtype=np.float64)
    law = bands.specific_loudness_law
    e_thrn = bands.k * e_noise + bands.e_thrq
    n_total = law(e_sig + e_noise)
    n_noise = law(e_noise)
    n_at_thrn = law(e_noise + e_thrn)
    n_thrq = law(bands.e_thrq)
    tiny = np.finfo(np.float64).tiny
    ratio = np.minimum(e_thrn, e_sig) / np.maximum(e_sig, tiny)  # E_THRN / E_SIG where it is <= 1
    above = n_total - (n_at_thrn - n_thrq) * np.power(ratio, 0.3)
    below = (
        n_thrq
        * np.power(2.0 * e_sig / (e_sig + e_thrn), 1.5)
        * (n_total - n_noise)
        / np.maximum(n_at_thrn - n_noise, tiny)
    )
    return np.maximum(np.where(e_sig >= e_thrn, above, below), 0.0)

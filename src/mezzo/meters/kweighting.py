"""K-weighting filter of ITU-R BS.1770-4, derived for any sample rate.

The two biquads are obtained from their analog prototypes by the bilinear
transform with frequency pre-warping (``K = tan(pi * f0 / fs)``), so the filter
is the same acoustic curve at every rate. The prototype parameters (centre
frequency, Q and shelf gain) are the ones that reproduce the 48 kHz
coefficients printed in BS.1770-4 Tables 1 and 2 (as fitted for libebur128).
"""

from __future__ import annotations

import math

import numpy as np

from mezzo._validate import check_sample_rate

# Stage 1: high shelf modelling the acoustic effect of the head (BS.1770-4 Table 1).
SHELF_F0_HZ = 1681.974450955533
SHELF_GAIN_DB = 3.999843853973347
SHELF_Q = 0.7071752369554196
# Stage 2: RLB high pass (BS.1770-4 Table 2).
HIGHPASS_F0_HZ = 38.13547087602444
HIGHPASS_Q = 0.5003270373238773


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """Return the K-weighting filter for ``sample_rate`` as scipy second-order sections.

    Parameters
    ----------
    sample_rate : int, 8000 to 384000
        Sample rate in Hz.

    Returns
    -------
    ndarray, shape (2, 6), float64
        Rows ``[b0, b1, b2, 1, a1, a2]``: stage 1 (high shelf), stage 2 (high pass).

    Examples
    --------
    >>> sos = k_weighting_sos(48000)
    >>> round(float(sos[0, 0]), 8), round(float(sos[1, 4]), 8)
    (1.53512486, -1.99004745)
    """
    fs = check_sample_rate(sample_rate)
    # Stage 1: high shelf, bilinear transform of the analog prototype.
    k = math.tan(math.pi * SHELF_F0_HZ / fs)
    vh = 10.0 ** (SHELF_GAIN_DB / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf = [
        (vh + vb * k / SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / SHELF_Q + k * k) / a0,
    ]
    # Stage 2: second-order high pass. Table 2 prints the numerator as (1, -2, 1), i.e. the
    # prototype's bilinear numerator times a0(48 kHz): a passband gain of +0.043 dB. Scaling by
    # a0(48 kHz) / a0(fs) keeps that same gain at every rate and the printed values at 48 kHz.
    a0 = _highpass_a0(fs)
    k = math.tan(math.pi * HIGHPASS_F0_HZ / fs)
    gain = _highpass_a0(48000) / a0
    highpass = [gain, -2.0 * gain, gain, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def _highpass_a0(sample_rate: int) -> float:
    k = math.tan(math.pi * HIGHPASS_F0_HZ / sample_rate)
    return 1.0 + k / HIGHPASS_Q + k * k

"""Naive reference implementation of ITU-R BS.1770-4 and EBU Tech 3342 (numpy/scipy only).

Written straight from the texts, for cross-checking mezzo's meter; it keeps every block
in memory and makes no attempt at speed or streaming. Never imports mezzo.

- K-weighting: BS.1770-4 Annex 1, Tables 1 and 2 (the printed 48 kHz coefficients).
  For other rates, :func:`k_weighting_sos_derived` re-derives the two biquads from the
  analog prototype by the bilinear transform pre-warped at each stage's f0; the
  prototype parameters (f0, gain, Q) are the ones fitted to the printed table by
  B. De Man and used by libebur128, and a test checks that at 48 kHz the derivation
  reproduces the printed table.
- Gating blocks: 400 ms every 100 ms, the first starting at sample 0 (BS.1770-4 eq. 1-3).
- Integrated loudness: absolute gate -70 LUFS, relative gate -10 LU (eq. 4-7).
- Loudness range: short-term (3 s) loudness every ``hop_s`` (100 ms by default, the
  ffmpeg convention; libebur128 uses 3 s windows every 1 s), absolute gate -70 LUFS,
  relative gate -20 LU below the power mean of the absolute-gated values, LRA = 95th
  minus 10th percentile with numpy's linear interpolation (EBU Tech 3342 section 3 and
  its MATLAB listing).
- True peak: 4x oversampling with the Annex 2 example interpolator (48 taps, 4 phases).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import signal

#: BS.1770-4 Table 1 (pre-filter, high shelf) and Table 2 (RLB high pass), 48 kHz,
#: as printed; scipy "sos" layout [b0, b1, b2, a0, a1, a2].
BS1770_48K_SOS = np.array(
    [
        [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            1.0,
            -1.69065929318241,
            0.73248077421585,
        ],
        [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
    ]
)

#: Analog prototype of the K-filter (fit to the printed table; libebur128 / De Man).
SHELF_F0_HZ = 1681.974450955533
SHELF_GAIN_DB = 3.999843853973347
SHELF_Q = 0.7071752369554196
SHELF_VB_EXPONENT = 0.4996667741545416
HIGHPASS_F0_HZ = 38.13547087602444
HIGHPASS_Q = 0.5003270373238773

#: BS.1770-4 Table 3 channel weights.
CHANNEL_WEIGHTS = {"L": 1.0, "R": 1.0, "C": 1.0, "LFE": 0.0, "Ls": 1.41, "Rs": 1.41}
DEFAULT_WEIGHTS = {
    1: (1.0,),
    2: (1.0, 1.0),
    5: (1.0, 1.0, 1.0, 1.41, 1.41),
    6: (1.0, 1.0, 1.0, 0.0, 1.41, 1.41),
}

#: BS.1770-4 Annex 2: the example 4x interpolator, 4 phases of 12 taps (phase p gives the
#: point p/4 of a sample period; tap k multiplies x[n - k]).
ANNEX2_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
         -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
         0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
         -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
         0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
         -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
         0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
         -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
         0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0


def k_weighting_sos_derived(sample_rate: float, *, keep_48k_passband: bool = True) -> np.ndarray:
    """K-filter biquads at ``sample_rate`` from the analog prototype (bilinear, pre-warped).

    The printed high pass has b = (1, -2, 1) unnormalised, which gives it a passband gain
    of a0 = 1 + K/Q + K**2 (K = tan(pi f0 / fs)): +0.0433 dB at 48 kHz, but +0.257 dB at
    8 kHz and +0.0054 dB at 384 kHz. With ``keep_48k_passband`` (default) the high pass's
    b is scaled by a0(48 kHz) / a0(fs) so the response is the 48 kHz one at every rate
    (and the printed b at 48 kHz); without it, b = (1, -2, 1) at every rate as libebur128
    does, which makes loudness rate-dependent by up to 0.21 LU (at 8 kHz).
    """
    k = math.tan(math.pi * SHELF_F0_HZ / sample_rate)
    vh = 10.0 ** (SHELF_GAIN_DB / 20.0)
    vb = vh**SHELF_VB_EXPONENT
    a0 = 1.0 + k / SHELF_Q + k * k
    shelf = [
        (vh + vb * k / SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * HIGHPASS_F0_HZ / sample_rate)
    a0 = 1.0 + k / HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / HIGHPASS_Q + k * k) / a0]
    if keep_48k_passband:
        k48 = math.tan(math.pi * HIGHPASS_F0_HZ / 48000.0)
        gain = (1.0 + k48 / HIGHPASS_Q + k48 * k48) / a0
        highpass[:3] = [gain, -2.0 * gain, gain]
    return np.array([shelf, highpass])


def k_weighting_sos(sample_rate: float) -> np.ndarray:
    """The printed table at 48 kHz, the derived filter elsewhere."""
    return BS1770_48K_SOS.copy() if sample_rate == 48000 else k_weighting_sos_derived(sample_rate)


def k_gain_db(freq_hz: float | np.ndarray, sample_rate: float = 48000) -> np.ndarray:
    """Magnitude of the K-filter in dB at ``freq_hz`` (scipy.signal.sosfreqz)."""
    _, h = signal.sosfreqz(
        k_weighting_sos(sample_rate), worN=np.atleast_1d(freq_hz), fs=sample_rate
    )
    return 20.0 * np.log10(np.abs(h))


def _as_2d(audio: np.ndarray) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float64)
    return x[np.newaxis, :] if x.ndim == 1 else x


def _weights(channels: int, weights: Sequence[float] | None) -> np.ndarray:
    return np.asarray(DEFAULT_WEIGHTS[channels] if weights is None else weights, dtype=np.float64)


def _chunk_energy(audio: np.ndarray, sample_rate: int, hop_s: float) -> tuple[np.ndarray, int]:
    """Sum of squares of the K-weighted signal in consecutive hops, shape (channels, hops)."""
    x = _as_2d(audio)
    y = signal.sosfilt(k_weighting_sos(sample_rate), x, axis=-1)
    hop = round(hop_s * sample_rate)
    n_hops = y.shape[-1] // hop
    chunks = (y[:, : n_hops * hop] ** 2).reshape(y.shape[0], n_hops, hop).sum(axis=-1)
    return chunks, hop


def block_mean_squares(
    audio: np.ndarray, sample_rate: int, *, block_s: float, hop_s: float = 0.1
) -> np.ndarray:
    """z_ij of BS.1770-4 eq. 1: mean square per channel i of block j, shape (channels, blocks).

    Block j covers samples ``[j*hop, j*hop + block)``; only complete blocks count.
    """
    chunks, hop = _chunk_energy(audio, sample_rate, hop_s)
    per_block = round(block_s / hop_s)
    if round(block_s * sample_rate) != per_block * hop:
        raise ValueError("block length must be a whole number of hops")
    n_blocks = chunks.shape[-1] - per_block + 1
    if n_blocks <= 0:
        return np.zeros((chunks.shape[0], 0))
    # direct sums (not differences of a long cumsum) to stay exact for quiet blocks
    z = np.stack([chunks[:, j : j + per_block].sum(axis=-1) for j in range(n_blocks)], axis=-1)
    return z / (per_block * hop)


def block_loudness(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """l_j = -0.691 + 10 log10(sum_i G_i z_ij) (BS.1770-4 eq. 4); -inf for silence."""
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(weights @ z)


def integrated_loudness(
    audio: np.ndarray, sample_rate: int, *, weights: Sequence[float] | None = None
) -> float | None:
    """Gated integrated loudness in LUFS (BS.1770-4 eq. 1-7); None when undefined."""
    x = _as_2d(audio)
    g = _weights(x.shape[0], weights)
    z = block_mean_squares(x, sample_rate, block_s=0.4)
    if z.shape[-1] == 0:
        return None
    lj = block_loudness(z, g)
    above_abs = lj > ABSOLUTE_GATE_LUFS  # eq. 5 set J_g
    if not np.any(above_abs):
        return None
    gamma_r = (
        -0.691 + 10.0 * np.log10(g @ z[:, above_abs].mean(axis=-1)) + RELATIVE_GATE_LU
    )  # eq. 6
    gated = above_abs & (lj > gamma_r)  # eq. 7 set J_g
    if not np.any(gated):
        return None
    return float(-0.691 + 10.0 * np.log10(g @ z[:, gated].mean(axis=-1)))  # eq. 7


def short_term_loudness(
    audio: np.ndarray,
    sample_rate: int,
    *,
    weights: Sequence[float] | None = None,
    hop_s: float = 0.1,
    window_s: float = 3.0,
) -> np.ndarray:
    """Loudness of ``window_s`` windows every ``hop_s`` from the start (LUFS, -inf for silence)."""
    x = _as_2d(audio)
    g = _weights(x.shape[0], weights)
    if hop_s == 0.1:
        z = block_mean_squares(x, sample_rate, block_s=window_s, hop_s=0.1)
    else:  # e.g. libebur128's 1 s hop: windows every hop_s, built from 100 ms chunks
        z_all = block_mean_squares(x, sample_rate, block_s=window_s, hop_s=0.1)
        z = z_all[:, :: round(hop_s / 0.1)]
    return block_loudness(z, g)


def loudness_range(
    audio: np.ndarray,
    sample_rate: int,
    *,
    weights: Sequence[float] | None = None,
    hop_s: float = 0.1,
) -> float | None:
    """EBU Tech 3342 loudness range in LU; None when no short-term value passes the gates."""
    st = short_term_loudness(audio, sample_rate, weights=weights, hop_s=hop_s)
    st = st[st >= ABSOLUTE_GATE_LUFS]
    if st.size == 0:
        return None
    integrated = 10.0 * np.log10(np.mean(10.0 ** (st / 10.0)))
    st = st[st >= integrated + LRA_RELATIVE_GATE_LU]
    if st.size == 0:
        return None
    low, high = np.percentile(st, [10.0, 95.0])
    return float(high - low)


def annex2_oversample(x: np.ndarray) -> np.ndarray:
    """4x oversampled 1-D signal with the Annex 2 interpolator (full convolution)."""
    x = np.asarray(x, dtype=np.float64)
    phases = [np.convolve(x, h) for h in ANNEX2_PHASES]
    out = np.empty(4 * phases[0].size)
    for p, y in enumerate(phases):
        out[p::4] = y
    return out


def annex2_true_peak(x: np.ndarray) -> float:
    """Largest |value| of the Annex 2 4x interpolation of a 1-D signal (linear, not dB)."""
    return float(np.max(np.abs(annex2_oversample(x))))


def oversampled_true_peak(x: np.ndarray, factor: int = 16) -> float:
    """Largest |value| of a ``factor``-times oversampled 1-D signal (long Kaiser FIR).

    A much longer interpolator than Annex 2's (scipy.signal.resample_poly, Kaiser beta
    12), so close to the band-limited reconstruction's peak; linear, not dB.
    """
    y = signal.resample_poly(np.asarray(x, dtype=np.float64), factor, 1, window=("kaiser", 12.0))
    return float(max(np.max(np.abs(y)), np.max(np.abs(x))))

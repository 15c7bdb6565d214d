"""Independent measurements of what the studio delivers: pyloudnorm, libebur128 and a 16x reference.

None of these share code with mezzo: pyloudnorm (integrated loudness, BS.1770), libebur128
through pyebur128 (integrated loudness and true peak, 4x) and the long-filter 16x
oversampler of ``tests/reference/naive_bs1770.py`` (scipy's resample_poly, Kaiser beta 12),
run here in chunks so that memory stays small. The true peak reported is the larger of the
last two: a promise of "at most the ceiling" has to hold for both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from reference.naive_bs1770 import oversampled_true_peak

#: Samples per chunk of the 16x reference, and the context added on each side (far longer
#: than the Kaiser filter's 10 input samples).
_CHUNK = 1 << 17
_MARGIN = 256


@dataclass(frozen=True)
class Measured:
    integrated_lufs_pyloudnorm: float
    integrated_lufs_libebur128: float
    true_peak_dbtp_libebur128: float
    true_peak_dbtp_reference: float

    @property
    def true_peak_dbtp(self) -> float:
        return max(self.true_peak_dbtp_libebur128, self.true_peak_dbtp_reference)


def _reference_peak(x: np.ndarray) -> float:
    peak = 0.0
    for start in range(0, x.size, _CHUNK):
        lo, hi = max(0, start - _MARGIN), min(x.size, start + _CHUNK + _MARGIN)
        peak = max(peak, oversampled_true_peak(x[lo:hi]))
    return peak


def integrated_lufs(path: Path) -> float:
    """Integrated loudness of a file by pyloudnorm, LUFS."""
    import pyloudnorm as pyln

    data, rate = sf.read(path, always_2d=True, dtype="float64")
    return float(pyln.Meter(rate).integrated_loudness(data))


def measure(path: Path) -> Measured:
    """Measure a file with the three independent meters."""
    import pyebur128 as pe
    import pyloudnorm as pyln

    data, rate = sf.read(path, always_2d=True, dtype="float64")
    lufs = pyln.Meter(rate).integrated_loudness(data)
    mode = pe.MeasurementMode
    state = pe.R128State(data.shape[1], rate, mode.MODE_I | mode.MODE_TRUE_PEAK)
    state.add_frames(np.ascontiguousarray(data).ravel(), data.shape[0])
    ebu_tp = max(pe.get_true_peak(state, c) for c in range(data.shape[1]))
    ref_tp = max(_reference_peak(data[:, c]) for c in range(data.shape[1]))
    return Measured(float(lufs), float(pe.get_loudness_global(state)), 20 * math.log10(ebu_tp), 20 * math.log10(ref_tp))

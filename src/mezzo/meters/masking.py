"""Band-wise masking on the auditory model's cells: masked threshold, signal-to-mask ratio, audibility.

The definitions are in :mod:`mezzo.meters.audibility`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mezzo.meters.auditory import CAM_STEP, AuditoryBands, partial_specific_loudness

__all__ = ["CLEAR_MARGIN_DB", "MaskingCells", "band_audibility", "loudness_weights", "masked_threshold"]

#: A band counts fully towards audibility from this far above the masked threshold, dB.
CLEAR_MARGIN_DB = 6.0


@dataclass(frozen=True)
class MaskingCells:
    """Per-cell excitation of every stem, the model's state after a measurement.

    Attributes
    ----------
    bands : AuditoryBands
    excitation : ndarray, shape (cells, ears, stems, bands), float32
        Excitation of each stem through the mix's auditory filters, relative to 0 dB SPL.
    """

    bands: AuditoryBands
    excitation: np.ndarray

    def noise(self, stem: int, cells: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Excitation of everything but ``stem`` (the rest of the mix), ``(cells, ears, bands)``."""
        e = self.excitation[cells].astype(np.float64)
        return np.maximum(e.sum(axis=2) - e[:, :, stem], 0.0)


def masked_threshold(bands: AuditoryBands, e_noise: np.ndarray) -> np.ndarray:
    """Masked threshold excitation ``E_THRN = K E_NOISE + E_THRQ`` (MGB97 eq. 16)."""
    return bands.k * e_noise + bands.e_thrq


def band_audibility(bands: AuditoryBands, e_sig: np.ndarray, e_noise: np.ndarray) -> np.ndarray:
    """Audibility of each band, ``clip(m / 6 dB, 0, 1)`` with ``m`` the signal-to-mask ratio in dB."""
    tiny = np.finfo(np.float64).tiny
    smr_db = 10.0 * np.log10(np.maximum(e_sig, tiny) / masked_threshold(bands, e_noise))
    return np.clip(smr_db / CLEAR_MARGIN_DB, 0.0, 1.0)


def loudness_weights(bands: AuditoryBands, e_sig: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Specific loudness alone ``(cells, ears, bands)`` and its total per cell (both ears), sone."""
    specific = partial_specific_loudness(bands, e_sig, np.zeros_like(e_sig))
    return specific, specific.sum(axis=(-1, -2)) * CAM_STEP

"""Audibility of stems in a mix: which stem is buried, when, by what, and what would fix it.

:func:`audibility` (and the streaming :class:`AudibilityMeter`) measure, for every stem of a
mix, how much of it the listener still hears with all the other stems playing, on a 0.1 s
grid, and find the stretches where it is buried.

The model
---------
Excitation patterns, thresholds and loudness follow Moore, Glasberg & Baer (1997) as
standardised in ANSI S3.4-2007 (:mod:`mezzo.meters.auditory`): roex auditory filters every
0.5 Cam (ERB-number scale) from 50 Hz to 15 kHz, whose lower skirts widen with the level
of the mix (so masking spreads upward in frequency far more than downward, and more the
louder the masker), outer- and middle-ear transfer for free-field listening, and the
signal's masked threshold in each band ``E_THRN = K E_NOISE + E_THRQ`` (MGB97 eq. 16):
``K`` is the signal-to-masker ratio at the output of the auditory filter at threshold
(-3 dB from 1 kHz up), ``E_THRQ`` the excitation at the threshold in quiet. A stem's
"noise" is the rest of the mix: the excitation of all the other stems, through the same
filters (the filters follow the level of the whole mix, since the ear hears the mix).

Band powers are averaged over each 0.1 s cell (two 85 ms Hann frames) before the model,
an energy integration of 100 ms comparable to the temporal integration at threshold.

Definitions
-----------
**Level calibration.** A full-scale sine (peak 1.0, 0 dBFS) plays at ``full_scale_spl_db``
dB SPL, 100 dB by default (a mixing level: K-20 monitoring puts pink noise at -20 dBFS RMS
at 83 dB SPL, i.e. a full-scale sine at 100 dB SPL).

**Signal-to-mask ratio** of a stem in band ``b``: ``m_b = 10 log10(E_SIG / E_THRN)`` dB;
the stem is below its masked threshold there when ``m_b <= 0``.

**Audibility (0-1)** of a stem in a cell: the share of its own loudness (specific loudness
alone, ANSI S3.4-2007, summed over both ears and all bands) carried by bands where it
clears its masked threshold, each band counted as ``clip(m_b / 6 dB, 0, 1)``: 0 when every
band is at or under the masked threshold (inaudible), 1 when every band is at least 6 dB
above it (clearly heard). This is the structure of the Speech Intelligibility Index (ANSI
S3.5-1997: band audibility from the signal-to-masker ratio, weighted by importance) with
the stem's own loudness as the weight. For a stem against a masker with the same
spectrum, audibility is 0.5 about where both have the same level (``K`` = -3 dB).
Why not the ratio of partial loudness to loudness alone: with the partial-loudness
criterion of detection (the loudness at the threshold in quiet, about 0.003 sone), a tone
centred in a critical-band noise is detected 10-12 dB under the noise, where listeners
need about -3 dB (Zwicker's masking index), because every band of two parallel excitation
patterns adds a little partial loudness; the band-wise threshold is within 1-2 dB of it.

**Sounding**: a cell where the stem's loudness alone is at least :data:`SILENT_BELOW_SONE`
(a 1 kHz tone at about 10 dB SPL) and at least 1/16 of its own loud parts (the 95th
percentile of its loudness over the sounding cells: about 40 dB below them). Audibility
is undefined (NaN, ``null`` in JSON) where a stem is not sounding; a silent stem is never
buried.

**Buried**: a stretch of at least 0.5 s where a sounding stem's audibility stays below
``buried_below``, 0.5 by default (gaps up to 0.2 s, or up to 1 s where the stem is silent,
are bridged). At 0.5 a stem is buried where, weighted by its own loudness, it sits under the
rest of the mix in its own bands; a lower value flags only deeper burial. Each buried
interval names the stems that mask it (``masked_by``, by their share of the masking:
``K E_j / E_THRN`` weighted by the audibility the stem loses in each band), the frequency
range where it loses most (``band_hz``: 10th to 90th percentile of the loss along the
ERB scale) and ``needed_db``: the gain on the stem over the interval after which 90 % of
its sounding cells reach ``buried_below`` (with the filter shapes of the mix as they are).

**Loudness** alone is the BS.1770-4 integrated loudness of the stem (LUFS, a mono stem in
a stereo mix counted on both channels) and its ANSI S3.4-2007 loudness (sones, mean over
the sounding cells). In the mix, it is its partial loudness (MGB97 eq. 17-18, sones) and
``loudness_in_mix_lufs``: ``loudness_lufs`` lowered by ``33.2 log10(partial / alone)``
(10 phon per doubling of loudness, the sone scale's definition).

References
----------
B. C. J. Moore, B. R. Glasberg and T. Baer, "A model for the prediction of thresholds,
loudness, and partial loudness", J. Audio Eng. Soc. 45(4), 224-240, 1997.
B. R. Glasberg and B. C. J. Moore, "Development and evaluation of a model for predicting
the audibility of time-varying sounds in the presence of background sounds", J. Audio
Eng. Soc. 53(10), 906-918, 2005.
ANSI S3.4-2007, "Procedure for the computation of loudness of steady sounds".
ANSI S3.5-1997, "Methods for calculation of the speech intelligibility index".
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mezzo._validate import check_audio, check_range, check_sample_rate
from mezzo.errors import AudioInputError, ParameterError
from mezzo.meters.auditory import CAM_STEP, partial_specific_loudness
from mezzo.meters.buried import (
    BURIED_BELOW,
    BuriedInterval,
    Suggestion,
    find_buried,
    suggestions_for,
)
from mezzo.meters.masking import MaskingCells, band_audibility, loudness_weights
from mezzo.meters.stem_spectra import CELL_S, StemSpectra
from mezzo.results import json_value

__all__ = [
    "DEFAULT_FULL_SCALE_SPL_DB",
    "AudibilityMeter",
    "AudibilityResult",
    "BuriedInterval",
    "StemAudibility",
    "Suggestion",
    "audibility",
]

#: Default level of a full-scale sine, dB SPL.
DEFAULT_FULL_SCALE_SPL_DB = 100.0
#: Loudness alone under which a stem counts as silent: a 1 kHz tone at about 10 dB SPL
#: heard by both ears, sone.
SILENT_BELOW_SONE = 0.03
#: A stem is silent where its loudness alone is below this fraction of its loud parts.
RELATIVE_SILENCE = 1.0 / 16.0

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class StemAudibility:
    """The audibility of one stem in the mix.

    Attributes
    ----------
    name : str
    loudness_lufs : float or None
        BS.1770-4 integrated loudness of the stem alone, LUFS; None if silent.
    loudness_sone : float or None
        Loudness of the stem alone (ANSI S3.4-2007), mean over its sounding cells, sone.
    partial_loudness_sone : float or None
        Its loudness with the rest of the mix playing (MGB97 partial loudness), sone.
    loudness_in_mix_lufs : float or None
        ``loudness_lufs`` lowered by the loss of loudness in the mix (10 LU per halving);
        None when its partial loudness is under :data:`SILENT_BELOW_SONE` (not heard).
    mean_audibility : float or None
        Mean of ``audibility`` over the sounding cells, 0-1.
    audibility : ndarray, shape (cells,)
        Audibility 0-1 per 0.1 s cell (see ``AudibilityResult.times_s``); NaN where the
        stem is not sounding.
    buried : tuple of BuriedInterval
    buried_s : float
        Total length of the buried intervals, s.
    """

    name: str
    loudness_lufs: float | None
    loudness_sone: float | None
    partial_loudness_sone: float | None
    loudness_in_mix_lufs: float | None
    mean_audibility: float | None
    audibility: np.ndarray = field(repr=False)
    buried: tuple[BuriedInterval, ...]
    buried_s: float

    def masked_by_s(self) -> dict[str, float]:
        """Buried time attributed to each masker (interval length times its share), s, largest first."""
        total: dict[str, float] = {}
        for b in self.buried:
            for name, share in zip(b.masked_by, b.masker_shares, strict=True):
                total[name] = total.get(name, 0.0) + share * b.duration_s
        return dict(sorted(total.items(), key=lambda item: -item[1]))

    def to_dict(self, *, series: bool = True) -> dict[str, Any]:
        """Return a JSON-ready dict (with the audibility curve unless ``series=False``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "loudness_lufs": json_value(self.loudness_lufs),
            "loudness_sone": json_value(self.loudness_sone),
            "partial_loudness_sone": json_value(self.partial_loudness_sone),
            "loudness_in_mix_lufs": json_value(self.loudness_in_mix_lufs),
            "mean_audibility": json_value(self.mean_audibility),
            "buried_s": json_value(self.buried_s),
            "buried": [b.to_dict() for b in self.buried],
        }
        if series:
            out["audibility"] = json_value(np.round(self.audibility, 3))
        return out


@dataclass(frozen=True, slots=True)
class AudibilityResult:
    """The audibility of every stem of a mix.

    Attributes
    ----------
    sample_rate : int
    duration_s : float
        Length of the longest stem, s.
    full_scale_spl_db : float
        Level of a full-scale sine assumed by the model, dB SPL.
    buried_below : float
        Audibility under which a sounding stem counted as buried, 0-1.
    mix_loudness_lufs : float or None
        BS.1770-4 integrated loudness of the mix (the sum of the stems), LUFS.
    times_s : ndarray, shape (cells,)
        Centre of each 0.1 s cell of the audibility curves, s.
    stems : tuple of StemAudibility
    suggestions : tuple of Suggestion
    """

    sample_rate: int
    duration_s: float
    full_scale_spl_db: float
    buried_below: float
    mix_loudness_lufs: float | None
    times_s: np.ndarray = field(repr=False)
    stems: tuple[StemAudibility, ...]
    suggestions: tuple[Suggestion, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the stems, in order."""
        return tuple(s.name for s in self.stems)

    def stem(self, name: str) -> StemAudibility:
        """The result of the stem called ``name``."""
        for s in self.stems:
            if s.name == name:
                return s
        raise ParameterError(f"stem={name!r} is not one of the stems: expected one of {', '.join(self.names)}")

    def to_dict(self, *, series: bool = True) -> dict[str, Any]:
        """Return ``{"stems": [...], "suggestions": [...], ...}`` ready for JSON."""
        out: dict[str, Any] = {
            "stems": [s.to_dict(series=series) for s in self.stems],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "sample_rate": self.sample_rate,
            "duration_s": json_value(self.duration_s),
            "full_scale_spl_db": json_value(self.full_scale_spl_db),
            "buried_below": json_value(self.buried_below),
            "mix_loudness_lufs": json_value(self.mix_loudness_lufs),
        }
        if series:
            out["times_s"] = json_value(np.round(self.times_s, 3))
        return out


class AudibilityMeter:
    """Streaming audibility of named stems: feed aligned blocks, then call :meth:`result`.

    Parameters
    ----------
    sample_rate : int
        Sample rate of every stem, Hz.
    names : sequence of str
        Names of the stems, in the order they are reported.
    full_scale_spl_db : float, 60 to 130
        Level of a full-scale sine, dB SPL.
    buried_below : float, 0.05 to 0.95
        Audibility under which a sounding stem is buried (0.5: under the rest of the mix in
        its own bands; lower it to flag only the deeper cases).

    Notes
    -----
    Memory holds the band powers per 0.1 s cell (about 6 kB per second per stereo stem),
    never the audio. Channel counts are fixed by the first :meth:`update`: stems may be
    mono or share one channel count; mono stems are counted on every channel of the mix.
    """

    def __init__(
        self,
        sample_rate: int,
        names: Sequence[str],
        *,
        full_scale_spl_db: float = DEFAULT_FULL_SCALE_SPL_DB,
        buried_below: float = BURIED_BELOW,
    ) -> None:
        self.sample_rate = check_sample_rate(sample_rate)
        self.names = tuple(_check_names(names))
        self.full_scale_spl_db = check_range("full_scale_spl_db", full_scale_spl_db, 60.0, 130.0, "dB SPL")
        self.buried_below = check_range("buried_below", buried_below, 0.05, 0.95)
        self.reset()

    def reset(self) -> None:
        """Forget every block seen."""
        self._channels: list[int] | None = None
        self._spectra: StemSpectra | None = None
        self._meters: list[Any] = []
        self._mix_meter: Any = None

    @property
    def samples_seen(self) -> int:
        """Samples per channel given so far."""
        return 0 if self._spectra is None else self._spectra.samples_seen

    def update(self, blocks: Mapping[str, np.ndarray]) -> None:
        """Add the next block of every stem (``(channels, n)`` or ``(n,)``, the same ``n``)."""
        arrays = self._check_blocks(blocks)
        if self._spectra is None:
            self._start([a.shape[0] for a in arrays])
        assert self._spectra is not None
        if arrays[0].shape[1] == 0:
            return
        self._spectra.update(arrays)
        mix_channels = self._mix_channels
        mix = np.zeros((mix_channels, arrays[0].shape[1]), dtype=np.float64)
        for meter, a in zip(self._meters, arrays, strict=True):
            wide = np.broadcast_to(a, (mix_channels, a.shape[1]))
            meter.update(wide)
            mix += wide
        self._mix_meter.update(mix)

    def _check_blocks(self, blocks: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        if not isinstance(blocks, Mapping):
            raise ParameterError("blocks must be a mapping of stem name to audio block")
        missing = [n for n in self.names if n not in blocks]
        extra = [n for n in blocks if n not in self.names]
        if missing or extra:
            raise ParameterError(
                f"blocks must hold exactly the stems {', '.join(self.names)}: "
                + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(map(str, extra))}")
            )
        arrays = [check_audio(blocks[n], name=f"stem {n!r}", allow_empty=True) for n in self.names]
        lengths = {a.shape[1] for a in arrays}
        if len(lengths) != 1:
            raise AudioInputError(f"stem blocks have different lengths {sorted(lengths)}: pad them to the same length")
        if self._channels is not None:
            got = [a.shape[0] for a in arrays]
            if got != self._channels:
                raise AudioInputError(f"stem channel counts changed from {self._channels} to {got} between blocks")
        return arrays

    def _start(self, channels: list[int]) -> None:
        from mezzo.meters.loudness import LoudnessMeter

        wide = sorted({c for c in channels if c > 1})
        if len(wide) > 1:
            detail = ", ".join(f"{n}: {c}" for n, c in zip(self.names, channels, strict=True))
            raise AudioInputError(
                f"stems have different channel counts ({detail}): mix mono stems with stems of one channel "
                "count, or convert them first"
            )
        self._channels = channels
        self._mix_channels = wide[0] if wide else 1
        self._spectra = StemSpectra(self.sample_rate, channels, full_scale_spl_db=self.full_scale_spl_db)
        self._meters = [LoudnessMeter(self.sample_rate, self._mix_channels, true_peak=False) for _ in channels]
        self._mix_meter = LoudnessMeter(self.sample_rate, self._mix_channels, true_peak=False)

    def cells(self) -> MaskingCells:
        """The model's per-cell excitations of the blocks so far (for remedies and fixes)."""
        if self._spectra is None:
            raise AudioInputError("no audio given yet: call update() with blocks of every stem first")
        power = self._spectra.result()  # (cells, stems, ears, bands)
        bands = self._spectra.bands
        cells, stems, ears, n = power.shape
        flat = np.ascontiguousarray(power.transpose(0, 2, 1, 3)).reshape(cells * ears, stems, n)
        excitation = np.empty_like(flat)
        for start in range(0, flat.shape[0], _CHUNK):
            excitation[start : start + _CHUNK] = bands.excitation(flat[start : start + _CHUNK])
        return MaskingCells(bands, excitation.reshape(cells, ears, stems, n))

    def result(self) -> AudibilityResult:
        """Audibility, buried intervals and suggestions of the blocks so far."""
        state = self.cells()
        n_cells = state.excitation.shape[0]
        times = (np.arange(n_cells) + 0.5) * CELL_S
        stems = []
        all_buried = []
        for index, name in enumerate(self.names):
            curves = _stem_curves(state, index)
            buried = find_buried(state, index, curves.audibility, curves.sounding, self.names, self.buried_below)
            all_buried.append(buried)
            stems.append(self._stem_result(index, name, curves, buried))
        suggestions = suggestions_for(self.names, all_buried)
        mix_lufs = self._mix_meter.result().integrated_lufs if self._mix_meter is not None else None
        return AudibilityResult(
            sample_rate=self.sample_rate,
            duration_s=self.samples_seen / self.sample_rate,
            full_scale_spl_db=self.full_scale_spl_db,
            buried_below=self.buried_below,
            mix_loudness_lufs=mix_lufs,
            times_s=times,
            stems=tuple(stems),
            suggestions=tuple(suggestions),
        )

    def _stem_result(self, index: int, name: str, curves: _Curves, buried: list[BuriedInterval]) -> StemAudibility:
        lufs = self._meters[index].result().integrated_lufs
        s = curves.sounding
        if not s.any():
            return StemAudibility(name, lufs, None, None, None, None, curves.audibility, (), 0.0)
        alone = float(curves.loudness[s].mean())
        partial = float(curves.partial[s].mean())
        in_mix = None
        if lufs is not None and partial >= SILENT_BELOW_SONE:  # below that it is not heard in the mix
            in_mix = lufs + 10.0 / math.log10(2.0) * math.log10(partial / alone)
        return StemAudibility(
            name=name,
            loudness_lufs=lufs,
            loudness_sone=alone,
            partial_loudness_sone=partial,
            loudness_in_mix_lufs=in_mix,
            mean_audibility=float(np.nanmean(curves.audibility)),
            audibility=curves.audibility,
            buried=tuple(buried),
            buried_s=float(sum(b.duration_s for b in buried)),
        )


#: Rows (cell x ear) per call of the excitation kernel.
_CHUNK = 4096


@dataclass(frozen=True)
class _Curves:
    audibility: np.ndarray
    sounding: np.ndarray
    loudness: np.ndarray
    partial: np.ndarray


def _stem_curves(state: MaskingCells, index: int) -> _Curves:
    """Audibility, sounding mask, loudness alone and partial loudness per cell of one stem."""
    bands = state.bands
    n_cells = state.excitation.shape[0]
    audible = np.zeros(n_cells)
    loud = np.zeros(n_cells)
    partial = np.zeros(n_cells)
    for start in range(0, n_cells, _CHUNK):
        cells = slice(start, start + _CHUNK)
        e_sig = state.excitation[cells, :, index].astype(np.float64)
        e_noise = state.noise(index, cells)
        specific, total = loudness_weights(bands, e_sig)
        weights = specific / np.maximum(total, 1e-12)[:, np.newaxis, np.newaxis] * CAM_STEP
        audible[cells] = (weights * band_audibility(bands, e_sig, e_noise)).sum(axis=(1, 2))
        loud[cells] = total
        partial[cells] = partial_specific_loudness(bands, e_sig, e_noise).sum(axis=(1, 2)) * CAM_STEP
    sounding = loud >= SILENT_BELOW_SONE
    if sounding.any():
        reference = float(np.percentile(loud[sounding], 95.0))
        sounding &= loud >= RELATIVE_SILENCE * reference
    curve = np.where(sounding, np.clip(audible, 0.0, 1.0), np.nan)
    return _Curves(curve, sounding, loud, partial)


def _check_names(names: Sequence[str]) -> list[str]:
    out = [str(n) for n in names]
    if not out:
        raise ParameterError("stems is empty: give at least two stems (the mix is their sum)")
    if len(set(out)) != len(out):
        dup = sorted({n for n in out if out.count(n) > 1})
        raise ParameterError(f"stem names must be unique: {', '.join(map(repr, dup))} appear more than once")
    return out


def audibility(
    stems: Mapping[str, np.ndarray | str | os.PathLike[str]] | Sequence[str | os.PathLike[str]],
    sample_rate: int | None = None,
    *,
    full_scale_spl_db: float = DEFAULT_FULL_SCALE_SPL_DB,
    buried_below: float = BURIED_BELOW,
    progress: ProgressCallback | None = None,
) -> AudibilityResult:
    """Measure how audible each stem is in the mix of all of them.

    Parameters
    ----------
    stems : mapping of str to ndarray or path, or sequence of paths
        The stems: arrays shaped ``(channels, samples)`` or ``(samples,)`` by name, or
        audio files (named by their file name without extension). Stems of different
        lengths are padded with silence; mono stems play on every channel of the mix.
    sample_rate : int, optional
        Sample rate in Hz; required for arrays, taken from the files otherwise (files of
        different rates are refused).
    full_scale_spl_db : float, 60 to 130
        Level of a full-scale sine, dB SPL (default 100: mixing level).
    buried_below : float, 0.05 to 0.95
        Audibility under which a sounding stem is buried (default 0.5).
    progress : callable, optional
        Called as ``progress(samples_done, samples_total)`` while reading.

    Returns
    -------
    AudibilityResult

    Notes
    -----
    The model and every definition (audibility, buried, ``needed_db``) are in the module
    docstring of :mod:`mezzo.meters.audibility`.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 3) / 48000
    >>> pad = 0.3 * np.sin(2 * np.pi * 440 * t)
    >>> lead = 0.005 * np.sin(2 * np.pi * 445 * t)  # 36 dB under the pad, in its band
    >>> result = audibility({"pad": pad, "lead": lead}, 48000)
    >>> [(b.start_s, b.end_s, b.masked_by) for b in result.stem("lead").buried]
    [(0.0, 3.0, ('pad',))]
    >>> result.stem("pad").buried
    ()
    """
    from mezzo.meters.stem_blocks import StemBlocks

    source = StemBlocks(stems, sample_rate)
    meter = AudibilityMeter(source.sample_rate, source.names, full_scale_spl_db=full_scale_spl_db,
                            buried_below=buried_below)
    with source:
        for blocks in source:
            meter.update(blocks)
            if progress is not None:
                progress(meter.samples_seen, source.frames)
    return meter.result()

"""``mezzo.analyze``: everything mezzo measures about a file or an array, in one pass.

With ``dynamics=True`` the same single pass over the blocks also feeds
:class:`~mezzo.meters.dynamic_range.DynamicRangeMeter` (crest factor, PSR, DR, dynamic
complexity) and :class:`~mezzo.meters.features.SpectralFrames` (log band energies of
the mono mix on a ~23 ms grid). Memory stays bounded: the audio is never kept, only these
features (about 20 kB per second of audio, some 70 MB for an hour) and the loudness
series; the dynamics map, tempo, build-ups and drops are computed from them at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import (
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    check_audio,
    check_range,
    check_sample_rate,
)
from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.meters.loudness import LoudnessMeter, LoudnessResult

#: Samples per channel read from a file at a time (about 1.4 s at 48 kHz).
BLOCK_SAMPLES = 65536

#: Files up to this long (s) measured for loudness alone are read whole and measured in numpy
#: (:meth:`LoudnessMeter.measure_whole`): the process does not load numba and its kernels.
WHOLE_FILE_SECONDS = 60

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one file or array.

    Attributes of the loudness measurement (``integrated_lufs``,
    ``true_peak_dbtp``, ...) are available directly on the analysis.
    """

    path: str | None
    loudness: LoudnessResult
    dynamic_range: Any = None
    dynamics: Any = None
    tempo: Any = None

    def __getattr__(self, name: str) -> Any:
        for part in ("loudness", "dynamic_range", "dynamics", "tempo"):
            value = object.__getattribute__(self, part)
            if value is not None and hasattr(value, name):
                return getattr(value, name)
        raise AttributeError(f"'Analysis' object has no attribute {name!r}")

    def to_dict(self, *, series: bool = False) -> dict[str, Any]:
        """Return a flat JSON-ready dict (``path`` plus every measured figure).

        With the dynamics analysed, it adds ``crest_factor_db``, ``psr_db``
        (``{"median", "min"}``), ``psr_median_db``, ``psr_min_db``, ``dr_score``, ``dr_db``,
        ``dynamic_complexity_db``, ``markings``, ``hairpins``, ``flat_sections``,
        ``variation``, ``tempo_bpm``, ``tempo_curve``, ``tempo_changes``, ``buildups`` and
        ``drops``.
        """
        out = {"path": self.path, **self.loudness.to_dict(series=series)}
        for part in (self.dynamic_range, self.dynamics, self.tempo):
            if part is not None:
                out.update(part.to_dict())
        return out


def analyze(
    source: str | os.PathLike[str] | np.ndarray,
    sample_rate: int | None = None,
    *,
    layout: str | None = None,
    hop_s: float = 0.1,
    progress: ProgressCallback | None = None,
    dynamics: bool = False,
    min_confidence: float = 0.5,
    phase: Callable[[str], None] | None = None,
) -> Analysis:
    """Analyse a file (streamed in blocks) or an array.

    Parameters
    ----------
    source : path or ndarray, shape (channels, samples) or (samples,)
        An audio file, or float audio.
    sample_rate : int, optional
        Sample rate in Hz; required for arrays, taken from the file otherwise
        (giving a different one for a file is an error).
    layout : str, optional
        Channel layout for the loudness channel weights (see
        :func:`mezzo.meters.layout.channel_weights`).
    hop_s : float
        Spacing of the momentary and short-term series in seconds.
    progress : callable, optional
        Called as ``progress(samples_done, samples_total)`` while a file is read.
    dynamics : bool
        Also measure the dynamic-range figures, the dynamics map (markings, hairpins,
        flat sections, variation) and tempo (curve, changes, build-ups, drops). Needs
        ``hop_s=0.1`` for the map; imports scipy and librosa.
    min_confidence : float, 0-1
        With ``dynamics``: hairpins, tempo changes, build-ups and drops whose confidence is
        below this are left out (every reading carries its ``confidence``); 0 reports them all
        (the CLI's ``--all``).
    phase : callable, optional
        Called as ``phase(label)`` when a stage starts ("loudness", "dynamics map", "tempo"...),
        for a progress display.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 5) / 48000
    >>> a = analyze(0.1 * np.sin(2 * np.pi * 997 * t), 48000)
    >>> round(a.integrated_lufs, 1), a.dynamics is None  # loudness alone unless dynamics=True
    (-23.0, True)

    A file is streamed in blocks: ``analyze("mix.wav", dynamics=True).tempo.tempo_bpm``.
    """
    check_range("min_confidence", min_confidence, 0.0, 1.0)
    if isinstance(source, np.ndarray):
        rate = check_sample_rate(sample_rate)
        audio = check_audio(source)
        meter = LoudnessMeter(rate, audio.shape[0], layout=layout, hop_s=hop_s)
        extra = _DynamicsPass(rate, audio.shape[0]) if dynamics else None
        meter.update(audio)
        if extra is not None:
            extra.update(audio)
        return _finish(None, meter.result(), extra, min_confidence, phase)
    from mezzo import io

    path = os.fspath(source)
    with io.blocks(path, block_samples=BLOCK_SAMPLES) as reader:
        info = reader.info
        if sample_rate is not None and check_sample_rate(sample_rate) != info.sample_rate:
            raise ParameterError(
                f"sample_rate={sample_rate!r} differs from the file's {info.sample_rate} Hz: "
                "leave it out for files"
            )
        if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
            raise AudioFileError(
                f"{path!r}: sample rate {info.sample_rate} Hz is outside {MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz"
                " — resample it (e.g. to 48000 Hz) first"
            )
        meter = LoudnessMeter(info.sample_rate, info.channels, layout=layout, hop_s=hop_s)
        extra = _DynamicsPass(info.sample_rate, info.channels) if dynamics else None
        # a short file measured for loudness alone goes through numpy at once: no numba to load
        whole: list[np.ndarray] | None = None
        if not dynamics and 0 < (info.frames or 0) <= WHOLE_FILE_SECONDS * info.sample_rate:
            whole = []
        done = 0
        if phase is not None:
            phase("loudness and features" if dynamics else "loudness")
        for block in reader:
            try:
                if whole is None:
                    meter.update(block)  # validates the block (NaN/Inf) before measuring it
                else:
                    check_audio(block, name="block", allow_empty=True)
                    whole.append(block)
            except AudioInputError:
                at = (done + int(np.argmax(~np.isfinite(block).all(axis=0)))) / info.sample_rate
                raise AudioInputError(
                    f"{path!r}: contains NaN or Inf samples (first near {at:.2f} s) — repair or re-export the file"
                ) from None
            done += block.shape[-1]
            if extra is not None:
                extra.update(block)
            if progress is not None:
                progress(done, info.frames)
        if whole:
            meter.measure_whole(np.concatenate(whole, axis=1))
    if meter.samples_seen == 0:
        raise AudioInputError(f"{path!r}: contains no audio (0 samples) — check the export")
    return _finish(path, meter.result(), extra, min_confidence, phase)


class _DynamicsPass:
    """The extra accumulators fed with the same blocks as the loudness meter."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        from mezzo.meters.dynamic_range import DynamicRangeMeter
        from mezzo.meters.features import SpectralFrames

        self.range = DynamicRangeMeter(sample_rate, channels)
        self.frames = SpectralFrames(sample_rate, channels)

    def update(self, block: np.ndarray) -> None:
        self.range.update(block)
        self.frames.update(block)


def _finish(
    path: str | None, loudness: LoudnessResult, extra: _DynamicsPass | None, min_confidence: float,
    phase: Callable[[str], None] | None = None,
) -> Analysis:
    if extra is None:
        return Analysis(path=path, loudness=loudness)
    from mezzo.meters.dynamics_map import dynamics_map_from_features
    from mezzo.meters.tempo import tempo_from_features

    say = phase or (lambda label: None)
    say("features")
    features = extra.frames.result()
    say("dynamic range")
    dynamic_range = extra.range.result(loudness)
    say("dynamics map")
    dynamics = dynamics_map_from_features(loudness, features, min_confidence=min_confidence)
    say("tempo")
    return Analysis(
        path=path,
        loudness=loudness,
        dynamic_range=dynamic_range,
        dynamics=dynamics,
        tempo=tempo_from_features(features, min_confidence=min_confidence),
    )

"""``mezzo.analyze``: everything mezzo measures about a file or an array, in one pass."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mezzo._validate import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, check_audio, check_sample_rate
from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.meters.loudness import LoudnessMeter, LoudnessResult

#: Samples per channel read from a file at a time (about 1.4 s at 48 kHz).
BLOCK_SAMPLES = 65536

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one file or array.

    Attributes of the loudness measurement (``integrated_lufs``,
    ``true_peak_dbtp``, ...) are available directly on the analysis.
    """

    path: str | None
    loudness: LoudnessResult

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loudness, name)

    def to_dict(self, *, series: bool = False) -> dict[str, Any]:
        """Return a flat JSON-ready dict (``path`` plus every measured figure)."""
        return {"path": self.path, **self.loudness.to_dict(series=series)}


def analyze(
    source: str | os.PathLike[str] | np.ndarray,
    sample_rate: int | None = None,
    *,
    layout: str | None = None,
    hop_s: float = 0.1,
    progress: ProgressCallback | None = None,
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

    Returns
    -------
    Analysis
    """
    if isinstance(source, np.ndarray):
        rate = check_sample_rate(sample_rate)
        audio = check_audio(source)
        meter = LoudnessMeter(rate, audio.shape[0], layout=layout, hop_s=hop_s)
        meter.update(audio)
        return Analysis(path=None, loudness=meter.result())
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
        for block in reader:
            if not np.isfinite(block).all():
                at = (meter.samples_seen + int(np.argmax(~np.isfinite(block).all(axis=0)))) / info.sample_rate
                raise AudioInputError(
                    f"{path!r}: contains NaN or Inf samples (first near {at:.2f} s) — repair or re-export the file"
                )
            meter.update(block)
            if progress is not None:
                progress(meter.samples_seen, info.frames)
    if meter.samples_seen == 0:
        raise AudioInputError(f"{path!r}: contains no audio (0 samples) — check the export")
    return Analysis(path=path, loudness=meter.result())

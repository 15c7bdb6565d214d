"""What the studio's worker processes run: one function per kind of job.

Each task takes file paths and plain values, writes its files into the job's scratch
folder (``out_dir``) and returns a JSON-ready dict; the server then moves the files
into place (:mod:`mezzo.studio.service`). Tasks call mezzo's Python API only — the
same functions the CLI calls — and do no signal processing of their own.

``progress(fraction, phase)`` is called where the work reports how far it is (file
reading in :func:`mezzo.analyze` and :func:`mezzo.audibility`; mastering's phases,
each from 0 to 1: measuring, rendering pass N, ..., writing).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mezzo.studio.storage import BROWSER_PLAYABLE, output_extension

__all__ = ["TASKS", "one_line", "run", "warm"]

Progress = Callable[[float, str], None]

#: Columns of the true-peak series (about one per pixel of a wide chart).
TIMELINE_COLUMNS = 2000
#: Decimals kept in the timeline's series (0.01 LU, 1 ms).
_DIGITS = 2


def one_line(exc: BaseException) -> str:
    """A one-line message for an exception: mezzo's own as is, others named."""
    from mezzo.errors import MezzoError

    text = " ".join(str(exc).split())
    if isinstance(exc, MezzoError):
        return text
    return f"unexpected {type(exc).__name__}: {text}" if text else f"unexpected {type(exc).__name__}"


def _phases(progress: Progress, names: list[str]) -> list[Callable[[int, int], None]]:
    """Callbacks ``(done, total)`` for consecutive phases that share the 0-1 range equally."""

    def make(index: int, name: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            part = min(1.0, done / total) if total > 0 else 0.0
            progress((index + part) / len(names), name)

        return report

    return [make(i, name) for i, name in enumerate(names)]


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, allow_nan=False), encoding="utf-8")


def _rounded(values: Any) -> list[float | None]:
    import numpy as np

    from mezzo.results import json_value

    return json_value(np.round(np.asarray(values, dtype=float), _DIGITS))


# ---------------------------------------------------------------------- tasks


def analyse(*, audio: str, out_dir: str, progress: Progress) -> dict[str, Any]:
    """Write ``analysis.json`` (what ``mezzo analyze --json`` prints), ``timeline.json`` and,
    for formats a browser cannot play, ``preview.wav``."""
    from mezzo.analysis import analyze
    from mezzo.report.scan import scan_file

    out = Path(out_dir)
    playable = os.path.splitext(audio)[1].lower().lstrip(".") in BROWSER_PLAYABLE
    names = ["measuring loudness, markings and tempo", "measuring true peak"]
    if not playable:
        names.append("making a preview the browser can play")
    steps = _phases(progress, names)
    result = analyze(audio, dynamics=True, progress=steps[0])
    analysis = result.to_dict()
    duration = float(result.duration_s)
    scan = scan_file(audio, column_s=max(duration / TIMELINE_COLUMNS, 0.01))
    steps[1](1, 1)
    loud = result.loudness
    timeline = {
        "duration_s": duration,
        "momentary": {"times_s": _rounded(loud.momentary_times_s), "lufs": _rounded(loud.momentary_lufs)},
        "short_term": {"times_s": _rounded(loud.short_term_times_s), "lufs": _rounded(loud.short_term_lufs)},
        "true_peak": {
            "column_s": scan.column_s,
            "times_s": _rounded(scan.column_times_s + scan.column_s / 2),
            "dbtp": _rounded(scan.true_peak_dbtp),
        },
    }
    _write_json(out / "analysis.json", analysis)
    _write_json(out / "timeline.json", timeline)
    files = ["analysis.json", "timeline.json"]
    if not playable:
        from mezzo import io

        samples, rate = io.read(audio)
        io.write(out / "preview.wav", samples, rate, subtype="FLOAT")
        steps[2](1, 1)
        files.append("preview.wav")
    return {"files": files, "integrated_lufs": analysis["integrated_lufs"]}


def master(
    *, audio: str, out_dir: str, preset: str | None, target_lufs: float, ceiling_dbtp: float,
    glue: bool, progress: Progress,
) -> dict[str, Any]:
    """Master ``audio`` with :func:`mezzo.mastering.master.master_file` into ``out_dir/audio.<ext>``.

    ``preset``, ``target_lufs`` and ``ceiling_dbtp`` are the fields of the request's
    :class:`~mezzo.mastering.targets.Targets` (resolved by the service). Lossless inputs
    keep their format and encoding; lossy ones (MP3, OGG...) become 24-bit WAV, so the
    ceiling holds in the file that is delivered.
    """
    from mezzo.mastering.master import master_file
    from mezzo.mastering.targets import Targets

    source_ext = os.path.splitext(audio)[1].lower().lstrip(".")
    ext = output_extension(source_ext)
    out = Path(out_dir) / f"audio.{ext}"

    def phases(phase: str, done: int, total: int | None) -> None:
        # the engine's phases (measuring, rendering pass N, ...); the fraction is the phase's own
        progress(min(done / total, 1.0) if total else 0.0, f"mastering: {phase}")

    report = master_file(
        audio, out, targets=Targets(target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp, preset=preset), glue=glue,
        bit_depth=None if ext == source_ext else 24, progress=phases,
    )
    return {"audio": out.name, "report": report.to_dict()}


def shape(
    *, audio: str, out_dir: str, kind: str, marks: str | None = None, preset: str | None = None,
    target_lufs: float | None = None, progress: Progress,
) -> dict[str, Any]:
    """Shape the dynamics of ``audio``: written markings, a compressor preset or the leveler.

    The version is written as 32-bit float WAV, so nothing clips on the way to the master.
    """
    from mezzo import io
    from mezzo.errors import MezzoWarning
    from mezzo.meters.loudness import loudness

    progress(0.0, "reading")
    samples, rate = io.read(audio)
    progress(0.0, f"shaping ({kind})")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MezzoWarning)
        if kind == "marks":
            from mezzo.processors.automation import apply_marks

            shaped = apply_marks(samples, rate, marks)
        elif kind == "compressor":
            from mezzo.processors import Compressor

            shaped = Compressor.preset(preset)(samples, rate)
        elif kind == "leveler":
            from mezzo.processors import Leveler

            shaped = Leveler(target_lufs=target_lufs)(samples, rate)
        else:
            raise ValueError(f"kind={kind!r}: expected marks, compressor or leveler")
    notes = [" ".join(str(w.message).split()) for w in caught if issubclass(w.category, MezzoWarning)]
    out = Path(out_dir) / "audio.wav"
    io.write(out, shaped, rate, subtype="FLOAT")
    progress(0.0, "measuring before and after")
    before, after = loudness(samples, rate), loudness(shaped, rate)

    def levels(r: Any) -> dict[str, Any]:
        return {"integrated_lufs": r.integrated_lufs, "loudness_range_lu": r.loudness_range_lu,
                "true_peak_dbtp": r.true_peak_dbtp, "short_term_max_lufs": r.short_term_max_lufs}  # fmt: skip

    return {"audio": out.name, "report": {"before": levels(before), "after": levels(after), "warnings": notes}}


def stems(*, files: list[str], names: list[str], out_dir: str, progress: Progress) -> dict[str, Any]:
    """Write ``audibility.json``: :func:`mezzo.audibility` of the stems, curves included."""
    from mezzo.meters.audibility import audibility

    (step,) = _phases(progress, ["measuring what each stem masks"])
    result = audibility(dict(zip(names, files, strict=True)), progress=step)
    _write_json(Path(out_dir) / "audibility.json", result.to_dict(series=True))
    return {"files": ["audibility.json"]}


def demo(*, out_dir: str, stems: bool = False, progress: Progress) -> dict[str, Any]:
    """Render the demo track (or its four stems) as 24-bit WAV into ``out_dir``: the same
    track as ``mezzo demo``'s demo.wav, shaped by :data:`mezzo.demo.MARKS` (the stems too,
    so that they still sum to it)."""
    import mezzo.demo
    from mezzo import io
    from mezzo.processors import apply_marks

    progress(0.0, "rendering the demo")
    out = Path(out_dir)
    rate = 48000
    if stems:
        written = []
        for name, samples in mezzo.demo.stems(rate).items():
            io.write(out / f"{name}.wav", apply_marks(samples, rate, mezzo.demo.MARKS), rate, subtype="PCM_24")
            written.append(f"{name}.wav")
        return {"files": written}
    samples, rate = mezzo.demo.track(rate)
    io.write(out / "demo.wav", apply_marks(samples, rate, mezzo.demo.MARKS), rate, subtype="PCM_24")
    return {"files": ["demo.wav"]}


#: Task functions by job kind.
TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "analyse": analyse,
    "master": master,
    "shape": shape,
    "stems": stems,
    "demo": demo,
}


def run(kind: str, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run the task ``kind`` with ``args``."""
    return TASKS[kind](**args, progress=progress)


def warm() -> None:
    """Load the meters, mastering, the processors and the loudness kernels (a worker does this as it
    starts, so the first job does not pay for it)."""
    import numpy as np

    import mezzo.analysis
    import mezzo.mastering.master
    import mezzo.meters.dynamics_map
    import mezzo.meters.tempo
    import mezzo.processors  # noqa: F401
    from mezzo.meters.loudness import loudness

    loudness(np.random.default_rng(0).standard_normal((2, 48000)).astype(np.float32) * 0.1, 48000)

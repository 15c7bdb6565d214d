"""The studio without HTTP: the work folder, the jobs, and the rules that join them.

:class:`Studio` checks what a request asks for (a preset, a target, markings) before
anything is queued, starts the jobs (:mod:`mezzo.studio.jobs`), and when a job is
done moves its files into place: a processed file becomes a new version of the
track it came from, listed with what made it, and is analysed in turn.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from mezzo.errors import ParameterError
from mezzo.studio.jobs import FINAL_STATES, Job, JobRunner
from mezzo.studio.storage import NotFound, StemSet, Track, Workspace, safe_name

__all__ = ["Studio", "check_openable", "folder_audio", "master_request", "shape_request"]

#: Audio file extensions taken from a folder given on the command line.
FOLDER_EXTENSIONS = frozenset({"wav", "flac", "aif", "aiff", "ogg", "mp3", "m4a", "w64", "caf", "opus"})

#: Compressor presets offered by the shape panel, with what they are for.
COMPRESSOR_USES = {
    "vocal": "vocals: 3:1, fast attack",
    "drum-bus": "drum bus: 4:1, slow attack lets transients through, parallel",
    "mix-bus": "mix bus glue: 2:1, slow attack",
    "gentle": "gentle levelling: 1.5:1 over a wide knee",
}


def _fields(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ParameterError("the request body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ParameterError(f"unknown field {unknown[0]!r}: expected {', '.join(allowed)}")
    return body


def _number(body: dict[str, Any], name: str, lo: float, hi: float, unit: str) -> float | None:
    """``body[name]`` if it is a JSON number (``None`` when absent), in ``[lo, hi]`` unless both are ``None``."""
    from mezzo._validate import check_range

    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name}={value!r} is not a number: expected {lo:g} to {hi:g} {unit}")
    return check_range(name, value, lo, hi, unit)


def master_request(body: Any) -> dict[str, Any]:
    """Check a master request: ``preset`` and/or ``target_lufs``/``ceiling_dbtp``, ``glue``.

    Returns the task's arguments plus ``label`` (what it does, in words). Without
    preset and target, the Spotify preset, as :func:`mezzo.master`.
    """
    from mezzo.mastering.presets import PRESETS
    from mezzo.mastering.targets import MAX_CEILING_DBTP, MIN_CEILING_DBTP, MIN_TARGET_LUFS, Targets

    body = _fields(body, ("preset", "target_lufs", "ceiling_dbtp", "glue"))
    preset = body.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise ParameterError(f"preset={preset!r} is not a name: expected one of {', '.join(PRESETS)}")
    # JSON types here; the ranges are Targets' to check
    _number(body, "target_lufs", MIN_TARGET_LUFS, MAX_CEILING_DBTP, "LUFS")
    _number(body, "ceiling_dbtp", MIN_CEILING_DBTP, MAX_CEILING_DBTP, "dBTP")
    glue = body.get("glue", False)
    if not isinstance(glue, bool):
        raise ParameterError(f"glue={glue!r}: expected true or false")
    targets = Targets.resolve(preset or None, body.get("target_lufs"), body.get("ceiling_dbtp"))
    base = PRESETS[targets.preset] if targets.preset and targets.from_preset else None
    figures = f"{targets.target_lufs:g} LUFS, {targets.ceiling_dbtp:g} dBTP"
    label = f"master: {base.label} ({figures})" if base else f"master: {figures}"
    if glue:
        label += " with glue"
    short = f"master {base.name}" if base else f"master {targets.target_lufs:g} LUFS"
    return {
        "args": {**targets.to_dict(), "glue": glue},
        "label": label,
        "short": short,
    }


def shape_request(body: Any) -> dict[str, Any]:
    """Check a shape request: ``{"kind": "marks", "marks": ...}``, ``{"kind": "compressor", "preset": ...}``
    or ``{"kind": "leveler", "target_lufs": ...}``. Returns the task's arguments, ``label`` and ``short``."""
    if not isinstance(body, dict):
        raise ParameterError("the request body must be a JSON object")
    kind = body.get("kind")
    if kind == "marks":
        from mezzo.marks import parse_marks

        body = _fields(body, ("kind", "marks"))
        marks = body.get("marks")
        if not isinstance(marks, str) or not marks.strip():
            raise ParameterError("marks is empty: write markings like '0:p 8:< 16:ff'")
        parse_marks(marks).last_time_s  # noqa: B018 - raises on bar|beat times (no tempo here)
        text = " ".join(marks.split())
        return {"args": {"kind": "marks", "marks": text}, "label": f"markings: {text}", "short": "markings"}
    if kind == "compressor":
        from mezzo.processors.compressor import PRESETS

        body = _fields(body, ("kind", "preset"))
        preset = body.get("preset")
        if preset not in PRESETS:
            raise ParameterError(f"preset={preset!r} is not a compressor preset: expected one of {', '.join(PRESETS)}")
        return {"args": {"kind": "compressor", "preset": preset},
                "label": f"compressor: {preset} preset", "short": f"compressor {preset}"}  # fmt: skip
    if kind == "leveler":
        from mezzo.processors.params import LEVELER_PARAMS

        body = _fields(body, ("kind", "target_lufs"))
        spec = {p.name: p for p in LEVELER_PARAMS}["target_lufs"]
        target = _number(body, "target_lufs", spec.lo, spec.hi, "LUFS")
        target = spec.default if target is None else target
        return {"args": {"kind": "leveler", "target_lufs": target},
                "label": f"leveler: ride to {target:g} LUFS", "short": f"leveler {target:g}"}  # fmt: skip
    raise ParameterError(f"kind={kind!r}: expected 'marks', 'compressor' or 'leveler'")


def folder_audio(path: str) -> list[str]:
    """The audio files of a folder (by extension), sorted; raises if there are none."""
    from mezzo.errors import AudioFileError

    files = sorted(
        os.path.join(path, f) for f in os.listdir(path)
        if os.path.splitext(f)[1].lower().lstrip(".") in FOLDER_EXTENSIONS and os.path.isfile(os.path.join(path, f))
    )  # fmt: skip
    if not files:
        raise AudioFileError(f"{path!r}: no audio files in this folder (WAV, FLAC, AIFF, OGG, MP3...) — give a "
                             "folder of stems or audio files")  # fmt: skip
    return files


def check_openable(paths: list[str]) -> None:
    """Check what ``mezzo studio`` was given before anything starts: audio files, folders with audio."""
    from mezzo.studio.storage import check_audio

    for path in paths:
        if os.path.isdir(path):
            folder_audio(path)
        else:
            check_audio(path)


class Studio:
    """A studio session: work folder, job runner, tracks and their analyses.

    Parameters
    ----------
    work_dir : path
        The studio's work folder (see :class:`~mezzo.studio.storage.Workspace`).
    workers : int, >= 1
        Jobs that run at the same time.
    warm : bool
        Load mezzo's kernels in each worker as it starts.
    """

    def __init__(self, work_dir: str | os.PathLike[str], *, workers: int = 2, warm: bool = True) -> None:
        self.workspace = Workspace(work_dir)
        self.runner = JobRunner(workers, warm=warm)
        #: What the command line opened, for the page to show first: ``[{"kind", "id"}]``.
        self.opened: list[dict[str, str]] = []
        self._lock = threading.RLock()
        self._analysis: dict[str, str] = {}  # track id -> job id
        self._audibility: dict[str, str] = {}  # stem set id -> job id
        for track in self.workspace.tracks():
            if self.workspace.track_file(track.id, "analysis.json") is None:
                self.analyse(track.id)
        for stems in self.workspace.stem_sets():
            if self.workspace.read_stems_result(stems.id) is None:
                self.measure_stems(stems.id)

    def close(self) -> None:
        """Stop the jobs and the workers."""
        self.runner.shutdown()

    # ------------------------------------------------------------------ adding audio

    def add_track(self, path: str | os.PathLike[str], name: str | None = None, *, move: bool = False,
                  made_by: str = "imported") -> Track:  # fmt: skip
        """Store an audio file as a new track and start its analysis."""
        track = self.workspace.add_track(path, name or os.path.basename(os.fspath(path)), made_by=made_by, move=move)
        self.analyse(track.id)
        return track

    def add_stems(self, sources: list[tuple[str, str]], *, move: bool = False) -> StemSet:
        """Store files ``(path, name)`` as a stem set and start measuring it."""
        stems = self.workspace.add_stems(sources, move=move)
        self.measure_stems(stems.id)
        return stems

    def open_paths(self, paths: list[str]) -> tuple[list[Track], list[StemSet]]:
        """What ``mezzo studio FILE_OR_DIR...`` opens: files as tracks, a folder's audio files as stems.

        A folder with one audio file opens it as a track. A file already in the work folder
        (same name, same bytes) opens the track there, with its versions, instead of a copy.
        """
        tracks, sets = [], []
        for path in paths:
            if os.path.isdir(path):
                files = folder_audio(path)
                if len(files) == 1:
                    tracks.append(self._open_file(files[0]))
                else:
                    sets.append(self.add_stems([(f, os.path.basename(f)) for f in files]))
            else:
                tracks.append(self._open_file(path))
        self.opened = [{"kind": "track", "id": t.id} for t in tracks] + [{"kind": "stems", "id": s.id} for s in sets]
        return tracks, sets

    def _open_file(self, path: str) -> Track:
        known = self.workspace.find_original(path, os.path.basename(path))
        if known is None:
            return self.add_track(path)
        if self.workspace.track_file(known.id, "analysis.json") is None:
            self.analyse(known.id)
        return known

    # ------------------------------------------------------------------ jobs

    def job(self, job_id: str) -> Job:
        """The job with this id, or NotFound."""
        job = self.runner.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise NotFound(f"no job with id {job_id!r}")
        return job

    def _started(self, jobs: dict[str, str], key: str) -> Job | None:
        """The job recorded for ``key`` unless it failed or was cancelled (then it may start again)."""
        current = jobs.get(key)
        job = self.runner.get(current) if current else None
        return job if job is not None and job.state not in ("failed", "cancelled") else None

    def analyse(self, track_id: str) -> Job:
        """Start analysing a track (or return the analysis job already started)."""
        with self._lock:
            job = self._started(self._analysis, track_id)
            if job is not None:
                return job
            track = self.workspace.track(track_id)
            scratch = self.workspace.scratch("analyse")
            job = self.runner.submit(
                "analyse", {"audio": str(self.workspace.audio_path(track.id)), "out_dir": str(scratch)},
                label=f"analyse {track.name}", track_id=track.id, scratch=scratch, finish=self._finish_analysis,
                priority=0,
            )
            self._analysis[track_id] = job.id
            return job

    def analysis_job(self, track_id: str) -> Job | None:
        """The job that analyses (or analysed) the track, if any."""
        with self._lock:
            current = self._analysis.get(track_id)
        return self.runner.get(current) if current else None

    def _finish_analysis(self, job: Job, result: dict[str, Any]) -> None:
        assert job.scratch is not None and job.track_id is not None
        for name in result["files"]:
            target = self.workspace.track_file_target(job.track_id, name)
            os.replace(job.scratch / name, target)

    def master(self, track_id: str, body: Any) -> Job:
        """Check a master request and start the job; its result is a new version."""
        request = master_request(body)
        return self._version_job(track_id, "master", request)

    def shape(self, track_id: str, body: Any) -> Job:
        """Check a shape request (markings, compressor, leveler) and start the job."""
        request = shape_request(body)
        return self._version_job(track_id, "shape", request)

    def _version_job(self, track_id: str, kind: str, request: dict[str, Any]) -> Job:
        track = self.workspace.track(track_id)
        scratch = self.workspace.scratch(kind)
        args = {**request["args"], "audio": str(self.workspace.audio_path(track.id)), "out_dir": str(scratch)}
        stem = os.path.splitext(track.name)[0]

        def finish(job: Job, result: dict[str, Any]) -> None:
            assert job.scratch is not None
            ext = os.path.splitext(result["audio"])[1]
            report = result["report"]
            name = f"{stem} - {request['short']}{ext}"
            if kind == "master":
                from mezzo.studio.advice import master_words

                report.update(input=track.name, output=name)  # not paths in the work folder
                report = result["report"] = {"master": report, "words": master_words(report)}
            version = self.workspace.add_track(
                job.scratch / result["audio"], name, made_by=request["label"],
                parent_id=track.id, recipe={"kind": kind, **request["args"]}, report=report, move=True,
            )
            job.result_track_id = version.id
            self.analyse(version.id)

        return self.runner.submit(kind, args, label=request["label"], track_id=track.id, scratch=scratch,
                                  finish=finish)  # fmt: skip

    def demo(self, *, stems: bool = False) -> Job:
        """Render the demo track (or its stems) and open it."""
        scratch = self.workspace.scratch("demo")

        def finish(job: Job, result: dict[str, Any]) -> None:
            assert job.scratch is not None
            files = [str(job.scratch / f) for f in result["files"]]
            if stems:
                stem_set = self.add_stems([(f, os.path.basename(f)) for f in files], move=True)
                result["stems_id"] = stem_set.id
            else:
                track = self.add_track(files[0], "mezzo demo.wav", move=True, made_by="the demo track")
                job.result_track_id = track.id

        label = "render the demo stems" if stems else "render the demo track"
        return self.runner.submit("demo", {"out_dir": str(scratch), "stems": stems}, label=label, scratch=scratch,
                                  finish=finish)  # fmt: skip

    def measure_stems(self, stems_id: str) -> Job:
        """Start measuring a stem set (or return the job already started)."""
        with self._lock:
            job = self._started(self._audibility, stems_id)
            if job is not None:
                return job
            stem_set = self.workspace.stem_set(stems_id)
            scratch = self.workspace.scratch("stems")
            files = [str(p) for p in self.workspace.stem_paths(stem_set.id)]

            def finish(job: Job, result: dict[str, Any]) -> None:
                assert job.scratch is not None
                os.replace(job.scratch / "audibility.json", self.workspace.stems_result_path(stem_set.id))

            job = self.runner.submit("stems", {"files": files, "names": list(stem_set.names), "out_dir": str(scratch)},
                                     label=f"measure stems {', '.join(stem_set.names)}", stems_id=stem_set.id,
                                     scratch=scratch, finish=finish, priority=0)  # fmt: skip
            self._audibility[stems_id] = job.id
            return job

    def stems_job(self, stems_id: str) -> Job | None:
        """The job that measures (or measured) the stem set, if any."""
        with self._lock:
            current = self._audibility.get(stems_id)
        return self.runner.get(current) if current else None

    # ------------------------------------------------------------------ reading results

    def read_json(self, track_id: str, name: str) -> Any | None:
        """The track's ``analysis.json`` or ``timeline.json`` parsed, or None while it is not there."""
        path = self.workspace.track_file(track_id, name)
        return None if path is None else json.loads(path.read_bytes())

    def advice(self, track_id: str, preset_name: str | None) -> list[dict[str, Any]] | None:
        """Advice on a track against a platform preset, or None while it is being analysed."""
        from mezzo.mastering.presets import get_preset
        from mezzo.studio.advice import track_advice

        preset = get_preset(preset_name or "spotify")
        analysis = self.read_json(track_id, "analysis.json")
        if analysis is None:
            return None
        return track_advice(analysis, self.read_json(track_id, "timeline.json"), preset)

    def delete_track(self, track_id: str) -> list[str]:
        """Remove a track and its versions (their running jobs are cancelled first)."""
        doomed = self.workspace.with_versions(track_id)
        for job in self.runner.jobs():
            if job.track_id in doomed and job.state not in FINAL_STATES:
                self.runner.cancel(job.id)
        return self.workspace.delete_track(track_id)

    def download_name(self, track_id: str) -> str:
        """The file name a download is offered under (the track's name, with the stored extension)."""
        track = self.workspace.track(track_id)
        stem = os.path.splitext(track.name)[0]
        return safe_name(f"{stem}.{track.extension}")

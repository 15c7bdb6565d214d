"""mezzo.batch.run on a local process pool: walking, bad input, resuming, results files, retries."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from batch_data import BAD, GOOD, IGNORED, abspaths, leftovers, tone

from mezzo.batch import jobs, run, summarize
from mezzo.batch.results import ResultsFile
from mezzo.batch.walk import expand
from mezzo.errors import ParameterError
from tolerances import PYLOUDNORM_LU

LOUDNESS_ONLY = {"dynamics": False}
#: EBU Tech 3341 case 1: a stereo 1 kHz sine reads its peak level in LUFS within ±0.1 LU.
EBU_LU = 0.1


def by_path(rows):
    return {r["path"]: r for r in rows}


# --------------------------------------------------------------------------- walking


def test_walk_takes_audio_files_sorted_and_skips_hidden_and_other_files(catalogue: Path) -> None:
    found = [s.path for s in expand([catalogue])]
    expected = sorted(abspaths(catalogue, [*GOOD, *BAD]))
    assert found == expected  # sorted folder by folder: a/, b/, bad/
    assert not abspaths(catalogue, IGNORED) & set(found)
    assert {s.relative for s in expand([catalogue])} == {*GOOD, *BAD}


def test_walk_never_enters_the_output_folder(catalogue: Path) -> None:
    out = catalogue / "a" / "processed"
    out.mkdir()
    sf.write(out / "one.wav", tone(-20.0, 48000), 48000)
    assert not any("processed" in s.path for s in expand([catalogue], exclude=[out]))
    assert any("processed" in s.path for s in expand([catalogue]))


def test_globs_files_and_missing_paths(catalogue: Path) -> None:
    pattern = str(catalogue / "**" / "*.flac")
    assert [s.path for s in expand([pattern])] == sorted(abspaths(catalogue, ["a/two.flac"]))
    one = catalogue / "a" / "one.wav"
    notes = catalogue / "readme.txt"  # named explicitly: taken even without an audio extension
    missing = catalogue / "nope.wav"
    sources = expand([one, notes, missing, one])  # a file reached twice is taken once
    assert [s.path for s in sources] == [str(one), str(notes), str(missing)]
    rows = run([one, notes, missing], "analyze", workers=1, job_options=LOUDNESS_ONLY)
    assert [r["status"] for r in rows] == ["ok", "failed", "failed"]
    assert "nope.wav" in rows[2]["error"] and "readme.txt" in rows[1]["error"]


def test_albums_are_folders(catalogue: Path) -> None:
    from mezzo.batch.walk import albums

    groups = albums(expand([catalogue]))
    assert {Path(k).name: len(v) for k, v in groups.items()} == {"a": 2, "b": 1, "bad": 4}


# --------------------------------------------------------------------------- bad input


def test_every_good_file_is_done_and_every_bad_one_has_a_one_line_reason(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = run([catalogue], "analyze", out_dir=out, workers=2, job_options=LOUDNESS_ONLY)
    rows_by = by_path(rows)
    assert set(rows_by) == abspaths(catalogue, [*GOOD, *BAD])
    for rel, (level, rate, _) in GOOD.items():
        row = rows_by[os.path.abspath(catalogue / rel)]
        assert row["status"] == "ok" and row["error"] is None
        assert row["integrated_lufs"] == pytest.approx(level, abs=EBU_LU)
        assert row["sample_rate"] == rate and row["channels"] == 2
        assert row["duration_s"] == pytest.approx(3.0)
        assert row["output"] == str(out / (rel + ".json"))
        saved = json.loads(Path(row["output"]).read_text())
        assert saved["integrated_lufs"] == pytest.approx(row["integrated_lufs"])
    for rel in BAD:
        row = rows_by[os.path.abspath(catalogue / rel)]
        assert row["status"] == "failed"
        assert row["output"] is None and not (out / (rel + ".json")).exists()
        assert "\n" not in row["error"] and rel.split("/")[1] in row["error"]
    reasons = {rel: rows_by[os.path.abspath(catalogue / rel)]["error"] for rel in BAD}
    assert "truncated" in reasons["bad/broken.wav"]
    assert "empty" in reasons["bad/empty.wav"]
    assert "not an audio file" in reasons["bad/notes.wav"]
    assert "link to a missing file" in reasons["bad/gone.wav"]
    assert not leftovers(out) and not leftovers(catalogue)
    workers = {r["worker"] for r in rows}  # host:pid of the pool's processes, never this one
    assert 1 <= len(workers) <= 2 and not any(w.endswith(f":{os.getpid()}") for w in workers)
    summary = summarize(rows, 1.0)
    assert (summary.done, summary.failed, summary.skipped) == (3, 4, 0)
    assert summary.audio_hours == pytest.approx(3 * 3.0 / 3600)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_a_failed_row(catalogue: Path) -> None:
    locked = catalogue / "a" / "one.wav"
    locked.chmod(0)
    try:
        rows = by_path(run([catalogue / "a"], "analyze", workers=1, job_options=LOUDNESS_ONLY))
    finally:
        locked.chmod(0o644)
    assert rows[str(locked)]["status"] == "failed"


# --------------------------------------------------------------------------- resuming


def test_rerun_skips_done_files_and_redoes_changed_missing_failed_and_forced(catalogue: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = by_path(run([catalogue], "analyze", out_dir=out, workers=2, job_options=LOUDNESS_ONLY))
    good = abspaths(catalogue, GOOD)
    second = by_path(run([catalogue], "analyze", out_dir=out, workers=2, job_options=LOUDNESS_ONLY))
    assert {p for p, r in second.items() if r["status"] == "skipped"} == good
    assert {p for p, r in second.items() if r["status"] == "failed"} == abspaths(catalogue, BAD)
    for p in good:  # a skipped row carries the figures of the run that did it
        assert second[p]["integrated_lufs"] == pytest.approx(first[p]["integrated_lufs"])

    changed = catalogue / "a" / "one.wav"
    later = time.time() + 10
    os.utime(changed, (later, later))  # the input is newer than its output and row
    gone = catalogue / "b" / "three.wav"
    Path(first[str(gone)]["output"]).unlink()  # its output is missing
    third = by_path(run([catalogue], "analyze", out_dir=out, workers=2, job_options=LOUDNESS_ONLY))
    assert {p for p, r in third.items() if r["status"] == "ok"} == {str(changed), str(gone)}

    forced = by_path(run([catalogue], "analyze", out_dir=out, workers=2, force=True, job_options=LOUDNESS_ONLY))
    assert {p for p, r in forced.items() if r["status"] == "ok"} == good
    assert not any(r["status"] == "skipped" for r in forced.values())
    # the results file holds one row per file, the newest
    kept = ResultsFile(out / "results.csv").load()
    assert set(kept) == set(first) and all(kept[p]["status"] == "ok" for p in good)


def test_output_folder_inside_the_input_tree_is_not_walked_on_rerun(catalogue: Path) -> None:
    out = catalogue / "normalized"
    first = run([catalogue / "a"], "normalize", out_dir=catalogue / "a" / "normalized", workers=1)
    assert {r["status"] for r in first} == {"ok"}
    assert all((catalogue / "a" / "normalized" / Path(r["path"]).name).exists() for r in first)
    again = run([catalogue / "a"], "normalize", out_dir=catalogue / "a" / "normalized", workers=1)
    assert [r["path"] for r in again] == [r["path"] for r in first]  # the outputs are not inputs
    assert {r["status"] for r in again} == {"skipped"}
    assert not out.exists()


# --------------------------------------------------------------------------- normalize / master


def _pyloudnorm_lufs(path: Path) -> float:
    import pyloudnorm

    data, rate = sf.read(path)
    return pyloudnorm.Meter(rate).integrated_loudness(data)


def test_normalize_reaches_the_target_and_album_mode_keeps_relative_loudness(catalogue: Path, tmp_path: Path) -> None:
    target = -16.0
    rows = by_path(run([catalogue / "a", catalogue / "b"], "normalize", out_dir=tmp_path / "n", workers=2,
                       job_options={"target_lufs": target}))
    for row in rows.values():
        assert row["status"] == "ok", row["error"]
        assert _pyloudnorm_lufs(Path(row["output"])) == pytest.approx(target, abs=0.1 + PYLOUDNORM_LU)

    album = by_path(run([catalogue], "normalize", out_dir=tmp_path / "alb", workers=2, album=True,
                        job_options={"target_lufs": target}))
    one, two = (album[os.path.abspath(catalogue / r)] for r in ("a/one.wav", "a/two.flac"))
    assert one["status"] == two["status"] == "ok"
    measured = [_pyloudnorm_lufs(Path(r["output"])) for r in (one, two)]
    assert measured[1] - measured[0] == pytest.approx(GOOD["a/two.flac"][0] - GOOD["a/one.wav"][0], abs=0.1)
    # the album of broken files: each bad file says why; nothing written for it
    for rel in BAD:
        row = album[os.path.abspath(catalogue / rel)]
        assert row["status"] == "failed" and not (tmp_path / "alb" / rel).exists()
    assert not leftovers(tmp_path)


def test_master_writes_every_good_file_under_the_ceiling(catalogue: Path, tmp_path: Path) -> None:
    rows = run([catalogue / "a"], "master", out_dir=tmp_path / "m", workers=1, job_options={"preset": "apple"})
    for row in rows:
        assert row["status"] == "ok", row["error"]
        assert row["preset"] == "apple" and row["target_lufs"] == -16.0
        assert _pyloudnorm_lufs(Path(row["output"])) == pytest.approx(-16.0, abs=0.1 + PYLOUDNORM_LU)


# --------------------------------------------------------------------------- results files


@pytest.mark.parametrize("name", ["results.csv", "results.jsonl"])
def test_results_file_round_trips_rows(catalogue: Path, tmp_path: Path, name: str) -> None:
    table = tmp_path / name
    rows = run([catalogue], "analyze", results=table, workers=1, job_options=LOUDNESS_ONLY)
    loaded = ResultsFile(table).load()
    assert list(loaded) == [r["path"] for r in rows]
    for row in rows:
        back = loaded[row["path"]]
        assert back["status"] == row["status"] and back["error"] == row["error"]
        if row["status"] == "ok":
            assert back["integrated_lufs"] == pytest.approx(row["integrated_lufs"], rel=1e-12)
            assert back["sample_rate"] == row["sample_rate"]
    if name.endswith(".jsonl"):
        lines = table.read_text().splitlines()
        assert len(lines) == len(rows) and all(json.loads(line) for line in lines)


def test_parquet_needs_pyarrow(catalogue: Path, tmp_path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ParameterError, match=r"pyarrow.*results\.csv or results\.jsonl"):
            run([catalogue], "analyze", results=tmp_path / "r.parquet", workers=1)
    else:
        rows = run([catalogue], "analyze", results=tmp_path / "r.parquet", workers=1, job_options=LOUDNESS_ONLY)
        assert list(ResultsFile(tmp_path / "r.parquet").load()) == [r["path"] for r in rows]


@pytest.mark.parametrize("name", ["results.csv", "results.jsonl"])
def test_a_results_file_cut_short_by_a_crash_is_continued(catalogue: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    table = out / name
    run([catalogue / "a"], "analyze", out_dir=out, results=table, workers=1, job_options=LOUDNESS_ONLY)
    with open(table, "a", encoding="utf-8") as handle:
        handle.write('{"path": "/half/a row' if name.endswith(".jsonl") else "/half/a row,o")  # no newline
    rows = run([catalogue / "a", catalogue / "b"], "analyze", out_dir=out, results=table, workers=1,
               job_options=LOUDNESS_ONLY)
    assert [r["status"] for r in rows] == ["skipped", "skipped", "ok"]
    loaded = ResultsFile(table).load()
    assert set(loaded) == abspaths(catalogue, GOOD)
    assert "/half/" not in table.read_text()


def test_unknown_results_format_is_refused(catalogue: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"\.csv, \.jsonl or \.parquet"):
        run([catalogue], "analyze", results=tmp_path / "r.xlsx")


# --------------------------------------------------------------------------- retries


def flaky_task(task):
    """Fails with an unexpected error the first time it sees a file (counted on disk)."""
    marker = Path(task.options["marker"]) / (Path(task.paths[0]).name + ".seen")
    if not marker.exists() or task.options.get("always"):
        marker.write_text("1")
        raise_in = jobs.failed_row(task, 0, "unexpected RuntimeError: flaky storage", retry=True)
        return [raise_in]
    return [{**jobs.base_row(task, 0), "figure_db": 1.0}]


def crashing_task(task):
    """Kills its worker process on one file (a segfault or the OOM killer, as far as the pool can tell)."""
    if task.paths[0].endswith("two.flac"):
        os._exit(1)
    return [{**jobs.base_row(task, 0), "figure_db": 1.0}]


def _fake_job(monkeypatch, func) -> None:
    spec = jobs.JobSpec("analyze", func, lambda options, album: dict(options), None, needs_out_dir=False)
    monkeypatch.setitem(jobs.JOBS, "analyze", spec)
    monkeypatch.setattr("mezzo.batch.executors.warm", lambda job, options: None)


@pytest.mark.parametrize("workers", [1, 2])
def test_unexpected_failures_are_retried_once_then_recorded(catalogue: Path, tmp_path: Path, monkeypatch, workers) -> None:
    _fake_job(monkeypatch, flaky_task)
    rows = run([catalogue / "a"], "analyze", workers=workers, job_options={"marker": str(tmp_path)})
    assert [r["status"] for r in rows] == ["ok", "ok"]  # failed once, retried, done
    for seen in tmp_path.glob("*.seen"):
        seen.unlink()
    rows = run([catalogue / "a"], "analyze", workers=workers, job_options={"marker": str(tmp_path), "always": True})
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all(r["error"] == "unexpected RuntimeError: flaky storage" for r in rows)
    assert not any("_retry" in r for r in rows)


def test_a_worker_that_dies_is_replaced_and_its_file_recorded(catalogue: Path, monkeypatch) -> None:
    _fake_job(monkeypatch, crashing_task)
    rows = by_path(run([catalogue / "a", catalogue / "b"], "analyze", workers=2, job_options={}))
    assert rows[os.path.abspath(catalogue / "a/two.flac")]["status"] == "failed"
    assert "worker process died" in rows[os.path.abspath(catalogue / "a/two.flac")]["error"]
    others = abspaths(catalogue, ["a/one.wav", "b/three.wav"])
    assert all(rows[p]["status"] == "ok" for p in others)


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"job": "transcode"}, "job='transcode'"),
        ({"job": "analyze", "workers": 0}, "workers=0"),
        ({"job": "analyze", "workers": 1.5}, "workers=1.5"),
        ({"job": "normalize"}, "out_dir is required"),
        ({"job": "analyze", "album": True}, "album"),
        ({"job": "analyze", "scheduler": "somewhere"}, "scheduler='somewhere'"),
        ({"job": "normalize", "out_dir": "x", "job_options": {"target_lufs": 3}}, "target_lufs=3"),
        ({"job": "master", "out_dir": "x", "job_options": {"preset": "vinyl"}}, "preset"),
        ({"job": "analyze", "job_options": {"loudness": True}}, "loudness"),
    ],
)
def test_bad_parameters_are_one_line_errors(catalogue: Path, tmp_path: Path, monkeypatch, kwargs, match) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError, match=match):
        run([catalogue / "a"], **kwargs)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    from mezzo.errors import AudioFileError

    with pytest.raises(AudioFileError, match="no audio files found"):
        run([tmp_path], "analyze", workers=1)


def test_rows_are_plain_json_ready_dicts(catalogue: Path) -> None:
    rows = run([catalogue / "a"], "analyze", workers=1)  # full analysis: dynamics and tempo too
    json.dumps(rows, allow_nan=False)
    row = rows[0]
    for key in ("integrated_lufs", "loudness_range_lu", "true_peak_dbtp", "plr_db", "crest_factor_db", "tempo_bpm"):
        assert key in row
    assert all(not isinstance(v, (list, dict, np.ndarray)) for v in row.values())


# --------------------------------------------------------------------------- one table per job


def test_each_job_keeps_its_own_table_in_a_shared_out_dir(catalogue: Path, tmp_path: Path) -> None:
    # issue 16, case 3: a master run into the folder of an analysis must not replace its rows.
    out = tmp_path / "b"
    analysed = run([catalogue / "a"], "analyze", out_dir=out, workers=1, job_options=LOUDNESS_ONLY)
    before = (out / "results.csv").read_bytes()
    # the default table holds the analysis: a normalize run into the same folder is refused,
    # names a table of its own, and leaves the analysis rows as they were
    with pytest.raises(ParameterError, match=r"holds the rows of batch analyze.*results-normalize\.csv"):
        run([catalogue / "a"], "normalize", out_dir=out, workers=1)
    assert (out / "results.csv").read_bytes() == before
    normalized = run([catalogue / "a"], "normalize", out_dir=out, workers=1,
                     results=out / "results-normalize.csv")
    assert all(r["status"] == "ok" for r in analysed + normalized)
    analysis_rows = ResultsFile(out / "results.csv").load()
    normalize_rows = ResultsFile(out / "results-normalize.csv").load()
    assert set(analysis_rows) == set(normalize_rows) == {r["path"] for r in analysed}
    assert {r["job"] for r in analysis_rows.values()} == {"analyze"}
    assert {r["job"] for r in normalize_rows.values()} == {"normalize"}

"""The studio's HTTP API, end to end through a running ``mezzo studio``: tracks, analysis,
master, shape, versions, jobs, audio with Range, stems, demo, advice."""

from __future__ import annotations

import json
from urllib.parse import unquote

import numpy as np
import pytest
import soundfile as sf
from studio_measure import integrated_lufs, measure

from cli_runner import run_main
from conftest import SONG_S, tone_wav
from tolerances import STUDIO_MARKS_LU, STUDIO_MASTER_LU


def audio_file(studio, track_id):
    return next((studio.work / "tracks" / track_id).glob("audio.*"))


def test_the_track_given_on_the_command_line_is_a_copy_in_the_work_folder(studio, studio_audio, song_id):
    track = next(t for t in studio.tracks() if t["id"] == song_id)
    assert track["made_by"] == "imported" and track["parent_id"] is None and track["root_id"] == song_id
    assert (track["sample_rate"], track["channels"], track["format"], track["subtype"]) == (48000, 2, "WAV", "PCM_24")
    stored = audio_file(studio, song_id)
    assert stored.read_bytes() == studio_audio["song"].read_bytes()
    assert not stored.is_symlink()


def test_analysis_is_exactly_what_mezzo_analyze_json_prints(studio, song_id, capsys):
    served = studio.get(f"/api/tracks/{song_id}/analysis")
    assert served.status == 200 and served.headers["content-type"] == "application/json"
    code, out, _ = run_main(capsys, "analyze", audio_file(studio, song_id), "--json")
    assert code == 0
    assert served.json() == json.loads(out)


def test_timeline_has_the_series_the_page_draws(studio, song_id):
    timeline = studio.get(f"/api/tracks/{song_id}/timeline").json()
    assert timeline["duration_s"] == pytest.approx(SONG_S)
    for name in ("momentary", "short_term"):
        times = np.array(timeline[name]["times_s"])
        assert len(times) == len(timeline[name]["lufs"]) > 10 * (SONG_S - 5)
        assert np.all(np.diff(times) > 0) and times[-1] <= SONG_S
    tp = timeline["true_peak"]
    assert len(tp["times_s"]) == len(tp["dbtp"]) >= 1000


def test_master_with_a_target_and_ceiling_is_a_new_version_that_meets_them(studio, song_id, tmp_path):
    reply = studio.post_json(f"/api/tracks/{song_id}/master", {"target_lufs": -16.0, "ceiling_dbtp": -2.0})
    assert reply.status == 202
    job = studio.wait_job(reply.json()["job_id"])
    assert job["state"] == "done" and job["progress"] == 1.0 and job["result_track_id"]
    version = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert version["parent_id"] == song_id and version["root_id"] == song_id
    assert version["made_by"] == "master: -16 LUFS, -2 dBTP"
    assert version["recipe"] == {"kind": "master", "preset": None, "target_lufs": -16.0, "ceiling_dbtp": -2.0,
                                 "glue": False}  # fmt: skip
    words = version["report"]["words"]
    assert any(w.startswith("Raised by") or w.startswith("Turned down by") for w in words)
    assert version["report"]["master"]["input"] == "song.wav"
    download = studio.get(f"/api/tracks/{version['id']}/download")
    assert download.status == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert "song - master -16 LUFS.wav" in unquote(download.headers["content-disposition"])
    path = tmp_path / "master.wav"
    path.write_bytes(download.body)
    m = measure(path)
    assert abs(m.integrated_lufs_pyloudnorm + 16.0) <= STUDIO_MASTER_LU, m
    assert abs(m.integrated_lufs_libebur128 + 16.0) <= STUDIO_MASTER_LU, m
    assert m.true_peak_dbtp <= -2.0, m
    assert sf.info(path).subtype == "PCM_24"


def test_markings_are_a_new_version_whose_loudness_follows_them(studio, song_id, studio_audio, tmp_path):
    # "0:p" holds the whole track at p, 12 dB under ff (the audio table: 3 dB per step).
    job = studio.wait_job(studio.post_json(f"/api/tracks/{song_id}/shape", {"kind": "marks", "marks": "0:p"}).json()["job_id"])
    assert job["state"] == "done", job
    version = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert version["made_by"] == "markings: 0:p" and version["parent_id"] == song_id
    assert version["subtype"] == "FLOAT"
    shaped = tmp_path / "shaped.wav"
    shaped.write_bytes(studio.get(f"/api/tracks/{version['id']}/download").body)
    change = integrated_lufs(shaped) - integrated_lufs(studio_audio["song"])
    assert abs(change + 12.0) <= STUDIO_MARKS_LU, change
    # The master of the shaped version is a version of a version.
    job = studio.wait_job(studio.post_json(f"/api/tracks/{version['id']}/master", {"preset": "apple"}).json()["job_id"])
    master = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert master["parent_id"] == version["id"] and master["root_id"] == song_id
    assert master["made_by"] == "master: Apple Music (-16 LUFS, -1 dBTP)"


@pytest.mark.parametrize(("payload", "made_by"), [
    ({"kind": "compressor", "preset": "gentle"}, "compressor: gentle preset"),
    ({"kind": "leveler", "target_lufs": -20}, "leveler: ride to -20 LUFS"),
])  # fmt: skip
def test_compressor_and_leveler_presets_make_versions(studio, payload, made_by):
    tone = studio.upload("/api/tracks", [("short tone.wav", tone_wav(3.0))]).json()["tracks"][0]
    job = studio.wait_job(studio.post_json(f"/api/tracks/{tone['id']}/shape", payload).json()["job_id"])
    assert job["state"] == "done", job
    version = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert version["made_by"] == made_by and version["parent_id"] == tone["id"]
    assert version["duration_s"] == pytest.approx(3.0)
    assert set(version["report"]) >= {"before", "after", "warnings"}


def test_upload_makes_a_track_that_is_analysed(studio):
    reply = studio.upload("/api/tracks", [("../My Tone (v2).wav", tone_wav())])
    assert reply.status == 201
    (track,) = reply.json()["tracks"]
    assert track["name"] == "My Tone (v2).wav" and track["made_by"] == "uploaded"
    analysis = studio.get(f"/api/tracks/{track['id']}/analysis").json()
    assert analysis["duration_s"] == pytest.approx(2.0) and analysis["integrated_lufs"] is not None
    assert studio.get(f"/api/tracks/{track['id']}").json()["analysis_state"] == "done"
    assert studio.scratch_entries() == [] or all(e.startswith(("analyse", "master", "shape", "stems", "demo"))
                                                 for e in studio.scratch_entries())  # fmt: skip


def test_analysis_without_waiting_answers_202_with_the_job(studio):
    track = studio.upload("/api/tracks", [("wait.wav", tone_wav(10.0))]).json()["tracks"][0]
    reply = studio.get(f"/api/tracks/{track['id']}/analysis?wait=0")
    if reply.status == 202:  # not finished yet (it usually is not: 10 s of audio)
        assert reply.json()["job_id"] == track["analysis_job_id"] and reply.headers["retry-after"] == "1"
    assert studio.get(f"/api/tracks/{track['id']}/analysis").status == 200


def test_job_json_has_state_progress_and_result(studio, song_id):
    job_id = studio.post_json(f"/api/tracks/{song_id}/master", {"preset": "youtube"}).json()["job_id"]
    early = studio.get(f"/api/jobs/{job_id}").json()
    assert early["state"] in ("queued", "running", "done") and 0.0 <= early["progress"] <= 1.0
    final = studio.wait_job(job_id)
    assert set(final) >= {"state", "progress", "result_track_id", "error", "label", "phase"}
    assert final["label"] == "master: YouTube (-14 LUFS, -1 dBTP)"
    listed = studio.get("/api/jobs").json()["jobs"]
    assert job_id in [j["id"] for j in listed]


def test_several_jobs_at_once_and_a_cancelled_one_makes_no_version(studio, song_id):
    before = {t["id"] for t in studio.tracks()}
    ids = [studio.post_json(f"/api/tracks/{song_id}/master", {"preset": p}).json()["job_id"]
           for p in ("spotify", "deezer", "tidal")]  # fmt: skip
    cancelled = studio.request("POST", f"/api/jobs/{ids[2]}/cancel").json()
    assert cancelled["state"] == "cancelled"
    finals = [studio.wait_job(i) for i in ids]
    assert [f["state"] for f in finals] == ["done", "done", "cancelled"]
    made = {t["id"] for t in studio.tracks()} - before
    assert made == {finals[0]["result_track_id"], finals[1]["result_track_id"]}
    # Cancelling again, or a finished job, changes nothing.
    assert studio.request("POST", f"/api/jobs/{ids[0]}/cancel").json()["state"] == "done"


def test_audio_is_served_with_http_ranges(studio, song_id):
    data = audio_file(studio, song_id).read_bytes()
    full = studio.get(f"/api/tracks/{song_id}/audio")
    assert full.status == 200 and full.body == data and full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-type"] == "audio/wav"
    part = studio.get(f"/api/tracks/{song_id}/audio", headers={"Range": "bytes=0-99"})
    assert part.status == 206 and part.body == data[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(data)}"
    tail = studio.get(f"/api/tracks/{song_id}/audio", headers={"Range": "bytes=-10"})
    assert tail.status == 206 and tail.body == data[-10:]
    middle = studio.get(f"/api/tracks/{song_id}/audio", headers={"Range": f"bytes={len(data) - 5}-"})
    assert middle.status == 206 and middle.body == data[-5:]


@pytest.mark.parametrize(("header", "status"), [
    ("bytes=abc", 400), ("items=0-10", 400), ("bytes=20-10", 400), ("bytes=-", 400),
    ("bytes=999999999999-", 416),
])  # fmt: skip
def test_bad_ranges_get_json_errors(studio, song_id, header, status):
    reply = studio.get(f"/api/tracks/{song_id}/audio", headers={"Range": header})
    assert reply.status == status and "error" in reply.json()
    if status == 416:
        assert reply.headers["content-range"].startswith("bytes */")


def test_advice_speaks_of_the_chosen_platform(studio, song_id):
    spotify = studio.get(f"/api/tracks/{song_id}/advice?preset=spotify").json()["advice"]
    ebu = studio.get(f"/api/tracks/{song_id}/advice?preset=ebu").json()["advice"]
    analysis = studio.get(f"/api/tracks/{song_id}/analysis").json()
    loud = f"{analysis['integrated_lufs']:.1f}".replace("-", "\u2212")
    assert spotify[0]["kind"] == "platform" and "Spotify" in spotify[0]["text"] and loud in spotify[0]["text"]
    assert "EBU R 128" in ebu[0]["text"] and "turn this track down" in ebu[0]["text"]
    assert any(a["kind"] == "drop" for a in spotify)
    bad = studio.get(f"/api/tracks/{song_id}/advice?preset=loud")
    assert bad.status == 400 and "preset" in bad.json()["error"]


def _stem_files():
    rate = 48000
    t = np.arange(3 * rate) / rate
    pad = 0.3 * np.sin(2 * np.pi * 440 * t)
    lead = 0.005 * np.sin(2 * np.pi * 445 * t)  # 36 dB under the pad, in its critical band
    files = []
    for name, x in (("pad.wav", pad), ("lead.wav", lead)):
        import io

        buf = io.BytesIO()
        sf.write(buf, x, rate, format="WAV", subtype="FLOAT")
        files.append((name, buf.getvalue()))
    return files


def test_stems_show_which_one_is_buried_by_which(studio):
    reply = studio.upload("/api/stems", _stem_files())
    assert reply.status == 201
    stems = reply.json()
    assert stems["names"] == ["pad", "lead"]
    result = studio.get(f"/api/stems/{stems['id']}").json()
    assert result["state"] == "done"
    by_name = {s["name"]: s for s in result["result"]["stems"]}
    assert by_name["pad"]["buried"] == []
    (buried,) = by_name["lead"]["buried"]
    assert buried["masked_by"] == ["pad"] and buried["start_s"] == pytest.approx(0.0, abs=0.5)
    assert stems["id"] in [s["id"] for s in studio.get("/api/stems").json()["stems"]]


def test_one_file_is_not_a_stem_set(studio):
    reply = studio.upload("/api/stems", _stem_files()[:1])
    assert reply.status == 400 and "two" in reply.json()["error"]


def test_the_demo_track_opens_as_a_track(studio):
    job = studio.wait_job(studio.post_json("/api/demo", {}).json()["job_id"])
    assert job["state"] == "done", job
    track = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert track["name"] == "mezzo demo.wav" and track["duration_s"] == pytest.approx(75.0)
    # The same track as mezzo demo's demo.wav: the piece shaped by the demo's markings.
    import mezzo.demo
    from mezzo.processors import apply_marks

    audio, rate = mezzo.demo.track()
    shaped = apply_marks(audio, rate, mezzo.demo.MARKS)
    stored, stored_rate = sf.read(studio.work / "tracks" / track["id"] / "audio.wav", always_2d=True, dtype="float64")
    assert stored_rate == rate and np.max(np.abs(stored.T - shaped)) < 2.0**-22  # 24-bit


def test_deleting_a_version_deletes_what_was_made_from_it(studio):
    tone = studio.upload("/api/tracks", [("delete me.wav", tone_wav())]).json()["tracks"][0]
    shaped = studio.wait_job(studio.post_json(f"/api/tracks/{tone['id']}/shape", {"kind": "marks", "marks": "0:mf"}).json()["job_id"])
    master = studio.wait_job(studio.post_json(f"/api/tracks/{shaped['result_track_id']}/master", {}).json()["job_id"])
    reply = studio.request("DELETE", f"/api/tracks/{shaped['result_track_id']}")
    assert sorted(reply.json()["deleted"]) == sorted([shaped["result_track_id"], master["result_track_id"]])
    ids = {t["id"] for t in studio.tracks()}
    assert tone["id"] in ids and shaped["result_track_id"] not in ids and master["result_track_id"] not in ids
    assert not (studio.work / "tracks" / shaped["result_track_id"]).exists()
    assert studio.get(f"/api/tracks/{master['result_track_id']}/audio").status == 404


def test_the_session_lists_presets_for_the_page(studio):
    session = studio.get("/api/session").json()
    assert [p["name"] for p in session["presets"]][:2] == ["spotify", "apple"]
    assert {p["name"] for p in session["compressor_presets"]} == {"vocal", "drum-bus", "mix-bus", "gentle"}
    assert session["max_upload_bytes"] == 8_000_000 and session["workers"] == 2
    assert session["opened"] == [{"kind": "track", "id": studio.tracks()[0]["id"]}]


def _wav(samples, rate):
    import io

    buf = io.BytesIO()
    sf.write(buf, samples, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_digital_silence_goes_through_analysis_advice_and_master(studio):
    track = studio.upload("/api/tracks", [("silence.wav", _wav(np.zeros((96000, 2)), 48000))]).json()["tracks"][0]
    analysis = studio.get(f"/api/tracks/{track['id']}/analysis").json()
    assert analysis["integrated_lufs"] is None and analysis["true_peak_dbtp"] is None
    timeline = studio.get(f"/api/tracks/{track['id']}/timeline").json()
    assert set(timeline["short_term"]["lufs"]) <= {None}
    advice = studio.get(f"/api/tracks/{track['id']}/advice").json()["advice"]
    assert advice[0]["text"] == "The track is silent: there is no loudness to measure."
    job = studio.wait_job(studio.post_json(f"/api/tracks/{track['id']}/master", {}).json()["job_id"])
    assert job["state"] == "done", job
    version = studio.get(f"/api/tracks/{job['result_track_id']}").json()
    assert version["report"]["words"] == ["The input is silent: it was copied without gain."]


def test_a_mono_track_at_44_1_khz_stays_mono_at_44_1_khz(studio, tmp_path):
    rate = 44100
    t = np.arange(3 * rate) / rate
    track = studio.upload("/api/tracks", [("mono.wav", _wav(0.1 * np.sin(2 * np.pi * 220 * t), rate))]).json()["tracks"][0]
    assert (track["channels"], track["sample_rate"]) == (1, 44100)
    job = studio.wait_job(studio.post_json(f"/api/tracks/{track['id']}/master", {"preset": "spotify"}).json()["job_id"])
    path = tmp_path / "mono-master.wav"
    path.write_bytes(studio.get(f"/api/tracks/{job['result_track_id']}/download").body)
    info = sf.info(path)
    assert (info.channels, info.samplerate, info.subtype) == (1, 44100, "PCM_16")
    m = measure(path)
    assert abs(m.integrated_lufs_libebur128 + 14.0) <= STUDIO_MASTER_LU and m.true_peak_dbtp <= -1.0, m

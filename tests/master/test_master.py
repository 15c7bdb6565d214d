"""master(): every preset lands on its target under its ceiling (issue 5 §3, §4).

Targets and ceilings are the published platform figures (docs/platforms.md), typed here
independently of mezzo.mastering.presets; loudness is re-read with the naive BS.1770
reference and the true peak with an independent 16x interpolation.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

import mezzo.demo
import signals
from mezzo.errors import ParameterError
from mezzo.mastering.master import PRESETS, master
from mezzo.meters.loudness import loudness
from reference import naive_bs1770 as naive
from reference.true_peak import highest_reading_db
from tolerances import LIMITER_REFERENCE_DB

TARGET_LU = 0.1  # issue 5 §3
NAIVE_LU = 0.05  # tests/tolerances.py NAIVE_REFERENCE_LU
PUBLISHED = {  # name: (LUFS, dBTP), issue 5 §3
    "spotify": (-14, -1), "apple": (-16, -1), "youtube": (-14, -1), "tidal": (-14, -1),
    "amazon": (-14, -2), "deezer": (-15, -1), "ebu": (-23, -1), "atsc": (-24, -2), "podcast": (-16, -1),
}


@pytest.fixture(scope="module")
def demo():
    return mezzo.demo.track()



def test_presets_are_the_published_figures():
    assert {k: (p.target_lufs, p.ceiling_dbtp) for k, p in PRESETS.items()} == PUBLISHED


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_every_preset_lands_on_the_demo_track(demo, preset):
    audio, fs = demo
    target, ceiling = PUBLISHED[preset]
    out, report = master(audio, fs, preset=preset)
    res = loudness(out, fs)
    assert abs(res.integrated_lufs - target) <= TARGET_LU
    assert res.true_peak_dbtp <= ceiling
    assert _db(np.abs(out).max()) <= ceiling
    assert report.target_reached and report.preset == preset
    assert report.after.integrated_lufs == pytest.approx(res.integrated_lufs, abs=1e-9)


@pytest.mark.parametrize(
    ("kind", "level_dbfs", "peak_dbfs"),
    [("pink_envelope", -18, -0.5), ("tremolo_chords", -14, -1.0), ("drums", -26, -1.0), ("mixed", -20, -0.3)],
)
@pytest.mark.parametrize("preset", ["spotify", "amazon"])
def test_music_like_signals_with_different_crest_factors(kind, level_dbfs, peak_dbfs, preset):
    fs = 44100
    x = signals.music_like(kind, 20.0, fs, np.random.default_rng(2), level_dbfs=level_dbfs, max_peak_dbfs=peak_dbfs)
    target, ceiling = PUBLISHED[preset]
    out, report = master(x, fs, preset=preset)
    if not report.target_reached:  # only when the crest factor makes the target absurd
        assert any("out of reach" in w for w in report.warnings)
        return
    assert abs(naive.integrated_loudness(out, fs) - target) <= TARGET_LU + NAIVE_LU
    assert loudness(out, fs).true_peak_dbtp <= ceiling
    assert highest_reading_db(out) <= ceiling + LIMITER_REFERENCE_DB


def test_targets_override_the_preset(demo):
    audio, fs = demo
    out, report = master(audio, fs, preset="ebu", target_lufs=-20.0)
    assert report.target_lufs == -20.0 and report.ceiling_dbtp == -1.0
    assert abs(loudness(out, fs).integrated_lufs + 20.0) <= TARGET_LU


def test_glue_compresses_then_limits(demo):
    audio, fs = demo
    out, report = master(audio, fs, preset="spotify", glue=True)
    assert report.glue and "glue" in report.summary
    res = loudness(out, fs)
    assert abs(res.integrated_lufs + 14.0) <= TARGET_LU
    assert res.true_peak_dbtp <= -1.0


def test_heavy_limiting_is_reported_in_plain_words(demo):
    audio, fs = demo
    _out, report = master(audio, fs, target_lufs=-11.0)
    assert report.mode == "limit" and report.max_gain_reduction_db > 4.0
    text = " ".join(report.warnings)
    assert "reaching -11 LUFS needs" in text and "dB of limiting" in text and "consider" in text
    json.dumps(report.to_dict(), allow_nan=False)


def test_unknown_preset():
    with pytest.raises(ParameterError, match="preset='loud'"):
        master(np.zeros((2, 48000)), 48000, preset="loud")


@pytest.mark.slow
@pytest.mark.needs_ffmpeg
def test_lra_kept_side_by_side_with_ffmpeg_loudnorm(demo, tmp_path, capsys):
    """Documents the LRA each tool keeps at -14 LUFS / -1 dBTP on the demo track.

    loudnorm's default dynamic mode rides the gain (it targets LRA 7 by default) whenever
    a linear gain would not fit; mezzo never rides the gain, it limits the peaks only.
    """
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    import soundfile as sf

    audio, fs = demo
    src = tmp_path / "demo.wav"
    sf.write(src, audio.T, fs, subtype="FLOAT")
    dst = tmp_path / "loudnorm.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
         "-af", "loudnorm=I=-14:TP=-1", "-ar", str(fs), "-c:a", "pcm_f32le", str(dst)],
        check=True,
    )  # fmt: skip
    ln, ln_fs = sf.read(dst, always_2d=True)
    before = loudness(audio, fs).loudness_range_lu
    ffmpeg_lra = loudness(ln.T, ln_fs).loudness_range_lu
    out, _report = master(audio, fs, preset="spotify")
    mezzo_lra = loudness(out, fs).loudness_range_lu
    with capsys.disabled():
        print(f"\nLRA of the demo track: input {before:.1f} LU, mezzo master {mezzo_lra:.1f} LU, "
              f"ffmpeg loudnorm {ffmpeg_lra:.1f} LU")
    assert mezzo_lra >= ffmpeg_lra - 0.1
    assert abs(mezzo_lra - before) <= 1.0  # peaks limited for ~2 s only


def _db(x: float) -> float:
    return 20.0 * np.log10(x)


def test_heavy_limiting_advice_names_a_target_that_needs_at_most_4_db():
    """The advice is checked by mastering to it: the loudest target (to 0.1 LU) whose limiting
    stays within 4 dB (issue 13: -12.9 LUFS mastered to -8 was told -26 LUFS)."""
    import re

    rng = np.random.default_rng(7)
    x = signals.music_like("mixed", 20.0, 48000, rng)
    x *= 10 ** ((-12.9 - loudness(x, 48000).integrated_lufs) / 20)
    _, report = master(x, 48000, target_lufs=-8.0, ceiling_dbtp=-1.0)
    advice = [w for w in report.warnings if "consider" in w]
    assert advice, report.warnings
    suggested = float(re.search(r"consider (-?[\d.]+) LUFS", advice[0]).group(1))
    assert -14.5 < suggested < -8.0
    _, at = master(x, 48000, target_lufs=suggested, ceiling_dbtp=-1.0)
    assert at.max_gain_reduction_db <= 4.0 + 0.1
    assert abs(at.after.integrated_lufs - suggested) <= 0.1
    _, above = master(x, 48000, target_lufs=suggested + 0.5, ceiling_dbtp=-1.0)
    assert above.max_gain_reduction_db > 4.0  # a louder target would need more

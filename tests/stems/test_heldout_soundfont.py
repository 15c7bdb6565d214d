"""Held-out check on instruments nobody here synthesised: General MIDI parts rendered by
FluidSynth with the FluidR3 SoundFont (real flute, strings, bass and hi-hat samples).

The cases are the known-by-construction ones of test_buried_cases.py, on these sounds; the
model's constants were settled before this material was first run. Skipped, with the reason,
when fluidsynth or the SoundFont is not installed (``apt-get install fluidsynth fluid-soundfont-gm``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import tolerances as tol
from mezzo.meters.audibility import audibility

SR = 48000
D = 30.0
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2")

pytestmark = pytest.mark.slow


def _soundfont() -> str:
    if shutil.which("fluidsynth") is None:
        pytest.skip("fluidsynth is not installed (apt-get install fluidsynth)")
    for path in SOUNDFONTS:
        if Path(path).exists():
            return path
    pytest.skip("the FluidR3 GM SoundFont is not installed (apt-get install fluid-soundfont-gm)")
    raise AssertionError  # unreachable


def _render(folder: Path, name: str, program: int, notes: list[tuple[float, float, int]], channel: int = 0) -> np.ndarray:
    """Render ``(start_beat, beats, pitch)`` notes at 120 BPM with a GM program; stereo float64."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    if channel != 9:
        track.append(mido.Message("program_change", program=program, channel=channel, time=0))
    events = sorted([(round(a * 480), 1, p) for a, _, p in notes] + [(round((a + d) * 480), 0, p) for a, d, p in notes])
    now = 0
    for tick, on, pitch in events:
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, note=pitch, velocity=90 if on else 0, channel=channel, time=tick - now))
        now = tick
    mid.save(folder / f"{name}.mid")
    subprocess.run(["fluidsynth", "-ni", "-g", "0.5", "-r", str(SR), "-F", str(folder / f"{name}.wav"),
                    _soundfont(), str(folder / f"{name}.mid")], check=True, capture_output=True, timeout=120)
    audio, rate = sf.read(folder / f"{name}.wav", always_2d=True)
    assert rate == SR
    return audio.T[:, : round(D * SR)]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    _soundfont()
    folder = tmp_path_factory.mktemp("soundfont")
    beats = round(D * 2)
    melody = [72, 74, 76, 79, 77, 76, 74, 72, 71, 72, 74, 76, 81, 79, 77, 76]
    chords = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]
    return {
        "flute": _render(folder, "flute", 73, [(b * 0.5, 0.45, melody[b % 16]) for b in range(beats * 2)]),
        "strings": _render(folder, "strings", 48, [(4 * k, 4, p) for k in range(beats // 4) for p in chords[k % 4]]),
        "bass": _render(folder, "bass", 33, [(b, 0.9, (36, 33, 29, 31)[(b // 4) % 4]) for b in range(beats)]),
        "hats": _render(folder, "hats", 0, [(b * 0.5, 0.1, 42) for b in range(beats * 2)], channel=9),
    }


def _at(x: np.ndarray, rms_db: float) -> np.ndarray:
    """Scale to the mean square of a sine of peak ``10^(rms_db/20)``."""
    return x * 10 ** (rms_db / 20) * np.sqrt(0.5 / np.mean(x**2))


def _ride(x: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
    times, gains = zip(*points, strict=True)
    return x * 10 ** (np.interp(np.arange(x.shape[1]) / SR, times, gains) / 20)


def test_flute_ridden_24_db_under_strings_is_buried_only_there(parts) -> None:
    # A flute melody 6 dB over a string section in its register, ridden down 24 dB from 10 to 20 s.
    flute = _ride(_at(parts["flute"], -14.0), [(10.0, 0.0), (10.2, -24.0), (20.0, -24.0), (20.2, 0.0)])
    result = audibility({"flute": flute, "strings": _at(parts["strings"], -20.0)}, SR)
    (interval,) = result.stem("flute").buried
    assert (interval.start_s, interval.end_s) == pytest.approx((10.1, 20.1), abs=tol.BURIED_EDGE_S)
    assert interval.masked_by == ("strings",)


def test_flute_20_db_under_a_bass_in_another_register_is_never_buried(parts) -> None:
    result = audibility({"flute": _at(parts["flute"], -30.0), "bass": _at(parts["bass"], -10.0)}, SR)
    assert result.stem("flute").buried == ()


def test_quiet_hi_hat_under_a_loud_bass_is_never_buried(parts) -> None:
    result = audibility({"hats": _at(parts["hats"], -45.0), "bass": _at(parts["bass"], -8.0)}, SR)
    assert result.stem("hats").buried == ()


def test_strings_entering_mid_track_bury_the_flute_from_their_entry(parts) -> None:
    strings = _ride(_at(parts["strings"], -10.0), [(14.8, -120.0), (15.0, 0.0)])
    result = audibility({"flute": _at(parts["flute"], -20.0), "strings": strings}, SR)
    (interval,) = result.stem("flute").buried
    assert interval.start_s == pytest.approx(15.0, abs=tol.BURIED_EDGE_S)
    assert interval.masked_by == ("strings",)

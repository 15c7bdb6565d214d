"""The audibility model against published psychoacoustic data (not against itself).

Yardsticks: ISO 226:2003 thresholds in quiet, Zwicker's masking index of a tone centred in
critical-band noise (DIN 45681), Terhardt's (1979) spreading slopes as used by ITU-R
BS.1387-1 (PEAQ), and the definition of the sone. The model's masked threshold of a probe
tone is the level at which its signal-to-mask ratio in its best band reaches 0 dB, found by
root search on the model run over real signals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: tolerances, also as a script
import tolerances as tol
from mezzo.meters.audibility import AudibilityMeter, audibility
from mezzo.meters.masking import masked_threshold

SR = 48000
FULL_SCALE_SPL_DB = 100.0
DURATION_S = 1.0

# ISO 226:2003 Table 1, threshold of hearing T_f (dB SPL), free field, binaural.
ISO226_THRESHOLD_DB = {
    50: 44.0, 100: 26.5, 125: 22.1, 250: 11.4, 500: 4.4, 1000: 2.4, 2000: 1.3, 3150: -6.0,
    4000: -5.4, 6300: 6.0, 8000: 12.6, 10000: 13.9, 12500: 12.3,
}  # fmt: skip


def _t() -> np.ndarray:
    return np.arange(round(DURATION_S * SR)) / SR


def tone(freq_hz: float, spl_db: float) -> np.ndarray:
    """A sine at ``spl_db`` dB SPL (peak 1.0 is FULL_SCALE_SPL_DB)."""
    return 10.0 ** ((spl_db - FULL_SCALE_SPL_DB) / 20.0) * np.sin(2 * np.pi * freq_hz * _t())


def band_noise(centre_hz: float, spl_db: float, width_hz: float, seed: int = 7) -> np.ndarray:
    """Gaussian noise with a brick-wall band ``centre +- width/2`` at ``spl_db`` dB SPL overall."""
    noise = np.random.default_rng(seed).standard_normal(_t().size)
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(noise.size, 1.0 / SR)
    spectrum[np.abs(freqs - centre_hz) > width_hz / 2] = 0.0
    y = np.fft.irfft(spectrum, noise.size)
    # mean square of a sine of peak A is A^2 / 2: the same level as that sine
    return y * 10.0 ** ((spl_db - FULL_SCALE_SPL_DB) / 20.0) * np.sqrt(0.5 / np.mean(y**2))


def zwicker_critical_band_hz(freq_hz: float) -> float:
    """Critical bandwidth (Zwicker & Terhardt 1980), Hz."""
    return 25.0 + 75.0 * (1.0 + 1.4 * (freq_hz / 1000.0) ** 2) ** 0.69


def bark(freq_hz: float) -> float:
    """Critical-band rate (Zwicker & Terhardt 1980), Bark."""
    return 13.0 * np.arctan(0.00076 * freq_hz) + 3.5 * np.arctan((freq_hz / 7500.0) ** 2)


def best_band_smr_db(signal: np.ndarray, masker: np.ndarray) -> float:
    """Median over the inner cells of the probe's largest signal-to-mask ratio, dB."""
    meter = AudibilityMeter(SR, ["probe", "masker"], full_scale_spl_db=FULL_SCALE_SPL_DB)
    meter.update({"probe": signal, "masker": masker})
    cells = meter.cells()
    e = cells.excitation[2:-2].astype(np.float64)
    smr = 10 * np.log10(np.maximum(e[:, :, 0], 1e-30) / masked_threshold(cells.bands, e[:, :, 1]))
    return float(np.median(smr.max(axis=(1, 2))))


def masked_threshold_db(freq_hz: float, masker: np.ndarray) -> float:
    """The model's threshold of a tone at ``freq_hz`` with ``masker`` playing, dB SPL."""
    return brentq(lambda level: best_band_smr_db(tone(freq_hz, level), masker), -30.0, 130.0, xtol=0.05)


@pytest.mark.parametrize("freq_hz", sorted(ISO226_THRESHOLD_DB))
def test_threshold_in_quiet_matches_iso226(freq_hz: int) -> None:
    silence = np.zeros(_t().size)
    model = masked_threshold_db(freq_hz, silence)
    assert abs(model - ISO226_THRESHOLD_DB[freq_hz]) <= tol.THRESHOLD_IN_QUIET_DB


@pytest.mark.parametrize("freq_hz", [250, 1000, 4000])
@pytest.mark.parametrize("noise_db", [60, 80])
def test_tone_in_critical_band_noise_matches_masking_index(freq_hz: int, noise_db: int) -> None:
    noise = band_noise(freq_hz, noise_db, zwicker_critical_band_hz(freq_hz))
    masking_index_db = -2.0 - np.log10(1.0 + (freq_hz / 502.0) ** 2.5)  # DIN 45681 eq. C.10
    model = masked_threshold_db(freq_hz, noise) - noise_db
    assert abs(model - masking_index_db) <= tol.MASKING_INDEX_DB


def test_audibility_of_a_tone_in_noise_is_zero_below_its_masked_threshold_and_one_well_above() -> None:
    noise = band_noise(1000, 70, zwicker_critical_band_hz(1000))
    threshold = 70 - 2.8  # the published masking index at 1 kHz (DIN 45681), not the model's
    below = audibility({"tone": tone(1000, threshold - 3 - tol.MASKING_INDEX_DB), "noise": noise}, SR)
    above = audibility({"tone": tone(1000, threshold + 12 + tol.MASKING_INDEX_DB), "noise": noise}, SR)
    assert np.nanmax(below.stem("tone").audibility) == 0.0
    assert below.stem("tone").buried_s == pytest.approx(DURATION_S)
    assert np.nanmin(above.stem("tone").audibility[2:-2]) >= 0.95
    assert above.stem("tone").buried == ()


def _pattern(level_db: float, offsets_bark: tuple[float, ...]) -> dict[float, float]:
    noise = band_noise(1000, level_db, zwicker_critical_band_hz(1000))
    z0 = bark(1000.0)
    out = {}
    for dz in offsets_bark:
        freq = brentq(lambda f, dz=dz: bark(f) - (z0 + dz), 20.0, 20000.0)
        out[dz] = masked_threshold_db(freq, noise)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("level_db", [60, 80, 90])
def test_upward_spread_of_masking_follows_terhardt(level_db: float) -> None:
    th = _pattern(level_db, (-3.0, -1.0, 1.0, 3.0))
    upper = (th[1.0] - th[3.0]) / 2.0
    lower = (th[-1.0] - th[-3.0]) / 2.0
    terhardt_upper = 24.0 + 230.0 / 1000.0 - 0.2 * level_db  # dB/Bark, ITU-R BS.1387-1 eq. 14
    assert abs(upper - terhardt_upper) <= tol.UPPER_SLOPE_DB_PER_BARK
    if level_db >= 80:  # at 60 dB the lower side reaches the threshold in quiet within 3 Bark
        assert abs(lower - 27.0) <= tol.LOWER_SLOPE_DB_PER_BARK
        # Asymmetry: masking spreads upward much further than downward at high levels.
        assert lower - upper >= 8.0


@pytest.mark.slow
def test_upward_spread_grows_faster_than_the_masker() -> None:
    """One octave above a 1 kHz noise, masking grows by more than 1 dB per dB of masker level
    (Terhardt: the upper slope flattens by 0.2 dB/Bark per dB; about 3.5 Bark to 2 kHz)."""
    low, high = (masked_threshold_db(2000.0, band_noise(1000, level, zwicker_critical_band_hz(1000)))
                 for level in (70, 90))
    assert (high - low) / 20.0 >= 1.3


def test_one_sone_is_a_1khz_tone_at_40_db_heard_by_both_ears() -> None:
    result = audibility({"tone": tone(1000, 40.0), "silence": np.zeros(_t().size)}, SR)
    assert result.stem("tone").loudness_sone == pytest.approx(1.0, rel=tol.SONE_DEFINITION_REL)


def main() -> None:
    """Print the model's figures next to the published ones (``python tests/stems/test_masking_data.py``)."""
    silence = np.zeros(_t().size)
    print("threshold in quiet, dB SPL: frequency, model, ISO 226:2003, difference")
    for freq, iso in ISO226_THRESHOLD_DB.items():
        model = masked_threshold_db(freq, silence)
        print(f"  {freq:6d} Hz  {model:6.1f}  {iso:6.1f}  {model - iso:+5.1f}")
    print("tone centred in critical-band noise, threshold re noise level, dB: f, noise, model, DIN 45681")
    for freq in (250, 1000, 4000):
        for level in (60, 80):
            model = masked_threshold_db(freq, band_noise(freq, level, zwicker_critical_band_hz(freq))) - level
            index = -2.0 - np.log10(1.0 + (freq / 502.0) ** 2.5)
            print(f"  {freq:6d} Hz  {level} dB  {model:5.1f}  {index:5.1f}  {model - index:+5.1f}")
    print("slopes of the masking pattern of a 1 kHz critical-band noise, dB/Bark: level, upper (model, "
          "Terhardt), lower (model, 27)")
    for level in (60, 80, 90):
        th = _pattern(level, (-3.0, -1.0, 1.0, 3.0))
        upper, lower = (th[1.0] - th[3.0]) / 2.0, (th[-1.0] - th[-3.0]) / 2.0
        print(f"  {level} dB  upper {upper:5.1f} vs {24.23 - 0.2 * level:5.1f}   lower {lower:5.1f} vs 27.0")
    low, high = (masked_threshold_db(2000.0, band_noise(1000, level, zwicker_critical_band_hz(1000)))
                 for level in (70, 90))
    print(f"growth of masking at 2 kHz by a 1 kHz noise from 70 to 90 dB: {(high - low) / 20:.2f} dB/dB")
    sone = audibility({"tone": tone(1000, 40.0), "silence": silence}, SR).stem("tone").loudness_sone
    print(f"loudness of a 1 kHz tone at 40 dB SPL, both ears: {sone:.3f} sone (1 by definition)")


if __name__ == "__main__":
    main()

"""The limiter's adversarial grid (issue 13), and a report of its worst overshoots.

Signals are numpy only (never mezzo code); the yardstick is the independent
reference (:mod:`reference.true_peak`). Each signal is 1 s after 20 ms of silence
(families ending in ``@0`` start at sample 0), mono, or stereo with a second,
different channel (another realisation, polarity or offset of the same family).

Run it for the table of the worst overshoot per family over the whole grid
(ceilings -0.1/-1/-2 dB, releases 10/100/500 ms, 44.1 and 48 kHz, mono and stereo),
by each instrument of :data:`reference.true_peak.INSTRUMENTS` (the ideal sinc, the
issue's Kaiser 64-each-side at beta 5 and 8, and the windowed sinc)::

    .venv/bin/python tests/limiter_grid.py            # about 3 minutes
    .venv/bin/python tests/limiter_grid.py --family sign_sinc --family noise+20
"""

from __future__ import annotations

import math
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: the tests folder is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import signals as sg
from reference.true_peak import INSTRUMENTS, true_peak_reference

CEILINGS_DB = (-0.1, -1.0, -2.0)
RELEASES_MS = (10.0, 100.0, 500.0)
SAMPLE_RATES = (44100, 48000)
CHANNELS = (1, 2)
DURATION_S = 1.0
SILENCE_S = 0.02


def _sign_sinc(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """+-1 following sign(sinc(k + 1/2)) for 64 samples (the worst inter-sample peak, 10.8 dB over
    its samples), every 1500 samples with random polarity."""
    k = np.arange(-32, 32)
    pattern = np.sign(np.sinc(k + 0.5))
    x = np.zeros(n)
    for start in range(100, n - 64, 1500):
        x[start : start + 64] = pattern * rng.choice([-1.0, 1.0])
    return x


def _sine(freq_fs: float, amplitude: float) -> Callable[[int, int, np.random.Generator], np.ndarray]:
    def gen(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
        return amplitude * np.sin(2 * np.pi * freq_fs * np.arange(n) + rng.uniform(0, 2 * np.pi))

    return gen


def _clipped(freq_hz: float, drive: float) -> Callable[[int, int, np.random.Generator], np.ndarray]:
    def gen(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
        phase = rng.uniform(0, 2 * np.pi)
        return np.clip(drive * np.sin(2 * np.pi * freq_hz * np.arange(n) / fs + phase), -1.0, 1.0)

    return gen


def _square(freq_fs: float) -> Callable[[int, int, np.random.Generator], np.ndarray]:
    def gen(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
        return np.sign(np.sin(2 * np.pi * freq_fs * np.arange(n) + rng.uniform(0, 2 * np.pi)) + 1e-12)

    return gen


def _impulses(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n)
    idx = rng.integers(0, n, 40)
    x[idx] = rng.uniform(-6, 6, 40)
    x[n // 2 : n // 2 + 2] = [5.0, -5.0]  # a Nyquist doublet
    return x


def _sweep(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Logarithmic sweep from 20 Hz to Nyquist at 1.5 (+3.5 dBFS), stopping abruptly there."""
    t = np.arange(n) / fs
    k = math.log((fs / 2) / 20.0) / (n / fs)
    return 1.5 * np.sin(2 * np.pi * 20.0 * (np.exp(k * t) - 1) / k)


def _dc_steps(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    return np.repeat(rng.choice([-1.5, -0.2, 0.0, 0.9, 2.0], n // 500 + 1), 500)[:n]


def _nyquist_bursts(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n)
    for start in range(500, n - 20, 1700):
        x[start : start + 6] = [1, -1, 1, -1, 1, -1]
    return 1.3 * x


def _isp_burst(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    x = np.zeros(n)
    for start in range(300, n - 8, 2300):
        x[start : start + 8] = [1, 1, -1, -1, 1, 1, -1, -1]
    return x


def _music(n: int, fs: int, rng: np.random.Generator) -> np.ndarray:
    """The music-like mix of tests/signals.py, one channel (the level is set by the grid)."""
    return sg.music_like("mixed", n / fs, fs, rng, channels=1, level_dbfs=-12.0, max_peak_dbfs=60.0)[0][:n]


#: family -> (generator of one channel at its own level, level: None = as generated, else
#: the reference true peak in dB over the ceiling)
FAMILIES: dict[str, tuple[Callable[[int, int, np.random.Generator], np.ndarray], float | None]] = {
    # the families of issue 13
    "sign_sinc": (_sign_sinc, None),
    "clipped_7350": (_clipped(7350.0, 3.0), None),
    "clipped_5000": (_clipped(5000.0, 3.0), None),
    "square_0.47fs": (_square(0.47), None),
    "sine_0.45fs": (_sine(0.45, 1.0), None),
    "sine_0.47fs": (_sine(0.47, 1.0), None),
    "noise+20": (lambda n, fs, rng: rng.standard_normal(n), 20.0),
    "music+10": (_music, 10.0),
    # the rest of the earlier grid
    "impulses": (_impulses, None),
    "square_997": (lambda n, fs, rng: np.sign(np.sin(2 * np.pi * 997 * np.arange(n) / fs) + 1e-9), None),
    "fs4_45deg": (lambda n, fs, rng: 2.0 * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4), None),
    "sine_0.25fs": (_sine(0.25, 1.8), None),
    "sine_0.49fs": (_sine(0.49, 1.8), None),
    "sine_0.499fs": (_sine(0.499, 1.8), None),
    "clipped_440": (_clipped(440.0, 4.0), None),
    "sweep": (_sweep, None),
    "uniform+20": (lambda n, fs, rng: rng.uniform(-1, 1, n), 20.0),
    "dc_steps": (_dc_steps, None),
    "nyquist_bursts": (_nyquist_bursts, None),
    "isp_burst": (_isp_burst, None),
    # signals that start at sample 0
    "sine_0.47fs@0": (_sine(0.47, 1.0), None),
    "noise+20@0": (lambda n, fs, rng: rng.standard_normal(n), 20.0),
    "square_0.47fs@0": (_square(0.47), None),
}


def grid_signal(family: str, sample_rate: int, channels: int, ceiling_db: float, seed: int = 13) -> np.ndarray:
    """The grid's signal of ``family``: ``(channels, samples)`` float64."""
    gen, over_db = FAMILIES[family]
    rng = np.random.default_rng([seed, sample_rate, channels, zlib.crc32(family.encode())])
    n = round(DURATION_S * sample_rate)
    chans = [gen(n, sample_rate, rng)]
    if channels == 2:  # a different second channel: another realisation, inverted and shifted
        other = -gen(n, sample_rate, rng)
        chans.append(np.roll(other, 37))
    x = np.stack(chans)
    if over_db is not None:  # drive to a reference true peak ``over_db`` over the ceiling
        x *= 10.0 ** ((ceiling_db + over_db) / 20.0) / true_peak_reference(x)
    lead = 0 if family.endswith("@0") else round(SILENCE_S * sample_rate)
    return np.concatenate([np.zeros((channels, lead)), x], axis=1)


def overshoot_db(y: np.ndarray, ceiling_db: float, kernel: str = "windowed") -> float:
    """Reference true peak of ``y`` (by ``kernel``) over ``ceiling_db``, dB (-inf for silence)."""
    peak = true_peak_reference(y, kernel)
    return -math.inf if peak <= 0.0 else 20.0 * math.log10(peak) - ceiling_db


def overshoots_db(y: np.ndarray, ceiling_db: float) -> dict[str, float]:
    """:func:`overshoot_db` by every instrument (ideal sinc, Kaiser beta 5 and 8, windowed)."""
    return {k: overshoot_db(y, ceiling_db, k) for k in INSTRUMENTS}


def run_limiter(x: np.ndarray, sample_rate: int, ceiling_db: float, release_ms: float) -> np.ndarray:
    """``Limiter(ceiling_db=..., true_peak=True, release_ms=...)`` with every other default."""
    from mezzo.processors.limiter import Limiter

    return Limiter(ceiling_db=ceiling_db, release_ms=release_ms)(x, sample_rate)


def cases(families: list[str] | None = None):
    """Every (family, ceiling, release, rate, channels) of the grid."""
    for family in families or list(FAMILIES):
        for fs in SAMPLE_RATES:
            for ch in CHANNELS:
                for ceiling in CEILINGS_DB:
                    for release in RELEASES_MS:
                        yield family, ceiling, release, fs, ch


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", action="append", help="only these families (repeatable)")
    args = ap.parse_args(argv)
    worst: dict[tuple[str, str], tuple[float, tuple]] = {}
    families = []
    for family, ceiling, release, fs, ch in cases(args.family):
        x = grid_signal(family, fs, ch, ceiling)
        y = run_limiter(x, fs, ceiling, release)
        for kernel, over in overshoots_db(y, ceiling).items():
            key = (family, kernel)
            if key not in worst or over > worst[key][0]:
                worst[key] = (over, (ceiling, release, fs, ch))
        if family not in families:
            families.append(family)
    print("Worst output true peak over the ceiling, dB (where: ceiling dB / release ms / rate Hz / channels)")
    print("| family | " + " | ".join(INSTRUMENTS) + " |")
    print("|---|" + "---|" * len(INSTRUMENTS))
    for family in families:
        cells = []
        for kernel in INSTRUMENTS:
            over, (ceiling, release, fs, ch) = worst[(family, kernel)]
            cells.append(f"{over:+.3f} ({ceiling:g}/{release:g}/{fs}/{ch})")
        print(f"| {family} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

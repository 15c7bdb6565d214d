"""Start-up: a short file measured for loudness alone needs neither numba nor scipy (issue 18).

The whole-signal numpy path (:meth:`LoudnessMeter.measure_whole`) must agree with the
streaming kernels; kernels are handed to numba on first call only; the first compile says so.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from mezzo.kernels import _jit
from mezzo.meters.loudness import LoudnessMeter
from tolerances import TRUE_PEAK_WHOLE_DB

FIELDS = (
    "integrated_lufs", "loudness_range_lu", "momentary_max_lufs", "short_term_max_lufs",
    "sample_peak_dbfs", "true_peak_dbtp", "duration_s",
)
SERIES = ("momentary_lufs", "short_term_lufs", "momentary_times_s", "short_term_times_s")


def _tolerance_db(name: str) -> float:
    """The true peak's kernel sums in float32, the numpy path in float64 (TRUE_PEAK_WHOLE_DB)."""
    return TRUE_PEAK_WHOLE_DB if name == "true_peak_dbtp" else 1e-6


def _signal(rate: int, seconds: float, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(rate)
    t = np.arange(int(rate * seconds)) / rate
    x = np.stack([0.2 * np.sin(2 * np.pi * (300 + 97 * c) * t) * (1 + np.sin(t)) for c in range(channels)])
    x += 0.03 * rng.standard_normal(x.shape)
    x[:, : rate // 2] = 0.0  # leading digital silence
    x[:, rate * 5 : rate * 9] = 0.0  # and a long silence inside
    return x


@pytest.mark.parametrize(("rate", "seconds", "hop_s"), [(44100, 12.37, 0.1), (48000, 10.0, 0.05), (8000, 3.3, 0.1), (96000, 9.5, 0.1)])
def test_whole_signal_equals_streaming(rate: int, seconds: float, hop_s: float) -> None:
    x = _signal(rate, seconds)
    streamed = LoudnessMeter(rate, 2, hop_s=hop_s)
    streamed.update(x)
    whole = LoudnessMeter(rate, 2, hop_s=hop_s)
    whole.measure_whole(x)
    a, b = streamed.result(), whole.result()
    for name in FIELDS:
        assert getattr(b, name) == pytest.approx(getattr(a, name), abs=_tolerance_db(name)), name
    for name in SERIES:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), atol=1e-6, err_msg=name)


@pytest.mark.parametrize("samples", [1000, 48000 * 2])
def test_whole_signal_short_and_silent(samples: int) -> None:
    for x in (np.zeros((1, samples)), 0.1 * np.random.default_rng(0).standard_normal((1, samples))):
        streamed, whole = LoudnessMeter(48000, 1), LoudnessMeter(48000, 1)
        streamed.update(x)
        whole.measure_whole(x)
        for name in FIELDS:
            want = getattr(streamed.result(), name)
            assert getattr(whole.result(), name) == pytest.approx(want, abs=_tolerance_db(name)), name


def test_whole_signal_meter_refuses_to_stream_on() -> None:
    meter = LoudnessMeter(48000, 1)
    meter.measure_whole(np.zeros((1, 4800)))
    with pytest.raises(RuntimeError, match="reset"):
        meter.update(np.zeros((1, 10)))
    meter.reset()
    meter.update(np.zeros((1, 10)))


def test_loudness_only_on_a_short_file_loads_no_numba_scipy_or_plotting(tmp_path) -> None:
    # the loudness and the true peak of a short file are measured whole in numpy (issue 18)
    path = tmp_path / "short.wav"
    sf.write(path, _signal(48000, 6.0).T, 48000)
    code = (
        "import sys\n"
        "from mezzo.cli.app import main\n"
        f"try:\n    main(['analyze', {str(path)!r}, '--json', '--loudness-only'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('numba', 'llvmlite', 'scipy', 'matplotlib', 'librosa', 'dask') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"integrated_lufs"' in done.stdout


def test_kernels_are_handed_to_numba_on_first_call_only() -> None:
    code = (
        "import sys\n"
        "import mezzo, mezzo.analysis, mezzo.processors.compressor, mezzo.kernels.lookahead\n"
        "assert 'numba' not in sys.modules\n"
        "from mezzo.kernels import dynamics\n"
        "import numpy as np\n"
        "dynamics.one_pole_filter  # attribute access alone compiles nothing\n"
        "assert 'numba' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


class _FakeCache:
    def __init__(self, index: str) -> None:
        self._cache_file = type("F", (), {"_index_path": index})()


class _FakeDispatcher:
    def __init__(self, index: str) -> None:
        self._cache = _FakeCache(index)


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


def test_first_compile_is_announced_once_on_a_terminal(tmp_path, monkeypatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(_jit, "_announced", False)
    cached = tmp_path / "k.nbi"
    cached.write_text("")
    _jit._announce_compile(_FakeDispatcher(str(cached)))
    assert terminal.text == ""  # compiled code on disk: nothing to say
    _jit._announce_compile(_FakeDispatcher(str(tmp_path / "missing.nbi")))
    _jit._announce_compile(_FakeDispatcher(str(tmp_path / "missing2.nbi")))
    assert terminal.text == "mezzo: compiling kernels (first run only)…\n"


def test_the_true_peak_stage2_filter_is_scipy_firwin() -> None:
    # mezzo.meters.peak designs it in numpy (scipy.signal costs ~1.3 s of import): same taps
    from scipy.signal import firwin

    from mezzo.meters.peak import STAGE2_KAISER_BETA, STAGE2_TAPS, kaiser_lowpass, true_peak_filters

    for taps, cutoff in ((8 * STAGE2_TAPS + 1, 1 / 8), (129, 1 / 16), (41, 0.3)):
        ours = kaiser_lowpass(taps, cutoff, STAGE2_KAISER_BETA)
        assert np.allclose(ours, firwin(taps, cutoff, window=("kaiser", STAGE2_KAISER_BETA)), rtol=0, atol=1e-15)
    assert true_peak_filters()[1].shape == (6, 4)

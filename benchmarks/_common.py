"""Shared helpers for the benchmarks: test signals, timing, peak RSS in fresh processes, tables.

Every ``bench_*.py`` module imports this as ``_common`` (the benchmarks folder is put on
``sys.path`` by ``run.py``, by the modules themselves and by the smoke test).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"

_RESULT_MARKER = "@@BENCH-RESULT@@ "

# --------------------------------------------------------------------------- signals

TEMPO_BPM = 128.0
_BARS_PER_CHUNK = 8  # one "section" of the arrangement: level and instrumentation change per section
# (root frequency of the bass in Hz, chord as semitones above the root), one per bar, cycling
_PROGRESSION = ((55.0, (12, 15, 19)), (43.65, (12, 16, 19)), (49.0, (12, 16, 19)), (41.2, (12, 15, 19)))
# (gain in dB, drums on, bass on, chords on) per section, cycling: intro, verse, build, drop, break...
_SECTIONS = (
    (-8.0, False, False, True),
    (-6.0, True, True, True),
    (-3.0, True, True, True),
    (0.0, True, True, True),
    (-10.0, False, True, True),
    (-4.0, True, False, True),
    (0.0, True, True, True),
    (-9.0, False, False, True),
)


def _beat_samples(sample_rate: int) -> int:
    return 2 * round(sample_rate * 60.0 / TEMPO_BPM / 2)  # even: eighths split it exactly


def _hiss(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Band-passed noise (first difference, then a 3-tap smoother): centred near fs/4, none at fs/2."""
    noise = rng.standard_normal((shape[0], shape[1] + 2))
    diff = noise[:, 1:] - noise[:, :-1]
    return 0.5 * (0.5 * diff[:, :-1] + 0.5 * diff[:, 1:])


def _bar_patterns(sample_rate: int, bar: int) -> np.ndarray:
    """One bar of bass and of stereo pad for each chord of the progression, shape (chords, 3, bar)."""
    t = np.arange(bar, dtype=np.float64) / sample_rate
    eighth = bar // 8
    t8 = np.arange(eighth, dtype=np.float64) / sample_rate
    bass_env = np.tile(np.minimum(1.0, t8 / 0.005) * np.exp(-t8 / 0.12), 8)
    pad_env = np.minimum(1.0, t / 0.25) * np.exp(-t / 6.0)
    out = np.zeros((len(_PROGRESSION), 3, bar))
    for i, (root, chord) in enumerate(_PROGRESSION):
        ph = 2 * np.pi * root * t
        out[i, 0] = 0.35 * (np.sin(ph) + 0.3 * np.sin(2 * ph) + 0.15 * np.sin(3 * ph)) * bass_env
        for k, semitones in enumerate(chord):
            f = root * 2 ** (semitones / 12.0)
            for side, detune in enumerate((0.998, 1.002)):
                ph = 2 * np.pi * f * detune * t + k + side
                out[i, 1 + side] += 0.16 * (np.sin(ph) + 0.4 * np.sin(2 * ph) + 0.2 * np.sin(3 * ph)) * pad_env
    return out


def music_like_chunks(
    duration_s: float, sample_rate: int, *, seed: int = 0
) -> Iterator[np.ndarray]:
    """Yield a seeded music-like stereo signal as float32 ``(2, n)`` chunks of 8 bars.

    Drums (pitch-swept sine kicks on every beat, noise snares on 2 and 4, hi-hats on
    eighths), a bass line, sustained chords with a stereo spread, and a level and
    arrangement that change every 8 bars, at 128 BPM. Each chunk is generated
    vectorised from its own seed, so the signal does not depend on how it is consumed
    and memory stays at one chunk. Soft-clipped (``tanh``) like a mastered track:
    peaks stay below 0 dBFS.

    Parameters
    ----------
    duration_s : float, > 0
        Length in seconds.
    sample_rate : int
        Sample rate in Hz.
    seed : int
        Seed of the noise and the humanising.
    """
    total = round(duration_s * sample_rate)
    beat = _beat_samples(sample_rate)
    bar = 4 * beat
    chunk = _BARS_PER_CHUNK * bar
    t_beat = np.arange(beat, dtype=np.float64) / sample_rate
    # Kick: sine swept from 150 Hz to 50 Hz (phase is the integral of the frequency).
    kick = np.sin(2 * np.pi * (50.0 * t_beat + 100.0 * 0.03 * (1.0 - np.exp(-t_beat / 0.03))))
    kick *= np.exp(-t_beat / 0.15)
    snare_env = np.exp(-t_beat / 0.07)
    snare_tone = 0.5 * np.sin(2 * np.pi * 190.0 * t_beat) * np.exp(-t_beat / 0.04)
    half = beat // 2
    hat_env = np.exp(-np.arange(half) / (0.02 * sample_rate))
    bars = _bar_patterns(sample_rate, bar)  # (len(_PROGRESSION), 3, bar): bass, pad left, pad right
    tremolo = (1.0 + 0.1 * np.sin(2 * np.pi * 0.3 * np.arange(chunk) / sample_rate))
    start = 0
    index = 0
    while start < total:
        rng = np.random.default_rng([seed, index])
        gain_db, drums_on, bass_on, chords_on = _SECTIONS[index % len(_SECTIONS)]
        left = np.zeros(chunk)
        right = np.zeros(chunk)
        if drums_on:
            n_beats = chunk // beat
            velocity = 1.0 + 0.08 * rng.standard_normal((n_beats, 1))
            drums = np.broadcast_to(0.9 * kick, (n_beats, beat)) * velocity
            snare = (_hiss(rng, (n_beats // 2, beat)) * 0.5 + snare_tone) * snare_env
            drums[1::2] += snare * velocity[1::2]  # beats 2 and 4
            hats = _hiss(rng, (chunk // half, half))
            hats *= hat_env * (0.08 + 0.05 * rng.random((chunk // half, 1)))
            drums = drums.reshape(-1)
            hats = hats.reshape(-1)
            left += drums + 0.8 * hats
            right += drums + 1.2 * hats
        first = index * _BARS_PER_CHUNK
        which = [(first + b) % len(_PROGRESSION) for b in range(_BARS_PER_CHUNK)]
        if bass_on:
            bass = bars[which, 0].reshape(-1)
            left += bass
            right += bass
        if chords_on:
            left += bars[which, 1].reshape(-1) * tremolo
            right += bars[which, 2].reshape(-1) * tremolo
        gain = 10.0 ** (gain_db / 20.0)
        block = np.tanh(1.4 * gain * np.stack([left, right])) * 0.89
        n = min(chunk, total - start)
        yield block[:, :n].astype(np.float32)
        start += n
        index += 1


def music_like(duration_s: float, sample_rate: int, *, seed: int = 0) -> np.ndarray:
    """Return :func:`music_like_chunks` as one float32 array, shape ``(2, samples)``."""
    out = np.empty((2, round(duration_s * sample_rate)), dtype=np.float32)
    pos = 0
    for block in music_like_chunks(duration_s, sample_rate, seed=seed):
        out[:, pos:pos + block.shape[1]] = block
        pos += block.shape[1]
    return out


def write_music_wav(
    path: str | os.PathLike[str], duration_s: float, sample_rate: int, *, seed: int = 0,
    subtype: str = "PCM_16",
) -> int:
    """Write the music-like signal to a WAV file chunk by chunk; return its size in bytes."""
    import soundfile as sf

    with sf.SoundFile(os.fspath(path), "w", samplerate=sample_rate, channels=2,
                      subtype=subtype, format="WAV") as f:
        for block in music_like_chunks(duration_s, sample_rate, seed=seed):
            f.write(block.T)
    return os.path.getsize(path)


# --------------------------------------------------------------------------- timing


def best_time(func: Callable[[], Any], *, repeats: int) -> tuple[float, Any]:
    """Run ``func`` ``repeats`` times; return the best wall time in seconds and the last result."""
    best = float("inf")
    result = None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def ns_per_sample(seconds: float, samples: int, channels: int) -> float:
    """Nanoseconds per sample per channel."""
    return seconds * 1e9 / (samples * channels)


def realtime_factor(seconds: float, duration_s: float) -> float:
    """How many times faster than real time (audio duration / processing time)."""
    return duration_s / seconds if seconds > 0 else float("inf")


def current_peak_rss_bytes() -> int:
    """Peak resident set size of this process so far, in bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _proc_status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> int | None:
    """Reset this process's peak RSS to its current RSS (Linux ``clear_refs``); return it in bytes.

    Lets a child measure the extra memory of one step (``peak_rss_since_reset() - returned``)
    after building its input. ``None`` where unsupported.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    kb = _proc_status_kb("VmRSS")
    return None if kb is None else kb * 1024


def peak_rss_since_reset() -> int | None:
    """Peak RSS in bytes since :func:`reset_peak_rss` (``VmHWM``); ``None`` where unsupported."""
    kb = _proc_status_kb("VmHWM")
    return None if kb is None else kb * 1024


# --------------------------------------------------------------------------- fresh processes


@dataclass(frozen=True)
class ChildRun:
    """What a measured child process returned."""

    result: Any
    peak_rss_bytes: int
    wall_s: float
    returncode: int
    stderr: str


def wait_with_rusage(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Wait for ``proc``; return (exit status, its peak RSS in bytes) via ``os.wait4``.

    Its ``ru_maxrss`` is at least this process's own peak when ``proc`` was started from here
    (see ``_LAUNCHER``): right for a small runner (``run.py``); measurements use :func:`run_command`.
    """
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped here; keep Popen consistent
    return code, _maxrss_bytes(usage.ru_maxrss)


def _maxrss_bytes(maxrss: int) -> int:
    """``ru_maxrss`` in bytes (macOS gives bytes, Linux KiB)."""
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def _kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


#: Runs the measured command as its own child and writes that child's peak RSS and exit
#: status to a file. A child measured directly reports at least this runner's peak: Linux
#: keeps, in ``ru_maxrss``, the memory high-water mark of the image a process replaces at exec,
#: and ``subprocess`` starts children with vfork, sharing (so replacing) the runner's memory
#: (a ``python -c pass`` started from a runner holding 800 MB reported 829 MB). The launcher
#: (``python -S``, under 10 MB) is the image the measured command replaces instead.
_LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as error:
        sys.stderr.write(f"{sys.argv[2]}: {error}\\n")
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_command(args: Sequence[str], *, timeout_s: float | None = None,
                env: dict[str, str] | None = None) -> ChildRun:
    """Run a command in a fresh process; return its stdout, wall time and peak RSS.

    The peak RSS is the command's own ``ru_maxrss`` (exactly that process, unlike
    ``RUSAGE_CHILDREN``, the maximum over all children so far), read by a small launcher
    process so that it does not include this runner's memory (see ``_LAUNCHER``).
    A command still running after ``timeout_s`` is killed (its status is then negative).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage"
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, str(report), *args],
                                stdout=out, stderr=err, env=env, start_new_session=True)
        timer = threading.Timer(timeout_s, _kill_group, (proc.pid,)) if timeout_s else None
        if timer is not None:
            timer.start()
        try:
            launcher_code = proc.wait()
        except BaseException:  # an interrupted runner takes its command along (its own session)
            _kill_group(proc.pid)
            raise
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - start
        if report.exists():
            maxrss, code = (int(v) for v in report.read_text().split())
        else:  # the launcher itself was killed (timeout)
            maxrss, code = 0, launcher_code
        out.seek(0)
        err.seek(0)
        return ChildRun(out.read().decode(errors="replace"), _maxrss_bytes(maxrss), wall, code,
                        err.read().decode(errors="replace"))


def run_isolated(module: str, function: str, kwargs: dict[str, Any] | None = None, *,
                 timeout_s: float | None = None, env: dict[str, str] | None = None) -> ChildRun:
    """Call ``module.function(**kwargs)`` in a fresh Python process and measure its peak RSS.

    The function must return something JSON-serialisable; it is printed by the child after
    a marker and parsed here. ``module`` is imported with the benchmarks folder on ``sys.path``.
    ``env`` replaces the child's environment (default: inherited).

    Raises
    ------
    RuntimeError
        When the child fails (its stderr tail is in the message).
    """
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(BENCH_DIR)!r})\n"
        f"import {module} as m\n"
        f"r = m.{function}(**json.loads(sys.argv[1]))\n"
        f"sys.stdout.write({_RESULT_MARKER!r} + json.dumps(r) + '\\n')\n"
    )
    run = run_command([sys.executable, "-c", code, json.dumps(kwargs or {})],
                      timeout_s=timeout_s, env=env)
    if run.returncode != 0:
        tail = "\n".join(run.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"{module}.{function} failed in a child process (exit {run.returncode}): {tail}")
    lines = [line for line in run.result.splitlines() if line.startswith(_RESULT_MARKER)]
    if not lines:
        raise RuntimeError(f"{module}.{function} printed no result")
    value = json.loads(lines[-1][len(_RESULT_MARKER):])
    return ChildRun(value, run.peak_rss_bytes, run.wall_s, run.returncode, run.stderr)


# --------------------------------------------------------------------------- formatting


def fmt_ratio(value: float | None, reference: float | None) -> str:
    """``value / reference`` as ``'6.2x'`` (how many times the reference), or ``'-'``."""
    if value is None or reference is None or reference <= 0:
        return "-"
    ratio = value / reference
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def fmt_num(value: float | None, digits: int = 2) -> str:
    """Fixed-point number, or ``'-'`` for ``None``."""
    return "-" if value is None else f"{value:.{digits}f}"


def mb(nbytes: int | None) -> float | None:
    """Bytes to MB (10**6 bytes)."""
    return None if nbytes is None else nbytes / 1e6


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown (GitHub) table, columns padded for reading in a terminal too."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON (creating the folder); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return target


def machine_info() -> dict[str, Any]:
    """CPU count, platform and the versions that matter for the figures."""
    import platform

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
    }
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:  # pragma: no cover
        pass
    return info

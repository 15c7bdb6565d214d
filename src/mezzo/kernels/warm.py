"""Compile the common kernels ahead into numba's on-disk cache: ``python -m mezzo.kernels.warm``.

``make setup`` runs it after installing, so the first ``mezzo analyze``, ``compress``,
``normalize`` or ``master`` loads compiled code instead of compiling it (numba cannot ship
machine code in the wheel: its cache is specific to the machine's CPU and the numba version).
It runs those commands in-process on a short generated file, so the kernels are compiled
for exactly the argument types the commands use. Rare kernels still compile on first use.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: Seconds of audio: beyond the whole-file limit of ``analyze --loudness-only``, so its
#: streaming kernels are compiled too.
SECONDS = 62.0


def main() -> int:
    """Run the commands on a generated file; print what was done and how long it took."""
    import soundfile as sf

    from mezzo.cli.app import main as cli
    from mezzo.kernels import _jit

    _jit.mark_announced()  # said here once, not again by the first kernel

    start = time.perf_counter()
    rate = 48000
    t = np.arange(int(rate * SECONDS)) / rate
    rng = np.random.default_rng(0)
    music = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    audio = np.stack([music, 0.9 * music]) + 0.02 * rng.standard_normal((2, t.size))
    sys.stderr.write("mezzo: compiling kernels (first run only)…\n")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "warm.wav"
        sf.write(src, audio.T.astype(np.float32), rate, subtype="PCM_24")
        commands = [
            ["analyze", src, "--quiet"],
            ["analyze", src, "--loudness-only", "--quiet"],
            ["compress", src, "-o", Path(tmp) / "c.wav"],
            ["normalize", src, "-o", Path(tmp) / "n.wav"],
            ["master", src, "-o", Path(tmp) / "m.wav"],
            # loud enough to need the limiter (its kernels and the model of it)
            ["master", src, "-o", Path(tmp) / "l.wav", "--target-lufs", "-9"],
        ]
        for args in commands:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                cli([str(a) for a in args])
    sys.stderr.write(f"mezzo: kernels compiled and cached in {time.perf_counter() - start:.0f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Lookahead limiter kernel: true-peak detection, sliding minimum, ramp, release.

Private to mezzo. One kernel call per block; the whole state lives in arrays
handed in, so any split of a signal into blocks gives bit-identical output.

Pipeline, per input sample ``i`` (global index, counted from the last reset):

1. **Detection** of sample ``j = i - D`` (``D`` = half-length of the long
   interpolator, 0 for sample-peak detection). The detected peak of ``j`` is
   ``max(|x[j]|, I[j - 1], I[j])`` where ``I[j]`` is the largest magnitude of the
   interpolated values strictly between samples ``j`` and ``j + 1``: the 7
   fractional phases of a long 8x interpolator and the 4 phases of the
   BS.1770-4 Annex 2 interpolator. ``I[j]`` is computed only when the cheap bound
   ``l1 * max|x|`` over its input window can exceed the threshold (otherwise it
   cannot matter and is stored as 0).
2. **Required gain** ``r[j] = min(1, ceiling / peak[j])`` (linked: the peak is
   the maximum over channels).
3. **Sliding minimum** ``S`` of ``r`` over ``win_min`` samples (monotone deque).
4. **Hold and release**: ``V`` falls instantly to ``S``; it rises towards it by
   a one-pole in dB (after ``hold`` samples), never above it.
5. **Ramp**: the gain is the moving average of ``V`` over ``ramp + 1`` samples.
   With the window sizes chosen by the caller, the gain applied to sample ``m``
   is at most ``r[m']`` for every ``m'`` in ``[m - post, m + pre]`` (see the
   limiter's Notes), so the peak is reached with the gain already down, and
   the gain never jumps (it moves at most ``1 / (ramp + 1)`` per sample).
6. The gain multiplies the audio delayed by ``latency`` samples.
"""

from __future__ import annotations

import math

import numpy as np

from mezzo.kernels._jit import kernel


@kernel
def sliding_min_push(value, index, window, dq_val, dq_idx, dq_ptr, g):
    """Push ``value`` (at global ``index``) into deque ``g``; return the window minimum.

    ``dq_val``/``dq_idx`` (G, window) ring storage, ``dq_ptr`` (G, 2) int64 head
    and count. The minimum is over the last ``window`` pushed values.
    """
    head = dq_ptr[g, 0]
    count = dq_ptr[g, 1]
    while count > 0:
        last = (head + count - 1) % window
        if dq_val[g, last] >= value:
            count -= 1
        else:
            break
    if count > 0 and dq_idx[g, head] <= index - window:
        head = (head + 1) % window
        count -= 1
    slot = (head + count) % window
    dq_val[g, slot] = value
    dq_idx[g, slot] = index
    count += 1
    dq_ptr[g, 0] = head
    dq_ptr[g, 1] = count
    return dq_val[g, head]


@kernel
def _phase_max(phases, hist, c, newest, peak):
    """Largest of ``peak`` and ``|sum_k phases[p, k] * hist[c, newest - k]|`` over p."""
    for p in range(phases.shape[0]):
        acc = 0.0
        for k in range(phases.shape[1]):
            acc += phases[p, k] * hist[c, newest - k]
        a = abs(acc)
        if a > peak:
            peak = a
    return peak


@kernel
def limiter_block(
    x,
    out,
    gain_out,
    record_gain,
    true_peak,
    long_phases,
    fine_phases,
    refine_level,
    annex_phases,
    short_phases,
    detect_delay,
    ceiling,
    loud_threshold,
    win_min,
    ramp,
    hold_samples,
    release_coef,
    latency,
    hist,
    since_loud,
    ivl_prev,
    dq_val,
    dq_idx,
    dq_ptr,
    box_buf,
    box_sum,
    box_low,
    rel_db,
    hold_state,
    delay_buf,
    counters,
):
    """Run one block of the lookahead limiter.

    Arrays
    ------
    x : (C, n) float32/float64 audio in; out : (C, n) like ``x``.
    gain_out : (G, n) float64 when ``record_gain`` else (G, 0): applied gain, dB.
    ``G`` is 1 (linked) or C. long_phases : (P, 2D+1) float64, the coarse
    fractional phases of the long interpolator; fine_phases : (P + 1, 2D+1) the
    phases half-way between them (computed only when the coarse maximum exceeds
    ``refine_level``); tap k multiplies ``x[j + D - k]``. annex_phases : (4, 12)
    float64 (BS.1770-4 Annex 2); tap k multiplies ``x[j + 6 - k]``. short_phases :
    (Q, 2H+1) float64, a short interpolator; tap k multiplies ``x[j + H - k]``.
    Every phase set gives values strictly between samples ``j`` and ``j + 1``.

    Scalars
    -------
    detect_delay ``D`` (0 for sample peak); ceiling (linear, margin applied);
    loud_threshold = ceiling / l1 (samples at or below it cannot push an
    interpolated value over the ceiling); win_min, ramp (samples, >= 1 and >= 0);
    hold_samples; release_coef ``exp(-1/(tau fs))``; latency (samples).

    State (after reset)
    -------------------
    hist (C, 2R) float64 doubled ring of the last ``R = 2D + 1`` inputs (zeros);
    since_loud (C,) int64 samples since the last loud input (R); ivl_prev (C,)
    float64 ``I[j - 1]`` (0); dq_val/dq_idx (G, win_min), dq_ptr (G, 2) int64
    sliding-min deque (0); rel_db (G,) ``V`` in dB (0); box_buf (G, ramp + 1)
    float64 (1.0), box_sum (G,) (ramp + 1), box_low (G,) int64 count of box
    entries below 1 (0); hold_state (G,) int64 (0); delay_buf
    (C, max(latency, 1)) float64 (0); counters (2,) int64: samples processed,
    delay-line position (0).
    """
    n_ch = x.shape[0]
    n = x.shape[1]
    n_gain = rel_db.shape[0]
    ring = hist.shape[1] // 2
    short_half = short_phases.shape[1] // 2
    box_len = ramp + 1
    db_per_ln = 20.0 / math.log(10.0)
    ln_per_db = math.log(10.0) / 20.0
    peaks = np.empty(n_ch)
    gains = np.empty(n_gain)
    index = counters[0]
    pos = counters[1]
    for i in range(n):
        w = index % ring
        # --- detection of sample j = index - D, per channel ---
        for c in range(n_ch):
            v = float(x[c, i])
            hist[c, w] = v
            hist[c, w + ring] = v
            if abs(v) > loud_threshold:
                since_loud[c] = 0
            elif since_loud[c] < ring:
                since_loud[c] += 1
            # newest sample x[index] sits at hist[c, w + ring]; x[index - s] at w + ring - s
            base = w + ring
            pk = abs(hist[c, base - detect_delay])
            ivl = 0.0
            if true_peak and since_loud[c] < ring:
                ivl = _phase_max(long_phases, hist, c, base, ivl)
                # the coarse grid (with the samples j and j + 1 at its ends) may miss the
                # peak between its points by up to 1/cos(pi/16): evaluate the phases
                # half-way between them too when the grid comes near the ceiling
                grid = max(ivl, pk, abs(hist[c, base - detect_delay + 1]))
                if grid > refine_level:
                    ivl = _phase_max(fine_phases, hist, c, base, ivl)
                ivl = _phase_max(annex_phases, hist, c, base - (detect_delay - 6), ivl)
                ivl = _phase_max(short_phases, hist, c, base - (detect_delay - short_half), ivl)
            if ivl_prev[c] > pk:
                pk = ivl_prev[c]
            if ivl > pk:
                pk = ivl
            ivl_prev[c] = ivl
            peaks[c] = pk
        # --- required gain, sliding minimum, ramp, release, per gain channel ---
        for g in range(n_gain):
            if n_gain == 1:
                pk = 0.0
                for c in range(n_ch):
                    if peaks[c] > pk:
                        pk = peaks[c]
            else:
                pk = peaks[g]
            req = ceiling / pk if pk > ceiling else 1.0
            s = sliding_min_push(req, index, win_min, dq_val, dq_idx, dq_ptr, g)
            # hold and release towards s (instant fall, one-pole rise in dB, never above s)
            s_db = 0.0 if s == 1.0 else db_per_ln * math.log(s)
            cur = rel_db[g]
            # falling or steady (ties within rounding): follow, re-arm the hold
            if s_db <= cur + 1e-9:
                cur = s_db
                hold_state[g] = hold_samples
            elif hold_state[g] > 0:
                hold_state[g] -= 1
            else:
                cur = s_db + release_coef * (cur - s_db)
                if s_db - cur < 1e-7:  # within 1e-7 dB of the target: snap (ends the tail)
                    cur = s_db
            rel_db[g] = cur
            if cur == 0.0:
                v = 1.0
            else:
                v = math.exp(cur * ln_per_db)
                if v > s:
                    v = s
            # ramp: moving average of v over ramp + 1 samples
            bpos = index % box_len
            old = box_buf[g, bpos]
            if old < 1.0:
                box_low[g] -= 1
            if v < 1.0:
                box_low[g] += 1
            box_buf[g, bpos] = v
            box_sum[g] += v - old
            if bpos == box_len - 1:  # exact re-sum once per window: no drift
                total = 0.0
                for k in range(box_len):
                    total += box_buf[g, k]
                box_sum[g] = total
            if box_low[g] == 0:
                lin = 1.0
            else:
                lin = box_sum[g] / box_len
                if lin > 1.0:
                    lin = 1.0
            gains[g] = lin
            if record_gain:
                gain_out[g, i] = 0.0 if lin == 1.0 else db_per_ln * math.log(lin)
        # --- apply to the delayed audio ---
        for c in range(n_ch):
            lin = gains[0] if n_gain == 1 else gains[c]
            if latency > 0:
                dry = delay_buf[c, pos]
                delay_buf[c, pos] = float(x[c, i])
            else:
                dry = float(x[c, i])
            out[c, i] = dry if lin == 1.0 else dry * lin
        if latency > 0:
            pos += 1
            if pos == latency:
                pos = 0
        index += 1
    counters[0] = index
    counters[1] = pos

"""Per-sample dynamics kernels: key filter, level detector, gain computer, smoothing.

Private to mezzo. Every kernel takes plain contiguous arrays, scalar parameters and
explicit state arrays, loops over samples and channels itself and writes into
preallocated outputs, so any split of a signal into blocks gives bit-identical
results (the whole state lives in the arrays handed in).

References
----------
D. Giannoulis, M. Massberg, J. D. Reiss, "Digital Dynamic Range Compressor Design —
A Tutorial and Analysis", J. Audio Eng. Soc. 60(6), 2012 (eq. numbers below refer
to that paper).
"""

from __future__ import annotations

import math

import numpy as np

from mezzo.kernels._jit import kernel

#: curve codes understood by :func:`dynamics_block`
CURVE_COMPRESS_DOWN = 0
CURVE_COMPRESS_UP = 1
CURVE_EXPAND = 2

#: level used for digital silence, dB (keeps logs finite)
SILENCE_DB = -400.0


@kernel
def static_gain_db(level_db, curve, threshold_db, ratio, knee_db, range_db):
    """Static gain computer: gain in dB for a detector level in dB.

    ``curve`` 0 = downward compressor (paper eq. 4: hard knee for ``knee_db`` 0,
    soft knee ``y = x + (1/R - 1)(x - T + W/2)^2 / (2W)`` for ``2|x - T| <= W``),
    1 = upward compressor (mirror image below the threshold), 2 = downward expander
    (paper section 2.2; knee ``y = x + (1 - R)(x - T - W/2)^2 / (2W)``; ``ratio``
    inf = gate). The gain is clamped to ``-range_db`` (down) or ``+range_db`` (up).
    """
    x = level_db
    t = threshold_db
    w = knee_db
    if curve == 0:
        slope = 1.0 / ratio - 1.0  # 1/R - 1, 0 for R = 1, -1 for R = inf
        if 2.0 * (x - t) <= -w:
            g = 0.0
        elif w > 0.0 and 2.0 * abs(x - t) <= w:
            d = x - t + 0.5 * w
            g = slope * d * d / (2.0 * w)  # eq. (4), middle branch, as a gain y - x
        else:
            g = slope * (x - t)  # eq. (4), top branch: y = T + (x - T)/R
        if g < -range_db:
            g = -range_db
        return g
    if curve == 1:
        lift = 1.0 - 1.0 / ratio
        if 2.0 * (x - t) >= w:
            g = 0.0
        elif w > 0.0 and 2.0 * abs(x - t) <= w:
            d = x - t - 0.5 * w
            g = lift * d * d / (2.0 * w)
        else:
            g = lift * (t - x)  # y = T + (x - T)/R below the threshold
        if g > range_db:
            g = range_db
        return g
    # downward expander / gate
    if math.isinf(ratio):
        g = 0.0 if x >= t else -range_db
        return g
    if 2.0 * (x - t) >= w:
        g = 0.0
    elif w > 0.0 and 2.0 * abs(x - t) <= w:
        d = x - t - 0.5 * w
        g = (1.0 - ratio) * d * d / (2.0 * w)
    else:
        g = (ratio - 1.0) * (x - t)  # y = T + R (x - T) below the threshold
    if g < -range_db:
        g = -range_db
    return g


@kernel
def dynamics_block(
    x,
    key,
    out,
    gain_out,
    record_gain,
    curve,
    threshold_db,
    ratio,
    knee_db,
    range_db,
    hysteresis_db,
    detector_rms,
    rms_coef,
    link,
    hp_on,
    hp_coef,
    attack_coef,
    release_coef,
    hold_samples,
    lookahead,
    makeup_db,
    mix,
    hp_state,
    rms_state,
    smooth_state,
    hold_state,
    open_state,
    delay_buf,
    dq_val,
    dq_idx,
    dq_ptr,
    box_buf,
    box_sum,
    counters,
):
    """Run one block of a compressor / expander / gate / ducker.

    Arrays
    ------
    x : (C, n) float32/float64, audio in. key : (K, n) float, detector input
    (``x`` itself when there is no external key). out : (C, n) like ``x``.
    gain_out : (G, n) float64 when ``record_gain`` else (G, 0): applied gain in dB
    without makeup. ``G`` is 1 (linked: one gain for every channel) or C.

    State (all zero after reset)
    ----------------------------
    hp_state (K, 2) biquad TDF-II memories; rms_state (K,) mean square;
    smooth_state (G,) smoothed gain in the attack domain ``d``; hold_state (G,)
    int64 samples of hold left; open_state (G,) 1.0 when the gate is open;
    delay_buf (C, L) audio delay line; dq_val/dq_idx (G, L+1) monotone deque of the
    sliding maximum of ``d``; dq_ptr (G, 2) int64 deque head and count; box_buf
    (G, L+1), box_sum (G,) moving sum of the sliding maximum; counters (2,) int64:
    delay-line position, samples processed.

    Notes
    -----
    ``d`` is the gain in dB signed so that "attack" means ``d`` rising: ``d = -g``
    for compressors (more reduction), ``d = g`` for expanders (gate opening).
    Smoothing is the paper's smooth *branching* peak detector (eq. 16) applied to
    ``d``, with a hold counter that delays the release branch.

    Work is done in chunks of 256 samples, stage by stage, so that every stage but
    the recursive ones vectorises. Levels use :func:`_fast_db` (error < 3e-8 dB) and
    gains :func:`_fast_gain` (relative error < 2e-7, never above the exact value);
    0 dB maps to exactly 1.0, so transparent settings return the input bit for bit.
    """
    n_ch = x.shape[0]
    n = x.shape[1]
    n_key = key.shape[0]
    n_gain = smooth_state.shape[0]
    sgn = 1.0 if curve == 2 else -1.0  # d = sgn * g
    look = lookahead
    win = look + 1
    b0 = hp_coef[0]
    b1 = hp_coef[1]
    b2 = hp_coef[2]
    a1 = hp_coef[3]
    a2 = hp_coef[4]
    chunk = 256  # samples per inner chunk (a literal: no globals in kernels)
    amp = np.empty((n_key, chunk))  # detector amplitude per key channel
    top = np.empty(chunk)  # max over key channels
    lvl = np.empty(chunk)  # scratch for fast_db
    lvl_bits = lvl.view(np.int64)
    mant = np.empty(chunk)
    mant_bits = mant.view(np.int64)
    expo = np.empty(chunk)
    top_db = np.empty(chunk)
    own_db = np.empty(chunk)
    gain_db = np.empty((n_gain, chunk))  # target, then smoothed gain + makeup, dB
    scale = np.empty(chunk)
    scale_bits = scale.view(np.int64)
    frac = np.empty(chunk)
    factor = np.empty((n_gain, chunk))
    pos = counters[0]
    index = counters[1]
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        # --- 1. detector: key high pass, amplitude per key channel ---
        simple = not hp_on and not detector_rms and n_gain == 1
        if simple:  # fast path: peak detector, one gain: only the max over channels
            for j in range(m):
                top[j] = abs(float(key[0, start + j]))
            for k in range(1, n_key):
                for j in range(m):
                    v = abs(float(key[k, start + j]))
                    top[j] = v if v > top[j] else top[j]
        for k in range(n_key):
            if simple:
                break
            if hp_on:
                s1 = hp_state[k, 0]
                s2 = hp_state[k, 1]
                for j in range(m):
                    v = float(key[k, start + j])
                    y = b0 * v + s1  # biquad, transposed direct form II
                    s1 = b1 * v - a1 * y + s2
                    s2 = b2 * v - a2 * y
                    amp[k, j] = y
                hp_state[k, 0] = s1
                hp_state[k, 1] = s2
            else:
                for j in range(m):
                    amp[k, j] = float(key[k, start + j])
            if detector_rms:
                ms = rms_state[k]
                for j in range(m):
                    v = amp[k, j]
                    ms = rms_coef * ms + (1.0 - rms_coef) * v * v
                    amp[k, j] = ms
                rms_state[k] = ms
                for j in range(m):
                    amp[k, j] = math.sqrt(2.0 * amp[k, j])  # a sine of peak A reads A
            else:
                for j in range(m):
                    amp[k, j] = abs(amp[k, j])
        if not simple:
            for j in range(m):
                top[j] = amp[0, j]
            for k in range(1, n_key):
                for j in range(m):
                    v = amp[k, j]
                    top[j] = v if v > top[j] else top[j]
        # --- 2. level in dB and target gain (static curve) per gain channel ---
        _fast_db(top, m, lvl, lvl_bits, mant, mant_bits, expo, top_db)
        for g in range(n_gain):
            if n_gain == 1:
                for j in range(m):
                    own_db[j] = top_db[j]
            else:
                for j in range(m):
                    lvl[j] = amp[g, j]
                _fast_db(lvl, m, lvl, lvl_bits, mant, mant_bits, expo, own_db)
                for j in range(m):
                    own_db[j] = link * top_db[j] + (1.0 - link) * own_db[j]  # linking rule, in dB
            if curve == 0:
                # downward compressor, eq. (4) written inline and branch-free for speed:
                # knee part slope * q^2 / (2W) with q = clip(x - T + W/2, 0, W), plus the
                # linear part slope * max(x - T - W/2, 0) above the knee
                slope = 1.0 / ratio - 1.0
                half = 0.5 * knee_db
                inv_2w = 0.5 / knee_db if knee_db > 1e-9 else 0.0  # a tinier knee is hard
                for j in range(m):
                    over = own_db[j] - threshold_db
                    q = over + half
                    q = q if q > 0.0 else 0.0
                    q = q if q < knee_db else knee_db
                    lin = over - half
                    lin = lin if lin > 0.0 else 0.0
                    gdb = slope * (q * q * inv_2w + lin)
                    gain_db[g, j] = gdb if gdb > -range_db else -range_db
            else:
                for j in range(m):
                    gain_db[g, j] = _target(own_db[j], curve, threshold_db, ratio, knee_db, range_db, hysteresis_db, open_state, g)
        # --- 3. smoothing (eq. 16, branching), hold, lookahead ramp ---
        for g in range(n_gain):
            state = smooth_state[g]
            hold = hold_state[g]
            head = dq_ptr[g, 0]
            count = dq_ptr[g, 1]
            bsum = box_sum[g]
            if hold_samples == 0 and look == 0:
                # fast path. With t >= s both candidates move up and the faster one is
                # the larger; with t < s both move down and the slower one is the larger.
                # So eq. (16) is max(att, rel) when a_A <= a_R (attack faster), else min.
                ga = 1.0 - attack_coef
                gr = 1.0 - release_coef
                if attack_coef <= release_coef:
                    for j in range(m):
                        target = sgn * gain_db[g, j]
                        att = attack_coef * state + ga * target
                        rel = release_coef * state + gr * target
                        state = att if att > rel else rel
                        gain_db[g, j] = sgn * state
                else:
                    for j in range(m):
                        target = sgn * gain_db[g, j]
                        att = attack_coef * state + ga * target
                        rel = release_coef * state + gr * target
                        state = att if att < rel else rel
                        gain_db[g, j] = sgn * state
                m_done = m
            else:
                m_done = 0
            for j in range(m_done, m):
                target = sgn * gain_db[g, j]
                if hold_samples == 0:
                    # branch-free form of the two branches below (noise makes them unpredictable)
                    # both candidates from independent FMAs, then a select: short dependency chain
                    att = attack_coef * state + (1.0 - attack_coef) * target
                    rel = release_coef * state + (1.0 - release_coef) * target
                    state = att if target >= state else rel
                elif target >= state:  # attack branch (or steady): re-arm the hold
                    state = attack_coef * state + (1.0 - attack_coef) * target
                    hold = hold_samples
                elif hold > 0:
                    hold -= 1
                else:
                    state = release_coef * state + (1.0 - release_coef) * target
                d = state
                if look > 0:
                    idx = index + j
                    # sliding maximum of the target over the last L+1 samples (monotone deque)
                    while count > 0:
                        last = (head + count - 1) % win
                        if dq_val[g, last] <= target:
                            count -= 1
                        else:
                            break
                    slot = (head + count) % win
                    dq_val[g, slot] = target
                    dq_idx[g, slot] = idx
                    count += 1
                    if dq_idx[g, head] <= idx - win:
                        head = (head + 1) % win
                        count -= 1
                    peak = dq_val[g, head]
                    # moving average of the sliding maximum: a ramp that reaches the
                    # target exactly when the transient leaves the delay line
                    bpos = idx % win
                    bsum += peak - box_buf[g, bpos]
                    box_buf[g, bpos] = peak
                    if bpos == win - 1:  # re-sum once per window: no drift
                        total = 0.0
                        for q in range(win):
                            total += box_buf[g, q]
                        bsum = total
                    ramp = bsum / win
                    if ramp > d:
                        d = ramp
                gd = sgn * d
                # the ramp's running sum can drift by a rounding error: never past 0 dB
                # the wrong way (a downward processor must not boost by 1e-15 dB)
                gain_db[g, j] = max(gd, 0.0) if curve == 1 else min(gd, 0.0)
            smooth_state[g] = state
            hold_state[g] = hold
            dq_ptr[g, 0] = head
            dq_ptr[g, 1] = count
            box_sum[g] = bsum
            if record_gain:
                for j in range(m):
                    gain_out[g, start + j] = gain_db[g, j]
        # --- 4. linear gain G = 10^((g + makeup)/20); dry/wet factor 1 - mix (1 - G) ---
        # (exact for 0 dB: 2^0 = 1 and 1 - mix * 0 = 1, so the identities hold bit for bit)
        for g in range(n_gain):
            _fast_gain(gain_db[g], m, makeup_db, scale, scale_bits, frac, factor[g])
            if mix != 1.0:
                for j in range(m):
                    factor[g, j] = 1.0 - mix * (1.0 - factor[g, j])
        # --- 5. apply to the (delayed) audio ---
        for c in range(n_ch):
            gc = 0 if n_gain == 1 else c
            if look > 0:
                p = pos
                for j in range(m):
                    dry = float(delay_buf[c, p])
                    delay_buf[c, p] = x[c, start + j]
                    p += 1
                    if p == look:
                        p = 0
                    out[c, start + j] = dry * factor[gc, j]
            else:
                for j in range(m):
                    out[c, start + j] = x[c, start + j] * factor[gc, j]
        if look > 0:
            pos = (pos + m) % look
        index += m
    counters[0] = pos
    counters[1] = index


@kernel
def _fast_db(a, m, buf, buf_bits, mant, mant_bits, expo, out):
    """``out[j] = 20 log10(max(a[j], 1e-20))`` for j < m (error < 3e-8 dB).

    The exponent comes from the float's bits; ``log2`` of the mantissa ``u`` in
    [1, 2) is a degree-10 polynomial in ``t = 2u - 3`` (Chebyshev fit, max error
    3.5e-9). No division and no libm call, so the loops vectorise.
    """
    for j in range(m):
        v = a[j]
        buf[j] = v if v > 1e-20 else 1e-20
    for j in range(m):
        b = buf_bits[j]
        expo[j] = float((b >> 52) - 1023)
        mant_bits[j] = (b & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000
    for j in range(m):
        t = 2.0 * mant[j] - 3.0
        poly = -3.2235186289860687e-06
        poly = poly * t + 1.0439756475006882e-05
        poly = poly * t - 2.6599707691633075e-05
        poly = poly * t + 9.19427541294319e-05
        poly = poly * t - 0.000330282672464929
        poly = poly * t + 0.0011883744866841913
        poly = poly * t - 0.00445266179096443
        poly = poly * t + 0.017810885363070194
        poly = poly * t - 0.08014973264451125
        poly = poly * t + 0.48089835464006037
        poly = poly * t + 0.5849625008265468
        out[j] = 6.020599913279624 * (expo[j] + poly)  # 20 log10(2) * log2


@kernel
def _fast_gain(db, m, offset_db, scale, scale_bits, frac, out):
    """``out[j] ~= 10^((db[j] + offset_db)/20)`` for j < m, never above the exact value (rel. error < 2e-7).

    ``2^y`` with ``y = db / (20 log10 2)``: the integer part goes into the exponent
    bits, ``2^f`` (0 <= f < 1) is its Taylor series to degree 8 (all terms positive, so
    the truncation only ever errs low: a gain <= 0 dB never exceeds 1).
    """
    for j in range(m):
        y = (db[j] + offset_db) * 0.16609640474436813
        if y < -1000.0:
            y = -1000.0
        k = math.floor(y)
        frac[j] = y - k
        scale_bits[j] = (np.int64(k) + 1023) << 52
    for j in range(m):
        f = frac[j] * 0.6931471805599453  # f ln 2
        p = 1.0 + f * (1.0 + f * (1.0 / 2.0 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0 + f / 40320.0)))))))
        out[j] = scale[j] * p


@kernel
def _target(level_db, curve, threshold_db, ratio, knee_db, range_db, hysteresis_db, open_state, g):
    """Static gain with gate hysteresis: opens at T, closes below T - hysteresis."""
    t = threshold_db
    if curve == 2 and hysteresis_db > 0.0:
        if level_db >= threshold_db:
            open_state[g] = 1.0
        elif level_db < threshold_db - hysteresis_db:
            open_state[g] = 0.0
        if open_state[g] > 0.0:
            t = threshold_db - hysteresis_db
    return static_gain_db(level_db, curve, t, ratio, knee_db, range_db)


@kernel
def leveler_block(power, key_power, gain_out, window, target_lufs, offset_db, range_db, floor_lufs, coef, has_key, ring, key_ring, sums, state, counters):
    """Loudness rider: one gain per sample from a sliding K-weighted mean square.

    Arrays
    ------
    power : (n,) float64 K-weighted, channel-summed power of the audio.
    key_power : (n,) float64, same for the key (ignored unless ``has_key``).
    gain_out : (n,) float64, gain in dB for output sample i (the audio is delayed by
    half a window in the caller's delay line, which centres the window).

    State
    -----
    ring, key_ring : (window,) float64 power history; sums (4,) float64: running
    sums of audio and key power, and two spare slots; state (1,) float64 smoothed
    gain in dB; counters (1,) int64 samples processed.

    Notes
    -----
    Short-term loudness (BS.1770-4 eq. 2 over a ``window``-sample rectangular
    window, 3 s in EBU Tech 3341) of the samples up to and including ``i``. The wanted gain is ``target - L`` (or
    ``L_key + offset - L`` with a key), clamped to +/-``range_db``; below
    ``floor_lufs`` the audio is taken as a pause and the gain is held. The gain is
    smoothed by a one-pole filter in dB (``coef = exp(-1 / (tau fs))``).
    """
    n = power.shape[0]
    index = counters[0]
    g = state[0]
    for i in range(n):
        p = index % window
        sums[0] += power[i] - ring[p]
        ring[p] = power[i]
        if has_key:
            sums[1] += key_power[i] - key_ring[p]
            key_ring[p] = key_power[i]
        if p == window - 1:  # exact re-sum once per window: no drift
            total = 0.0
            ktotal = 0.0
            for j in range(window):
                total += ring[j]
                ktotal += key_ring[j]
            sums[0] = total
            sums[1] = ktotal
        energy = sums[0] / window
        lufs = -0.691 + 10.0 * math.log10(energy) if energy > 0.0 else SILENCE_DB
        if lufs >= floor_lufs:
            aim = target_lufs
            if has_key:
                kenergy = sums[1] / window
                if kenergy > 0.0:
                    aim = -0.691 + 10.0 * math.log10(kenergy) + offset_db
            want = aim - lufs
            if want > range_db:
                want = range_db
            elif want < -range_db:
                want = -range_db
            g = coef * g + (1.0 - coef) * want
        gain_out[i] = g
        index += 1
    state[0] = g
    counters[0] = index

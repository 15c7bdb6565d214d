"""Named tolerances for the loudness tests, each with its source.

Tolerances are in the units users care about (LU, dB). Tests import them from
here; no test writes a bare tolerance number inline.
"""

from __future__ import annotations

# --- EBU Tech 3341 v4 (loudness metering, "EBU Mode"), Table 1 -----------------------
#: Momentary, short-term and integrated loudness of the test signals: +/-0.1 LU.
EBU3341_LU = 0.1
#: True-peak cases 15-19 (and 20-23): the reading may be 0.2 dB above or 0.4 dB below.
EBU3341_TRUE_PEAK_ABOVE_DB = 0.2
EBU3341_TRUE_PEAK_BELOW_DB = 0.4

# --- EBU Tech 3342 v4 (loudness range), Table 1 ---------------------------------------
#: Loudness range of the test signals: +/-1 LU.
EBU3342_LRA_LU = 1.0

# --- ITU-R BS.1770-4 ------------------------------------------------------------------
#: K-filter coefficients at 48 kHz: BS.1770-4 Tables 1 and 2 print 14 decimals; the
#: printed values are themselves rounded, so agreement to 1e-8 is "to printed precision"
#: with room for the rounding of a re-derivation from the analog prototype.
BS1770_COEFF_ABS = 1e-8
#: K-filter magnitude response at other rates vs the 48 kHz table filter, in the band
#: where pure bilinear frequency warping contributes less than half of this (see
#: test_bs1770.py::test_k_weighting_response_matches_48k_table for the derivation).
K_RESPONSE_DB = 0.05
#: Closed-form loudness of a steady sine (filter start-up transient and the 997 Hz
#: sine not filling the 400 ms blocks with whole periods contribute < 0.002 LU).
CLOSED_FORM_LU = 0.01
#: 10*log10(1.41) channel weight / 10*log10(2) dual-mono checks, exact by definition
#: apart from rounding in the gating arithmetic.
CHANNEL_WEIGHT_LU = 0.01

# --- naive reference and other meters ------------------------------------------------
#: Meter vs tests/reference/naive_bs1770.py at 48 kHz (same filter, same block grid):
#: allows for histogram gating (0.1 LU bins at most give a few hundredths).
NAIVE_REFERENCE_LU = 0.05
#: LRA vs the naive reference (same windows): the percentile of a histogram with
#: 0.1 LU bins may sit anywhere in a bin.
NAIVE_REFERENCE_LRA_LU = 0.1
#: pyloudnorm (integrated loudness): brief's requirement.
PYLOUDNORM_LU = 0.05
#: pyebur128 / libebur128: integrated 0.05 LU, LRA 0.1 LU, true peak 0.2 dB (brief).
PYEBUR128_LU = 0.05
PYEBUR128_LRA_LU = 0.1
PYEBUR128_TRUE_PEAK_DB = 0.2
#: ffmpeg ebur128 filter: it prints one decimal, so 0.1 LU / 0.3 dB (brief).
FFMPEG_LU = 0.1
FFMPEG_TRUE_PEAK_DB = 0.3

# --- properties ---------------------------------------------------------------------
#: Gain x dB moves every loudness figure by exactly x (BS.1770 is linear in energy);
#: what is left is float rounding and, with histogram gating, bin effects.
GAIN_SHIFT_LU = 0.01
#: 10*log10(2) for a mono signal duplicated to two channels.
DUAL_MONO_LU = 0.01
#: A 997 Hz sine's true peak is its amplitude (it is far below Nyquist, where any
#: >= 4x interpolator is accurate).
SINE_TRUE_PEAK_DB = 0.05
#: Closed-form LRA of a linear-in-dB level ramp (tests/conformance/test_ebu3342.py):
#: the ramp is sampled every 0.1 s, so the percentiles are exact up to one grid step
#: of the ramp (0.02-0.07 dB) plus a 0.1 LU histogram bin.
LRA_CLOSED_FORM_LU = 0.15

# --- audibility of stems (mezzo.meters.audibility) -------------------------------------
#: Threshold in quiet of pure tones vs ISO 226:2003 Table 1 (T_f, = ISO 389-7 free field,
#: binaural): ANSI S3.4-2007, whose ear model mezzo follows, is fitted to these within about
#: 2 dB; the 0.5 Cam grid and 85 ms frames of mezzo's front end add up to 2 dB more.
THRESHOLD_IN_QUIET_DB = 4.0
#: Masked threshold of a tone centred in a critical-band noise vs the masking index of
#: Zwicker (DIN 45681:2005 eq. C.10, a_v = -2 - lg(1 + (f/502 Hz)^2.5) dB): individual
#: data scatter by 2-3 dB around it (Zwicker & Fastl, Psychoacoustics, 3rd ed., sec. 4.1).
MASKING_INDEX_DB = 3.0
#: Slopes of the masking pattern of a 1 kHz critical-band noise vs the spreading function of
#: Terhardt (1979) used by ITU-R BS.1387-1 (PEAQ): upper slope 24 + 230 Hz/f - 0.2 L dB/Bark,
#: lower slope 27 dB/Bark. mezzo's roex filters are a different fit to the same data.
UPPER_SLOPE_DB_PER_BARK = 2.5
LOWER_SLOPE_DB_PER_BARK = 7.0
#: 1 sone is a 1 kHz tone at 40 dB SPL heard by both ears (ANSI S3.4-2007 sec. 3.1); the
#: 0.5 Cam sum of mezzo's bands reads a few per cent high.
SONE_DEFINITION_REL = 0.08
#: Edges of a buried interval vs the edges of the stretch built to be buried: the 0.1 s grid,
#: the 85 ms analysis frames reaching into neighbouring cells and the 0.2 s level ramps of
#: the test signals.
BURIED_EDGE_S = 0.4

# --- the studio (issue 17) ------------------------------------------------------------
#: A master made through the studio, measured by pyloudnorm and libebur128: within 0.1 LU
#: of its target (the issue's figure, and mezzo.mastering's promise).
STUDIO_MASTER_LU = 0.1
#: Markings written through the studio: a marking of ``g`` dB moves the integrated
#: loudness by ``g`` LU (gain is linear in energy); what is left is the 5 ms ramp at the
#: start and float rounding, measured by pyloudnorm.
STUDIO_MARKS_LU = 0.05

# --- true-peak reference (tests/reference/true_peak.py; issue 13) -------------------------
#: The reference reads closed forms (sines 0.1-0.47 fs at any phase, the sign(sinc)
#: construction's analytic peak) within this, dB (issue 13's requirement for it).
REFERENCE_CLOSED_FORM_DB = 0.005
#: The limiter's promise: output true peak by the reference at most the ceiling plus this, dB.
LIMITER_REFERENCE_DB = 0.1
#: mezzo's meter against the reference (same kernel): its 16x grid reads a peak between
#: two grid points at most 1 - cos(pi / 32) low (0.042 dB, content at Nyquist); its
#: float32 sums and short stage-2 filter are within 1e-4 of the kernel (0.001 dB).
METER_REFERENCE_BELOW_DB = 0.045
METER_REFERENCE_ABOVE_DB = 0.005
#: The true peak of a whole signal in numpy (float64, FFT) against the streaming kernel (the
#: same definition, float32 sums): float rounding only, dB (issue 18's requirement).
TRUE_PEAK_WHOLE_DB = 1e-4
#: The Annex 2 example filter over-reads low frequencies by up to 0.014 dB (its phase
#: gains exceed 1): mezzo may read that much below it.
ANNEX2_LOW_FREQUENCY_OVER_DB = 0.02

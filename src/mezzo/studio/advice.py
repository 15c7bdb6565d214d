"""Plain words from measurements: advice on a track, and what mastering did.

Everything here reads the JSON the studio already has — the analysis (what
``mezzo analyze --json`` prints), the page's timeline and a master report
(:meth:`mezzo.mastering.master.MasterReport.to_dict`) — and says what the numbers
mean for a producer. Each sentence carries the figures it rests on, so it can be
checked against the charts.

Thresholds used in the words (not measurements, only where the words change):

- a drop "lands" when the first seconds after it are at least :data:`DROP_CONTRAST_LU`
  louder (short-term loudness, energy mean) than the build-up before it;
- a loudness range under :data:`NARROW_LRA_LU` is called very even, over
  :data:`WIDE_LRA_LU` wide (EBU Tech 3342 gives no norm for music; these bracket
  what is usual for club and pop masters);
- a median PSR under :data:`DENSE_PSR_DB` means peaks stand little above the
  short-term loudness (dense, squashed transients).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["master_words", "track_advice"]

DROP_CONTRAST_LU = 2.0
NARROW_LRA_LU = 4.0
WIDE_LRA_LU = 15.0
DENSE_PSR_DB = 8.0
#: Seconds after a drop (and before it, when there is no build-up) compared with the build-up.
DROP_WINDOW_S = 8.0
_MINUS = "\u2212"


def _n(value: float, digits: int = 1, *, sign: bool = False) -> str:
    """A number with a typographic minus (and ``+`` with ``sign``); no "-0.0"."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":
        text = text.lstrip("+-")
    return text.replace("-", _MINUS)


def _clock(seconds: float) -> str:
    """``m:ss``, rounded to the nearest second."""
    minutes, secs = divmod(round(max(0.0, float(seconds))), 60)
    return f"{minutes}:{secs:02d}"


def _energy_mean(times: Sequence[float], lufs: Sequence[float | None], start_s: float, end_s: float) -> float | None:
    """Energy mean of the loudness values with ``start_s <= t < end_s`` (LUFS), None if none."""
    values = [v for t, v in zip(times, lufs, strict=False) if v is not None and start_s <= t < end_s]
    if not values:
        return None
    return 10.0 * math.log10(sum(10.0 ** (v / 10.0) for v in values) / len(values))


def _item(kind: str, level: str, text: str, start_s: float | None = None, end_s: float | None = None) -> dict[str, Any]:
    return {"kind": kind, "level": level, "text": text, "start_s": start_s, "end_s": end_s}


def _platform(analysis: dict[str, Any], preset: Any) -> list[dict[str, Any]]:
    integrated = analysis.get("integrated_lufs")
    peak = analysis.get("true_peak_dbtp")
    if integrated is None:
        return [_item("platform", "info", "The track is silent: there is no loudness to measure.")]
    name = preset.label
    diff = integrated - preset.target_lufs
    out = []
    if abs(diff) < 0.5:
        out.append(_item("platform", "good", f"{name} will play it as it is: it measures {_n(integrated)} LUFS, "
                                             f"on {name}'s {_n(preset.target_lufs, 0)} LUFS target."))
    elif diff > 0:
        out.append(_item("platform", "warn",
                         f"{name} will turn this track down by {_n(diff)} dB: it measures {_n(integrated)} LUFS and "
                         f"{name} plays everything at {_n(preset.target_lufs, 0)} LUFS. The loudness bought with "
                         "limiting is lost there; a master at the target keeps its peaks."))
    else:
        rise_peak = None if peak is None else peak - diff
        text = (f"On {name} it will play {_n(-diff)} dB quieter than other tracks: it measures {_n(integrated)} LUFS "
                f"against {_n(preset.target_lufs, 0)} LUFS.")
        if rise_peak is not None and rise_peak > preset.ceiling_dbtp:
            text += (f" Raising it that much would put its true peak at {_n(rise_peak, sign=True)} dBTP, "
                     f"{_n(rise_peak - preset.ceiling_dbtp)} dB over the {_n(preset.ceiling_dbtp, 0)} dBTP ceiling: "
                     "mastering takes that off the loudest peaks with the true-peak limiter.")
        else:
            text += " Mastering can raise it with gain alone: the peaks have room."
        out.append(_item("platform", "warn", text))
    if peak is not None and peak > preset.ceiling_dbtp:
        out.append(_item("peaks", "warn",
                         f"Its true peak, {_n(peak, 2, sign=True)} dBTP, is above {name}'s {_n(preset.ceiling_dbtp, 0)} "
                         "dBTP ceiling: the encoded stream can clip. Mastering keeps it under."))
    return out


def _flat(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for flat in analysis.get("flat_sections") or []:
        start, end = flat["start_s"], flat["end_s"]
        out.append(_item(
            "flat", "warn",
            f"From {_clock(start)} to {_clock(end)} the loudness hardly moves (within {_n(flat['spread_lu'])} LU for "
            f"{end - start:.0f} s): listeners may drift. Add contrast there — a break, a build-up, or markings such as "
            f"\"{start:.0f}:mf {(start + end) / 2:.0f}:< {end:.0f}:f\".",
            start, end,
        ))
    variation = analysis.get("variation") or {}
    share = variation.get("flat_fraction")
    if share is not None and share >= 0.5:
        out.append(_item("flat", "warn", f"{share * 100:.0f} % of the track is flat: its dynamics barely change."))
    return out


def _drops(analysis: dict[str, Any], timeline: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not timeline:
        return []
    times = timeline["short_term"]["times_s"]
    lufs = timeline["short_term"]["lufs"]
    out = []
    buildups = analysis.get("buildups") or []
    for drop in analysis.get("drops") or []:
        at = drop["time_s"]
        before = [b for b in buildups if abs(b["end_s"] - at) < 1.0]
        if before:
            start, end, what = before[0]["start_s"], before[0]["end_s"], "the build-up before it"
        else:
            start, end, what = max(0.0, at - DROP_WINDOW_S), at, f"the {DROP_WINDOW_S:.0f} s before it"
        # Short-term loudness at t covers the 3 s up to t: start the drop window 3 s late.
        after = _energy_mean(times, lufs, at + 3.0, at + 3.0 + DROP_WINDOW_S)
        lead = _energy_mean(times, lufs, start + 3.0, end)
        if after is None or lead is None:
            continue
        contrast = after - lead
        text = (f"The drop at {_clock(at)} is {_n(contrast)} LU {'louder' if contrast >= 0 else 'quieter'} than {what} "
                f"({_n(lead)} LUFS, then {_n(after)} LUFS short-term).")
        if contrast < DROP_CONTRAST_LU:
            text += (" That is little contrast for a drop: pull the build-up back (markings such as "
                     f"\"{start:.0f}:mp {end:.0f}:f\") or leave the drop more room.")
            level = "warn"
        else:
            level = "good"
        out.append(_item("drop", level, text, start, at))
    return out


def _range(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    lra = analysis.get("loudness_range_lu")
    if lra is not None:
        if lra < NARROW_LRA_LU:
            out.append(_item("range", "info", f"Loudness range {_n(lra)} LU: very even loudness from start to end. "
                                               "If it tires the ear, ease the compression or write some dynamics back."))
        elif lra > WIDE_LRA_LU:
            out.append(_item("range", "info", f"Loudness range {_n(lra)} LU: wide. Quiet parts may get lost when "
                                               "played in a car or on a phone; the leveler or a gentle compressor narrows it."))
        else:
            out.append(_item("range", "good", f"Loudness range {_n(lra)} LU: the track breathes without getting lost."))
    psr = analysis.get("psr_median_db")
    if psr is not None and psr < DENSE_PSR_DB:
        out.append(_item("peaks", "info", f"Peaks stand only {_n(psr)} dB above the short-term loudness (median PSR): "
                                           "transients are squashed; the drums may lack punch."))
    return out


def track_advice(analysis: dict[str, Any], timeline: dict[str, Any] | None, preset: Any) -> list[dict[str, Any]]:
    """Advice on a track in plain words.

    Parameters
    ----------
    analysis : dict
        What ``mezzo analyze --json`` prints for the track.
    timeline : dict or None
        The studio's timeline (short-term loudness series), for the drop contrast.
    preset : Preset
        The platform (:data:`mezzo.mastering.presets.PRESETS`) to judge loudness against.

    Returns
    -------
    list of dict
        ``{"kind", "level" ("good", "info", "warn"), "text", "start_s", "end_s"}``:
        platform, peaks, flat sections, drops against their build-ups, loudness range.
    """
    return [*_platform(analysis, preset), *_drops(analysis, timeline), *_flat(analysis), *_range(analysis)]


def master_words(report: dict[str, Any]) -> list[str]:
    """What mastering did, in plain words, from a master report's dict.

    Gain, limiting, the loudness range kept or not, where it landed, and what each
    platform will do with the result (:func:`mezzo.report.platform_verdicts`).
    """
    from mezzo.report import platform_verdicts

    before, after = report["before"], report["after"]
    words = []
    gain = report["gain_db"]
    if report["mode"] == "silence":
        return ["The input is silent: it was copied without gain."]
    verb = "Raised" if gain >= 0 else "Turned down"
    words.append(f"{verb} by {_n(abs(gain))} dB, from {_n(before['integrated_lufs'])} to "
                 f"{_n(after['integrated_lufs'])} LUFS (target {_n(report['target_lufs'])} LUFS).")
    if report["mode"] == "limit" and report["max_gain_reduction_db"] > 0:
        words.append(f"The true-peak limiter took off up to {_n(report['max_gain_reduction_db'])} dB on the loudest "
                     f"peaks ({report['gain_reduced_time_s']:.1f} s of the track touched by more than 0.1 dB), keeping the "
                     f"true peak at {_n(after['true_peak_dbtp'], 2, sign=True)} dBTP, under the "
                     f"{_n(report['ceiling_dbtp'], 1)} dBTP ceiling.")
    elif report["mode"] == "lowered":
        words.append("Limiting was off, so the gain was lowered to keep the peaks under the ceiling.")
    else:
        words.append(f"No limiting needed: gain alone, the true peak is {_n(after['true_peak_dbtp'], 2, sign=True)} dBTP, "
                     f"under the {_n(report['ceiling_dbtp'], 1)} dBTP ceiling.")
    lra_b, lra_a = before.get("loudness_range_lu"), after.get("loudness_range_lu")
    if lra_b is not None and lra_a is not None:
        if abs(lra_a - lra_b) < 0.5:
            words.append(f"Loudness range kept: {_n(lra_b)} LU before, {_n(lra_a)} LU after.")
        else:
            words.append(f"Loudness range {'narrowed' if lra_a < lra_b else 'widened'} from {_n(lra_b)} to "
                         f"{_n(lra_a)} LU.")
    plays, down, up, peaks = [], [], [], []
    for v in platform_verdicts(after["integrated_lufs"], after["true_peak_dbtp"]):
        if v.difference_lu is None:
            continue
        over = v.peak_excess_db is not None and v.peak_excess_db > 0
        if over:
            peaks.append(f"{v.label} ({_n(v.ceiling_dbtp, 0)} dBTP)")
        if abs(v.difference_lu) < 0.5:
            if not over:
                plays.append(v.label)
        elif v.difference_lu > 0:
            down.append(f"{v.label} turns it down {_n(v.difference_lu)} dB")
        else:
            up.append(f"{v.label} plays it {_n(-v.difference_lu)} dB under its target")
    if plays:
        words.append(f"Plays as it is on {', '.join(plays)}.")
    if down:
        words.append("; ".join(down) + ".")
    if up:
        words.append("; ".join(up) + ".")
    if peaks:
        words.append(f"Its true peak is over the ceiling of {', '.join(peaks)}: master with that platform's preset "
                     "for it.")
    words.extend(report.get("warnings") or [])
    return words

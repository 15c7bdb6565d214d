"""The level of the notes as played: one value per note onset, from the spectral frames.

A crescendo is the notes getting louder, not the envelope swelling within a note: so the
dynamics map reads hairpins from the level at each onset, not from the raw loudness curve
(where note decays, vibrato and the gaps between notes would look like dynamics).

- **Onsets**: peaks of the spectral flux (:meth:`FrameFeatures.onset_strength`) that are the
  largest within +-50 ms and exceed the flux's 0.5 s moving average by half its standard
  deviation (an adaptive threshold, as in Bello et al. 2005).
  A note raises the level: peaks whose attack is less than 1.5 dB above the lowest level of
  the 50 ms before are left out (a wobble within a sounding note).
- **Level**: the largest full-band level (bands above 60 Hz) in the 150 ms after the onset:
  the attack of the note with what sounds with it. Onsets more than 40 dB below the piece's
  loud level (95th percentile) are left out.
- **Held sounds**: where no onset comes for more than 0.5 s, the level of what is held is
  played too (a swell on a held chord is a hairpin): it is sampled every 0.25 s, up to 0.1 s
  before the next onset, and marked ``is_onset=False`` (a reader can tell a decaying note,
  which falls fast with no new onset, from a diminuendo).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from mezzo.meters.features import FrameFeatures

__all__ = ["NoteLevels", "note_levels", "onset_frames"]

#: Window after an onset in which the note's level is read, s.
ATTACK_S = 0.15
#: Spacing of the level samples of held sound, s.
HELD_HOP_S = 0.25
#: Smallest rise of the level at an onset, dB.
MIN_RISE_DB = 1.5


@dataclass(frozen=True, slots=True)
class NoteLevels:
    """Times (s) and level of the notes there (dB re full scale); ``is_onset`` False for held sound."""

    times_s: np.ndarray
    level_db: np.ndarray
    is_onset: np.ndarray


def onset_frames(features: FrameFeatures) -> np.ndarray:
    """Frame indices of note onsets (see the module notes)."""
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    if features.band_db.shape[0] < 3:
        return np.zeros(0, dtype=np.int64)
    flux = features.onset_strength()
    fps = features.frame_rate_hz
    threshold = uniform_filter1d(flux, size=max(1, round(0.5 * fps)), mode="nearest") + 0.5 * float(np.std(flux)) + 1e-6
    local_max = maximum_filter1d(flux, size=2 * round(0.05 * fps) + 1, mode="nearest")
    return np.flatnonzero((flux >= local_max) & (flux > threshold))


def note_levels(features: FrameFeatures) -> NoteLevels:
    """The level of the notes at their onsets (see the module notes)."""
    from scipy.ndimage import maximum_filter1d

    frames = onset_frames(features)
    level = features.level_db(60.0)
    if level.size == 0:
        return NoteLevels(np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool))
    fps = features.frame_rate_hz
    width = max(1, round(ATTACK_S * fps))
    # ahead[i] = max(level[i : i + width])
    ahead = maximum_filter1d(level, size=width, origin=-(width // 2), mode="nearest")
    loud = float(np.percentile(level, 95))
    # a note raises the level: a flux peak whose attack is not at least MIN_RISE_DB above the
    # level just before it (the lowest of the 50 ms before) is a wobble within a sounding note
    back = max(1, round(0.05 * fps))
    before = np.array([float(level[max(0, f - back) : f].min()) if f > 0 else -np.inf for f in frames.tolist()])
    frames = frames[ahead[frames] - before >= MIN_RISE_DB] if frames.size else frames
    # held sound between onsets more than 0.5 s apart (and before the first, after the last)
    bounds = np.concatenate([[-round(0.25 * fps)], frames, [level.size + round(0.1 * fps)]])
    step = max(1, round(HELD_HOP_S * fps))
    held = [np.arange(a + step, b - round(0.1 * fps), step) for a, b in itertools.pairwise(bounds)
            if b - a > round(0.5 * fps)]
    held_frames = np.concatenate(held).astype(np.int64) if held else np.zeros(0, dtype=np.int64)
    held_frames = held_frames[(held_frames >= 0) & (held_frames < level.size)]
    all_frames = np.concatenate([frames, held_frames])
    is_onset = np.concatenate([np.ones(frames.size, dtype=bool), np.zeros(held_frames.size, dtype=bool)])
    order = np.argsort(all_frames, kind="stable")
    all_frames, is_onset = all_frames[order], is_onset[order]
    values = ahead[all_frames]
    keep = values > loud - 40.0
    return NoteLevels(features.times_s[all_frames[keep]], values[keep], is_onset[keep])

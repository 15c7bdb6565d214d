"""Channel layouts and their BS.1770-4 channel weights (G_i).

BS.1770-4 Table 3: weight 1.0 for left, right and centre, 1.41 (+1.5 dB) for
the surround channels, and the LFE channel is not measured (weight 0).
"""

from __future__ import annotations

from mezzo._validate import check_choice
from mezzo.errors import ParameterError

CHANNEL_WEIGHTS = {"L": 1.0, "R": 1.0, "C": 1.0, "LFE": 0.0, "Ls": 1.41, "Rs": 1.41}

PRESETS = {
    "mono": ("C",),
    "stereo": ("L", "R"),
    "5.0": ("L", "R", "C", "Ls", "Rs"),
    "5.1": ("L", "R", "C", "LFE", "Ls", "Rs"),
}

DEFAULT_BY_CHANNELS = {1: "mono", 2: "stereo", 5: "5.0", 6: "5.1"}


def channel_weights(channels: int, layout: str | None = None) -> tuple[float, ...]:
    """Return the BS.1770-4 weight of each channel.

    Parameters
    ----------
    channels : int
        Number of channels in the audio.
    layout : str, optional
        ``None`` picks by channel count (1 mono, 2 stereo, 5 = L R C Ls Rs,
        6 = L R C LFE Ls Rs, any other count: every channel weight 1.0).
        A preset: ``"mono"``, ``"dual-mono"`` (a mono file heard on two
        loudspeakers: weight 2, i.e. +3.01 LU), ``"stereo"``, ``"5.0"``,
        ``"5.1"``; or comma-separated labels from L, R, C, LFE, Ls, Rs in
        channel order, e.g. ``"L,R,C,LFE,Ls,Rs"``.
    """
    if layout is None:
        preset = DEFAULT_BY_CHANNELS.get(channels)
        if preset is None:
            return (1.0,) * channels
        return channel_weights(channels, preset)
    if layout == "dual-mono":
        if channels != 1:
            raise ParameterError(
                f"layout='dual-mono' needs 1 channel, the audio has {channels}: use it for mono files only"
            )
        return (2.0,)
    if "," in layout or layout in CHANNEL_WEIGHTS:
        labels = tuple(label.strip() for label in layout.split(","))
        for label in labels:
            check_choice("layout channel", label, tuple(CHANNEL_WEIGHTS))
    else:
        check_choice("layout", layout, (*PRESETS, "dual-mono"))
        labels = PRESETS[layout]
    if len(labels) != channels:
        raise ParameterError(
            f"layout={layout!r} names {len(labels)} channel(s) but the audio has {channels}: "
            "give one label per channel"
        )
    return tuple(CHANNEL_WEIGHTS[label] for label in labels)

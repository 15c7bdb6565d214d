"""Platform loudness presets for :func:`mezzo.mastering.master.master` (sources in ``docs/platforms.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mezzo._validate import check_choice
from mezzo.results import to_dict

__all__ = ["PRESETS", "Preset", "get_preset"]


@dataclass(frozen=True, slots=True)
class Preset:
    """A delivery target: integrated loudness and true-peak ceiling.

    Attributes
    ----------
    name : str
        Preset name as used by ``--preset``.
    label : str
        Platform or standard, in words.
    target_lufs : float, LUFS
        Integrated loudness target (BS.1770-4).
    ceiling_dbtp : float, dBTP
        Highest allowed true peak.
    source : str
        Where the figures come from (see ``docs/platforms.md``).
    """

    name: str
    label: str
    target_lufs: float
    ceiling_dbtp: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("spotify", "Spotify", -14.0, -1.0, "Spotify for Artists: Loudness normalization"),
        Preset("apple", "Apple Music", -16.0, -1.0, "Apple Digital Masters / Sound Check (-16 LUFS)"),
        Preset("youtube", "YouTube", -14.0, -1.0, "YouTube playback normalisation (about -14 LUFS)"),
        Preset("tidal", "Tidal", -14.0, -1.0, "Tidal: loudness normalization (-14 LUFS)"),
        Preset("amazon", "Amazon Music", -14.0, -2.0, "Amazon Music for Artists: -14 LUFS, -2 dBTP"),
        Preset("deezer", "Deezer", -15.0, -1.0, "Deezer: -15 LUFS normalisation"),
        Preset("ebu", "EBU R 128 (broadcast)", -23.0, -1.0, "EBU R 128 (2020), EBU Tech 3343"),
        Preset("atsc", "ATSC A/85 (US broadcast)", -24.0, -2.0, "ATSC A/85:2013 (-24 LKFS, -2 dBTP)"),
        Preset("podcast", "Podcasts / spoken word", -16.0, -1.0, "Apple Podcasts, AES TD1004 (-16 LUFS)"),
    )
}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name`` or raise :class:`~mezzo.errors.ParameterError`."""
    return PRESETS[check_choice("preset", name, tuple(PRESETS))]

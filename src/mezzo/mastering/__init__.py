"""Building blocks of :mod:`mezzo.master`: presets, TPDF dither, album loudness, the render loop, output files."""

from __future__ import annotations

from mezzo.mastering.album import AlbumLoudness, album_loudness
from mezzo.mastering.presets import PRESETS, Preset, get_preset

__all__ = ["PRESETS", "AlbumLoudness", "Preset", "album_loudness", "get_preset"]

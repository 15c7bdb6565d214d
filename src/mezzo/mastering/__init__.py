"""Mastering: :func:`mezzo.master` and :func:`mezzo.normalize` (module :mod:`mezzo.mastering.master`) and their parts."""

from __future__ import annotations

from mezzo.mastering.album import AlbumLoudness, album_loudness
from mezzo.mastering.presets import PRESETS, Preset, get_preset
from mezzo.mastering.targets import Targets

__all__ = ["PRESETS", "AlbumLoudness", "Preset", "Targets", "album_loudness", "get_preset"]

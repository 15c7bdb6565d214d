"""Dynamics of MIDI notes (mido): markings to velocities or controller ramps,
a velocity compressor/expander, humanising, and reading a file's dynamics.

Track numbers count from 1, as ``mezzo midi analyze`` lists them.

Examples
--------
>>> import mido
>>> from mezzo import midi
>>> song = mido.MidiFile(type=1)
>>> track = mido.MidiTrack()
>>> for k in range(8):
...     track += [mido.Message("note_on", note=60, velocity=100, time=0 if k == 0 else 240),
...               mido.Message("note_off", note=60, velocity=0, time=240)]
>>> song.tracks.append(track)
>>> shaped = midi.apply_marks(song, "0:p< 3.5:ff")
>>> [m.velocity for m in shaped.tracks[0] if m.type == "note_on"]
[49, 58, 67, 76, 85, 94, 103, 112]
"""

from __future__ import annotations

from mezzo.midi.analysis import FlatSection, MarkingSpan, MidiDynamics, TrackDynamics, analyze_midi
from mezzo.midi.humanize import humanize
from mezzo.midi.midifile import MidiFileError, read_midi, tempo_map, write_midi
from mezzo.midi.velocity import apply_marks, compress_velocities, expand_velocities, velocity_curve

__all__ = [
    "FlatSection",
    "MarkingSpan",
    "MidiDynamics",
    "MidiFileError",
    "TrackDynamics",
    "analyze_midi",
    "apply_marks",
    "compress_velocities",
    "expand_velocities",
    "humanize",
    "read_midi",
    "tempo_map",
    "velocity_curve",
    "write_midi",
]

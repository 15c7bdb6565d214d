"""Audio files: reading, block iteration and atomic writing (whole or streamed).

Every output file of mezzo, audio or not, is written through
:mod:`mezzo.io.atomic` (temporary file, fsync, checked rename).

Reading and writing go through python-soundfile (libsndfile); formats it
cannot read (M4A/AAC, WMA...) are decoded by ``ffmpeg`` when it is installed.
Audio comes back channels-first, shape ``(channels, samples)``, as floats.
Long files are read with :func:`blocks` and written with :func:`open_writer`,
in memory bounded by one block.

>>> import mezzo.io
>>> sorted(mezzo.io.__all__)  # doctest: +NORMALIZE_WHITESPACE
['AudioInfo', 'AudioWriter', 'BlockReader', 'blocks', 'check_output', 'info',
 'open_writer', 'output_format', 'read', 'write']
"""

from __future__ import annotations

from mezzo.io.blocks import BlockReader, blocks
from mezzo.io.common import AudioInfo
from mezzo.io.formats import output_format
from mezzo.io.read import info, read
from mezzo.io.stream import AudioWriter, check_output, open_writer
from mezzo.io.write import write

__all__ = [
    "AudioInfo",
    "AudioWriter",
    "BlockReader",
    "blocks",
    "check_output",
    "info",
    "open_writer",
    "output_format",
    "read",
    "write",
]

"""Audio files: reading, block iteration and atomic writing.

Reading and writing go through python-soundfile (libsndfile); formats it
cannot read (M4A/AAC, WMA...) are decoded by ``ffmpeg`` when it is installed.
Audio comes back channels-first, shape ``(channels, samples)``, as floats.

>>> import mezzo.io
>>> sorted(mezzo.io.__all__)
['AudioInfo', 'BlockReader', 'blocks', 'info', 'read', 'write']
"""

from __future__ import annotations

from mezzo.io.blocks import BlockReader, blocks
from mezzo.io.read import AudioInfo, info, read
from mezzo.io.write import write

__all__ = ["AudioInfo", "BlockReader", "blocks", "info", "read", "write"]

"""Exceptions and warnings raised by mezzo.

Every exception subclasses both :class:`MezzoError` and the fitting builtin, so
``except ValueError`` or ``except OSError`` keeps working (the pattern of
python-soundfile's ``SoundFileRuntimeError``).
"""

from __future__ import annotations


class MezzoError(Exception):
    """Base class of every error mezzo raises on purpose."""


class ParameterError(MezzoError, ValueError):
    """A parameter is out of range or of the wrong kind."""


class AudioInputError(MezzoError, ValueError):
    """Audio data is unusable: NaN/Inf samples, wrong shape or dtype, empty."""


class AudioFileError(MezzoError, OSError):
    """A file is missing, unreadable, truncated, unsupported or cannot be written."""


class MezzoWarning(UserWarning):
    """Base class of mezzo's warnings."""


class MissingExtraError(MezzoError, ImportError):
    """A feature needs an optional part of mezzo that is not installed (``pip install 'mezzo[extra]'``)."""

"""What mastering aims at: :class:`Targets` (loudness target and true-peak ceiling), checked once.

:meth:`Targets.resolve` turns a preset name and/or explicit values (the
``--preset``/``--target-lufs``/``--ceiling-dbtp`` flags, a batch job's options, a
studio request) into one validated value; :func:`mezzo.master`,
:func:`mezzo.normalize`, their file forms, ``mezzo batch master|normalize`` and the
studio all take their figures from it, so the ranges are checked in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mezzo._validate import check_range
from mezzo.errors import ParameterError
from mezzo.results import to_dict

__all__ = ["DEFAULT_CEILING_DBTP", "DEFAULT_TARGET_LUFS", "MAX_CEILING_DBTP", "MIN_CEILING_DBTP",
           "MIN_TARGET_LUFS", "Targets"]

#: Lowest accepted loudness target, LUFS (the highest is the ceiling).
MIN_TARGET_LUFS = -70.0
#: Accepted true-peak ceilings, dBTP.
MIN_CEILING_DBTP = -60.0
MAX_CEILING_DBTP = 0.0
#: Target and ceiling when neither a preset nor a value gives them (Spotify's figures).
DEFAULT_TARGET_LUFS = -14.0
DEFAULT_CEILING_DBTP = -1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Targets:
    """A loudness target and a true-peak ceiling, validated when made.

    Attributes
    ----------
    target_lufs : float, -70 to ``ceiling_dbtp``
        Integrated loudness target, LUFS (BS.1770-4).
    ceiling_dbtp : float, -60 to 0
        Highest true peak of the output, dBTP.
    preset : str or None
        The preset the figures came from (values given explicitly override its
        figures; the name is kept for reports); ``None`` without preset.

    Raises
    ------
    ParameterError
        A figure out of range or not a number, or the target above the ceiling.

    Examples
    --------
    >>> Targets(target_lufs=-16, ceiling_dbtp=-1.5)
    Targets(target_lufs=-16.0, ceiling_dbtp=-1.5, preset=None)
    >>> Targets.resolve(preset="apple", ceiling_dbtp=-2.0)
    Targets(target_lufs=-16.0, ceiling_dbtp=-2.0, preset='apple')
    >>> Targets.resolve()  # neither preset nor figures: the default preset
    Targets(target_lufs=-14.0, ceiling_dbtp=-1.0, preset='spotify')
    """

    target_lufs: float
    ceiling_dbtp: float
    preset: str | None = None

    def __post_init__(self) -> None:
        ceiling = check_range("ceiling_dbtp", self.ceiling_dbtp, MIN_CEILING_DBTP, MAX_CEILING_DBTP, "dBTP")
        target = check_range("target_lufs", self.target_lufs, MIN_TARGET_LUFS, MAX_CEILING_DBTP, "LUFS")
        if target > ceiling:
            raise ParameterError(
                f"target_lufs={self.target_lufs!r} is above ceiling_dbtp={self.ceiling_dbtp!r}: a programme's "
                "loudness is always below its true peak; lower the target or raise the ceiling"
            )
        object.__setattr__(self, "target_lufs", target)
        object.__setattr__(self, "ceiling_dbtp", ceiling)

    @classmethod
    def resolve(
        cls,
        preset: str | None = None,
        target_lufs: float | None = None,
        ceiling_dbtp: float | None = None,
        *,
        default_preset: str | None = "spotify",
    ) -> Targets:
        """The targets of a preset, with ``target_lufs``/``ceiling_dbtp`` overriding its figures.

        Without preset and figures, ``default_preset`` (``None``: -14 LUFS, -1 dBTP); a
        figure given without preset takes the other one from those defaults.

        Raises
        ------
        ParameterError
            Unknown preset, or figures :class:`Targets` refuses.
        """
        from mezzo.mastering.presets import get_preset

        if preset is None and target_lufs is None and ceiling_dbtp is None:
            preset = default_preset
        base = get_preset(preset) if preset is not None else None
        return cls(
            target_lufs=target_lufs if target_lufs is not None else (base.target_lufs if base else DEFAULT_TARGET_LUFS),
            ceiling_dbtp=(
                ceiling_dbtp if ceiling_dbtp is not None else (base.ceiling_dbtp if base else DEFAULT_CEILING_DBTP)
            ),
            preset=base.name if base else None,
        )

    @property
    def from_preset(self) -> bool:
        """Whether the figures are exactly the preset's (no value overrode them)."""
        if self.preset is None:
            return False
        from mezzo.mastering.presets import get_preset

        base = get_preset(self.preset)
        return (base.target_lufs, base.ceiling_dbtp) == (self.target_lufs, self.ceiling_dbtp)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return to_dict(self)

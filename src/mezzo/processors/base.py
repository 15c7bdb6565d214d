"""The Processor contract shared by every mezzo processor.

The contract every processor follows (the tests in ``tests/processors`` hold each one to it):

- ``Processor(**params)``: keyword-only parameters with units in their names,
  validated on construction and on attribute set (:class:`ParameterError`).
- ``prepare(sample_rate, channels, max_block=None)`` fixes rate and channel count
  and resets the state.
- ``process(block, key=None, return_gain=False)`` streams ``(channels, n)`` blocks
  (any ``n >= 0``; 1-D blocks are mono and come back 1-D).
- ``latency_samples`` is the delay of the output (lookahead); ``flush()`` returns
  the last ``latency_samples`` samples still held inside.
- ``reset()`` returns to the state after ``prepare``; parameters are kept.
- ``__call__(audio, sample_rate, *, key=None, return_gain=False)``: whole-signal
  use (reset, prepare, process, flush, trim the latency): output aligned with the
  input, same shape and dtype. With ``return_gain=True`` it returns
  ``(audio, gain_db)``, the gain trace in dB shaped ``(channels, samples)`` and
  aligned with the output (negative = reduction; without makeup and mix); the same
  array is left in ``.gain_db`` (``None`` after a call without ``return_gain``,
  except for the leveler, which always records its gain curve).

Block-size invariance holds by design: all state lives in arrays handed to the
numba kernels, and the whole-signal call is the streaming call on one block plus
a flush. One instance per thread (instances hold state).
"""

from __future__ import annotations

import ctypes
import inspect
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from mezzo._validate import MAX_CHANNELS, check_audio, check_range, check_sample_rate
from mezzo.errors import AudioInputError, ParameterError
from mezzo.processors.params import ParamSpec


class Processor(ABC):
    """Base class: parameter handling and the streaming/whole-signal contract."""

    PARAMS: ClassVar[tuple[ParamSpec, ...]] = ()
    #: the processor takes an external sidechain key
    accepts_key: ClassVar[bool] = False
    #: the processor needs a key (a ducker)
    requires_key: ClassVar[bool] = False
    #: the processor records a gain trace (dynamics processors)
    has_gain: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "PARAMS" in cls.__dict__ and cls.PARAMS:
            # the parameter table is the signature: inspect.signature(Compressor) lists
            # threshold_db, ratio... with their defaults, so editors and notebooks complete them
            cls.__signature__ = _signature(cls.PARAMS)  # type: ignore[attr-defined]

    def __init__(self, **params: Any) -> None:
        object.__setattr__(self, "_values", {})
        names = [p.name for p in self.PARAMS]
        unknown = [k for k in params if k not in names]
        if unknown:
            raise ParameterError(
                f"{type(self).__name__} got unknown parameter {unknown[0]!r}: expected one of {', '.join(names)}"
            )
        for p in self.PARAMS:
            self._values[p.name] = p.validate(params.get(p.name, p.default))
        self._check_params()
        self._sample_rate: int | None = None
        self._channels: int | None = None
        self._dirty = True
        self._mono = False
        self._key_channels: int | None = None
        self.gain_db: np.ndarray | None = None

    # --- parameters ---------------------------------------------------------------------
    @classmethod
    def param_specs(cls) -> dict[str, ParamSpec]:
        """The parameter table as a dict by name."""
        return {p.name: p for p in cls.PARAMS}

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("_values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        specs = self.param_specs()
        if name in specs:
            old = self._values[name]
            self._values[name] = specs[name].validate(value)
            try:
                self._check_params()
            except ParameterError:
                self._values[name] = old
                raise
            object.__setattr__(self, "_dirty", True)
            return
        object.__setattr__(self, name, value)

    @property
    def parameters(self) -> dict[str, Any]:
        """Current parameter values by name."""
        return dict(self._values)

    def _check_params(self) -> None:  # noqa: B027 - optional hook
        """Cross-parameter checks (override)."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{type(self).__name__}({args})"

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def sample_rate(self) -> int | None:
        """Sample rate fixed by :meth:`prepare`, Hz (``None`` before)."""
        return self._sample_rate

    @property
    def channels(self) -> int | None:
        """Channel count fixed by :meth:`prepare` (``None`` before)."""
        return self._channels

    def prepare(self, sample_rate: int, channels: int, max_block: int | None = None) -> None:
        """Fix the sample rate (Hz) and channel count, and reset the state.

        ``max_block`` is accepted for API symmetry; blocks of any size work.
        """
        self._sample_rate = check_sample_rate(sample_rate)
        self._channels = int(check_range("channels", channels, 1, MAX_CHANNELS))
        if max_block is not None:
            check_range("max_block", max_block, 0, None, "samples")
        self._configure()
        self._dirty = False
        self.reset()

    def reset(self) -> None:
        """Clear the state (as after :meth:`prepare`); parameters are kept."""
        self._key_channels = None
        if self._sample_rate is not None:
            if self._dirty:
                self._configure()
                self._dirty = False
            self._reset_state()

    @property
    def latency_samples(self) -> int:
        """Delay of the output relative to the input, samples (needs the sample rate)."""
        if self._sample_rate is None:
            raise ParameterError(
                f"{type(self).__name__}.latency_samples depends on the sample rate: call prepare(sample_rate, channels) first"
            )
        return self._latency()

    def _latency(self) -> int:
        return 0

    # --- streaming ------------------------------------------------------------------------
    def process(self, block: np.ndarray, key: np.ndarray | None = None, *, return_gain: bool = False) -> Any:
        """Process one block ``(channels, n)`` (or 1-D mono); returns the same shape.

        With ``return_gain=True`` returns ``(block, gain_db)`` where ``gain_db`` has
        shape ``(channels, n)`` (dynamics processors only).
        """
        if self._sample_rate is None:
            raise ParameterError(
                f"{type(self).__name__}.process needs the sample rate: call prepare(sample_rate, channels) first "
                "or use the whole-signal call processor(audio, sample_rate)"
            )
        x, mono = self._check_block(block)
        k = self._check_key(key, x.shape[1])
        if return_gain and not self.has_gain:
            raise ParameterError(f"{type(self).__name__} has no gain trace: call it without return_gain")
        if self._dirty:
            old = self._latency()
            self._configure()
            self._dirty = False
            if self._latency() != old:
                self._reset_state()
        self._mono = mono
        out, gain = self._process(x, k, return_gain)
        out = out[0] if mono else out
        if return_gain:
            return out, gain
        return out

    def flush(self, *, return_gain: bool = False) -> Any:
        """Return the ``latency_samples`` samples still held (the tail), as zeros went in."""
        if self._sample_rate is None:
            raise ParameterError(f"{type(self).__name__}.flush: nothing to flush before prepare()")
        n = self._latency()
        zeros = np.zeros((self._channels, n), dtype=getattr(self, "_dtype", np.float32))
        key = None
        if self.accepts_key and self._key_channels is not None:
            key = np.zeros((self._key_channels, n))
        elif self.requires_key:
            key = np.zeros((1, n))
        out, gain = self._process(zeros, key, return_gain)
        out = out[0] if self._mono else out
        return (out, gain) if return_gain else out

    def _check_block(self, block: Any) -> tuple[np.ndarray, bool]:
        if not isinstance(block, np.ndarray):
            block = np.asarray(block)
        mono = block.ndim == 1
        if (block.ndim == 2 and block.shape[0] != self._channels) or (mono and self._channels != 1):
            hint = ""
            if block.ndim == 2 and block.shape[-1] == self._channels:
                hint = "; it looks like (samples, channels): pass block.T"
            raise AudioInputError(
                f"block has shape {block.shape}: expected ({self._channels}, samples) as prepared{hint}"
            )
        x = check_audio(block, name="block", allow_empty=True)
        self._dtype = x.dtype
        return np.ascontiguousarray(x), mono

    def _check_key(self, key: Any, n: int) -> np.ndarray | None:
        if key is None:
            if self.requires_key:
                raise ParameterError(f"{type(self).__name__} needs a key signal: pass key=... (the sidechain audio)")
            if self._key_channels is not None and self.accepts_key:
                raise ParameterError("key is missing for this block: once a key is given, give it with every block")
            return None
        if not self.accepts_key:
            raise ParameterError(f"{type(self).__name__} takes no key signal: remove key=...")
        k = check_audio(key, name="key", allow_empty=True)
        if k.shape[1] != n:
            raise AudioInputError(f"key has {k.shape[1]} samples but the audio has {n}: give them the same length")
        if self._key_channels is None:
            self._key_channels = k.shape[0]
            self._key_changed()
        elif k.shape[0] != self._key_channels:
            raise AudioInputError(f"key has {k.shape[0]} channels, earlier blocks had {self._key_channels}")
        return np.ascontiguousarray(k, dtype=np.float64)

    def _key_changed(self) -> None:  # noqa: B027 - optional hook
        """Called when the key's channel count becomes known (override)."""

    # --- whole signal ---------------------------------------------------------------------
    def __call__(
        self,
        audio: np.ndarray,
        sample_rate: int,
        *,
        key: np.ndarray | None = None,
        return_gain: bool = False,
    ) -> Any:
        """Process a whole signal: output aligned with the input, same shape and dtype.

        Parameters
        ----------
        audio : ndarray, shape (channels, samples) or (samples,)
            float32 or float64 audio, full scale 1.0.
        sample_rate : int
            Sample rate, Hz.
        key : ndarray, shape (key_channels, samples) or (samples,), optional
            Sidechain key, same rate and length (processors that take one).
        return_gain : bool
            Also return the gain trace in dB, shape ``(channels, samples)``.

        Returns
        -------
        ndarray, or (ndarray, ndarray) with ``return_gain``
        """
        mono = isinstance(audio, np.ndarray) and audio.ndim == 1
        x = check_audio(audio, allow_empty=True)
        sr = check_sample_rate(sample_rate)
        k = None
        if key is not None:
            k = check_audio(key, name="key", allow_empty=True)
            if k.shape[1] != x.shape[1]:
                raise AudioInputError(
                    f"key has {k.shape[1]} samples but the audio has {x.shape[1]}: give them the same length and rate"
                )
        if return_gain and not self.has_gain:
            raise ParameterError(f"{type(self).__name__} has no gain trace: call it without return_gain")
        self.prepare(sr, x.shape[0])
        record = return_gain or self._always_record()
        out, gain = self.process(x, k, return_gain=True) if record else (self.process(x, k), None)
        lat = self._latency()
        if lat:
            if record:
                tail, tail_gain = self.flush(return_gain=True)
                gain = _drop_latency(gain, tail_gain, lat, x)
            else:
                tail = self.flush()
            out = _drop_latency(out, tail, lat, x)
        self.gain_db = gain
        if mono:
            out = out[0]
        return (out, gain) if return_gain else out

    def _always_record(self) -> bool:
        return False

    # --- to implement -------------------------------------------------------------------
    def _configure(self) -> None:  # noqa: B027 - optional hook
        """Compute coefficients from the parameters and the sample rate (override)."""

    @abstractmethod
    def _reset_state(self) -> None:
        """Allocate/zero the state arrays."""

    @abstractmethod
    def _process(self, x: np.ndarray, key: np.ndarray | None, record: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Process a checked 2-D block; return ``(out, gain_db or None)``."""


def _drop_latency(out: np.ndarray, tail: np.ndarray, lat: int, source: np.ndarray) -> np.ndarray:
    """``concatenate([out, tail], axis=1)[:, lat:]``, in place in ``out`` when it can be.

    A whole-signal call would otherwise allocate and fill a second array the size
    of the signal (on long signals, fresh memory costs as much as a fast kernel).
    ``out`` is shifted left by ``lat`` samples row by row (``memmove`` copes with
    the overlap) and the tail fills its end; an ``out`` that shares memory with
    the input, or that is not C-contiguous, gets the copying form.
    """
    n = out.shape[1]
    if n <= lat or not out.flags.c_contiguous or np.may_share_memory(out, source):
        return np.concatenate([out, tail], axis=1)[:, lat:]
    nbytes = (n - lat) * out.itemsize
    for row in out:
        ctypes.memmove(row.ctypes.data, row.ctypes.data + lat * out.itemsize, nbytes)
    out[:, n - lat :] = tail[:, :lat]
    return out


def one_call_signature(cls: type[Processor], *, key: bool) -> inspect.Signature:
    """The signature of a processor's one-call function (``compress(audio, sample_rate, *,
    key=None, threshold_db=..., ...)``): the audio arguments, then the class's parameters."""
    head = [
        inspect.Parameter("audio", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=np.ndarray),
        inspect.Parameter("sample_rate", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=int),
    ]
    if key:
        head.append(
            inspect.Parameter("key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=np.ndarray | None)
        )
    params = list(_signature(cls.PARAMS).parameters.values())
    return inspect.Signature(head + params, return_annotation=np.ndarray)


def _signature(params: tuple[ParamSpec, ...]) -> inspect.Signature:
    """Keyword-only parameters with the table's defaults and the type of each default."""
    out = []
    for p in params:
        kind = type(p.default)
        annotation: Any = float if kind is int and p.unit else kind
        if p.special:  # e.g. makeup_db: a number or "auto"
            annotation = float | str if any(isinstance(v, str) for v in p.special) else Any
        elif p.default is None:
            annotation = str | None if p.choices else float | None
        out.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default, annotation=annotation))
    return inspect.Signature(out)

"""Optional parts of mezzo (``pip install 'mezzo[extra]'``) and the one-line message when one is missing.

The core install (meter, processors, mastering) needs none of them:

- ``plot``: matplotlib, for the plots and the HTML report (``--plot``, ``mezzo report``,
  ``mezzo demo``, :mod:`mezzo.report.plots`);
- ``batch``: Dask (``dask[distributed]``) for ``mezzo batch --scheduler`` and ``scheduler=...``;
- ``studio``: the web studio's server and plots (``mezzo studio``);
- ``tempo``: nothing beyond the core since the tempo tracker became mezzo's own (it needed
  librosa, and with it scikit-learn); kept so ``pip install 'mezzo[tempo]'`` works as documented.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mezzo.errors import MissingExtraError


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra that provides it.

    Examples
    --------
    >>> require("math", "batch", "--scheduler").__name__
    'math'
    >>> require("no_such_module_here", "batch", "--scheduler")
    Traceback (most recent call last):
    ...
    mezzo.errors.MissingExtraError: --scheduler needs mezzo's 'batch' extra (no_such_module_here is not installed): pip install 'mezzo[batch]'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{feature} needs mezzo's {extra!r} extra ({module} is not installed): pip install 'mezzo[{extra}]'"
        ) from None

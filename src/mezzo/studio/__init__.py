"""mezzo studio: a local web app where a producer sees, hears and fixes the dynamics of a track.

``mezzo studio [FILE_OR_DIR...]`` (:func:`mezzo.studio.server.serve`) starts an ASGI app
(:mod:`mezzo.studio.app`, Starlette on uvicorn) over the same Python API the CLI uses.
Long work runs in worker processes (:mod:`mezzo.studio.jobs`, :mod:`mezzo.studio.tasks`);
every processed file is a new version in the studio's work folder
(:mod:`mezzo.studio.storage`). The page and its assets ship inside the package and the
charts' library (Plotly) inside the ``plotly`` package: nothing is loaded from the
network. The HTTP API is documented in ``docs/studio.md``.

Needs the ``studio`` extra: ``pip install 'mezzo[studio]'``.
"""

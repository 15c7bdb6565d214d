"""The studio's ASGI app (Starlette): the page, its assets and the HTTP API it uses.

Security, in the order a request meets it (:class:`Gate`):

1. **Host**: a studio bound to a loopback address answers only requests addressed to
   a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``), so a web page whose
   domain is re-pointed at 127.0.0.1 (DNS rebinding) gets 400.
2. **Token**: every request needs the session's token — the ``mezzo_studio_<port>``
   cookie (HttpOnly, SameSite=Strict), set when the page is opened with
   ``/?token=...`` (the URL printed by ``mezzo studio``), or ``Authorization: Bearer``.
   Otherwise ``/api/...`` answers 401 JSON and the page a short explanation.
3. **Files**: paths are built only from ids and fixed names in the work folder, never
   from request text (:mod:`mezzo.studio.storage`); static assets come from a fixed list.
4. **Uploads**: refused with 413 when larger than the limit (from ``Content-Length``
   before reading, and counted while reading), and checked as audio (header and first
   block decoded) before they become a track; not audio is 415.
5. **Errors**: every error is JSON ``{"error": "..."}`` with a 4xx status (5xx only for
   a bug, still JSON, the traceback only in the terminal); a client that disconnects
   mid-upload or mid-download costs nothing but its scratch file, which is removed.
"""

from __future__ import annotations

import hmac
import importlib.resources
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import sys
import traceback
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mezzo.errors import AudioFileError, ParameterError
from mezzo.studio.jobs import FINAL_STATES, Job
from mezzo.studio.service import COMPRESSOR_USES, Studio
from mezzo.studio.storage import BROWSER_PLAYABLE, NotFound

__all__ = ["Gate", "create_app"]

#: Default largest upload, bytes (a 10-minute 96 kHz 24-bit stereo WAV is 350 MB).
DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
#: Largest JSON request body, bytes.
MAX_JSON_BYTES = 64 * 1024
#: Longest a GET of an analysis waits for it to be ready, s (then 202 with the job).
ANALYSIS_WAIT_S = 600.0
_POLL_S = 0.1

_MEDIA_TYPES = {
    "wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
    "mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "aif": "audio/aiff", "aiff": "audio/aiff",
    "aifc": "audio/aiff", "w64": "application/octet-stream", "caf": "audio/x-caf", "wv": "audio/x-wavpack",
    "wma": "audio/x-ms-wma",
}  # fmt: skip

_STATIC = {
    "studio.js": "text/javascript; charset=utf-8",
    "studio.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_RANGE = re.compile(r"bytes=\s*(\d*)\s*-\s*(\d*)\s*")
_NOT_AUTHORISED_PAGE = """<!doctype html><meta charset="utf-8"><title>mezzo studio</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto;line-height:1.5">
<h1>mezzo studio</h1><p>This page needs the session's token. Open the address that
<code>mezzo studio</code> printed in the terminal where you started it
(it ends in <code>?token=…</code>).</p></body>"""


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error response ``{"error": message}``."""
    return JSONResponse({"error": message, **extra}, status_code=status, headers={"Cache-Control": "no-store"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback."""
    name = host.strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The host name of a ``Host`` header, without the port."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Gate:
    """ASGI middleware: Host check, session token, security headers (see the module docstring).

    Parameters
    ----------
    app : ASGI app
    token : str
        The session token.
    cookie_name : str
        Cookie that carries the token (one per port, so two studios do not clash).
    loopback_only : bool
        Refuse requests whose ``Host`` is not a loopback name.
    """

    def __init__(self, app: ASGIApp, *, token: str, cookie_name: str, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.cookie_name = cookie_name
        self.loopback_only = loopback_only

    def _valid(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(str(candidate).encode(), self.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # the studio has none: refuse before anything else
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        if self.loopback_only and not is_loopback(_host_name(headers.get("host", ""))):
            response: Response = error(400, "this studio answers only at 127.0.0.1 or localhost — open the "
                                            "address mezzo studio printed")  # fmt: skip
            await response(scope, receive, send_secured)
            return
        path = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if path == "/" and "token" in query:
            if self._valid(query["token"][0]):
                response = RedirectResponse("/", status_code=303)
                response.set_cookie(self.cookie_name, self.token, httponly=True, samesite="strict", path="/")
            else:
                response = HTMLResponse(_NOT_AUTHORISED_PAGE, status_code=401)
            await response(scope, receive, send_secured)
            return
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            cookie = SimpleCookie()
        from_cookie = cookie[self.cookie_name].value if self.cookie_name in cookie else None
        if not (self._valid(bearer) or self._valid(from_cookie)):
            if path.startswith("/api"):
                response = error(401, "missing or wrong session token: open the studio with the address mezzo "
                                      "studio printed, or send 'Authorization: Bearer TOKEN'")  # fmt: skip
            else:
                response = HTMLResponse(_NOT_AUTHORISED_PAGE, status_code=401)
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


class UploadTooLarge(Exception):
    """The request body passed the upload limit."""


class _LimitedReceive:
    """Pass ASGI messages through, raising :class:`UploadTooLarge` past ``limit`` body bytes."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.seen = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise UploadTooLarge
        return message


def _plotly_js() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def create_app(studio: Studio, *, token: str, cookie_name: str = "mezzo_studio", loopback_only: bool = True,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> ASGIApp:  # fmt: skip
    """Build the studio's ASGI app around a :class:`~mezzo.studio.service.Studio`.

    Parameters
    ----------
    studio : Studio
    token : str
        The session token every request must carry.
    cookie_name : str
        Cookie that carries the token.
    loopback_only : bool
        Answer only requests addressed to a loopback name.
    max_upload_bytes : int
        Largest request body accepted by the upload endpoints.
    """
    static = importlib.resources.files("mezzo.studio") / "static"
    plotly_js = _plotly_js()
    space = studio.workspace
    loudness_of: dict[str, float | None] = {}

    # ------------------------------------------------------------------ helpers

    async def body_json(request: Request) -> Any:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_JSON_BYTES:
            raise ParameterError(f"the request body is larger than {MAX_JSON_BYTES // 1024} kB: send a small JSON object")
        limited = Request(request.scope, _LimitedReceive(request.receive, MAX_JSON_BYTES))
        try:
            raw = await limited.body()
        except UploadTooLarge:
            raise ParameterError(f"the request body is larger than {MAX_JSON_BYTES // 1024} kB: send a small JSON "
                                 "object") from None  # fmt: skip
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ParameterError(f"the request body is not valid JSON ({exc})") from None

    def track_json(track: Any) -> dict[str, Any]:
        out = track.to_dict()
        job = studio.analysis_job(track.id)
        try:
            analysis = space.track_file(track.id, "analysis.json")
        except NotFound as exc:  # tampered with: listed, never read
            return {**out, "analysis_state": "unavailable", "analysis_error": str(exc), "integrated_lufs": None,
                    "analysis_job_id": None}  # fmt: skip
        if analysis is not None:
            out["analysis_state"] = "done"
            if track.id not in loudness_of:  # read once: a finished analysis never changes
                loudness_of[track.id] = json.loads(analysis.read_bytes()).get("integrated_lufs")
            out["integrated_lufs"] = loudness_of[track.id]
        else:
            out["analysis_state"] = job.state if job else "missing"
            out["analysis_error"] = job.error if job else None
            out["integrated_lufs"] = None
        out["analysis_job_id"] = job.id if job else None
        return out

    async def wait_for(job: Job | None, request: Request, seconds: float) -> None:
        import anyio

        waited = 0.0
        while job is not None and job.state not in FINAL_STATES and waited < seconds:
            if await request.is_disconnected():
                return
            await anyio.sleep(_POLL_S)
            waited += _POLL_S

    def wait_seconds(request: Request) -> float:
        value = request.query_params.get("wait")
        if value is None:
            return ANALYSIS_WAIT_S
        try:
            seconds = float(value)
        except ValueError:
            raise ParameterError(f"wait={value!r} is not a number of seconds") from None
        if not 0.0 <= seconds <= ANALYSIS_WAIT_S:
            raise ParameterError(f"wait={value!r} is out of range: expected 0 to {ANALYSIS_WAIT_S:g} s")
        return seconds

    async def track_result(request: Request, name: str) -> Response:
        track_id = request.path_params["track_id"]
        space.track(track_id)
        seconds = wait_seconds(request)
        path = space.track_file(track_id, name)
        if path is None:
            job = studio.analysis_job(track_id) or studio.analyse(track_id)
            await wait_for(job, request, seconds)
            path = space.track_file(track_id, name)
            if path is None:
                if job.state == "failed":
                    return error(422, f"the analysis failed: {job.error}", job_id=job.id)
                if job.state == "cancelled":
                    return error(409, "the analysis was cancelled — GET again to restart it", job_id=job.id)
                return JSONResponse({"job_id": job.id, "state": job.state, "progress": job.progress}, status_code=202,
                                    headers={"Retry-After": "1", "Cache-Control": "no-store"})  # fmt: skip
        return Response(path.read_bytes(), media_type="application/json", headers={"Cache-Control": "no-store"})

    async def receive_files(request: Request, scratch: Path) -> list[tuple[str, str]] | Response:
        """Save the uploaded files of a multipart request into ``scratch``: ``[(path, name)]``."""
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            return error(415, "upload audio files as multipart/form-data (e.g. curl -F file=@song.wav)")
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return error(400, f"Content-Length {length!r} is not a number")
            if int(length) > max_upload_bytes:
                return error(413, f"the upload is {int(length) / 1e6:.0f} MB; the studio takes at most "
                                  f"{max_upload_bytes / 1e6:.0f} MB (mezzo studio --max-upload-mb)")  # fmt: skip
        limited = Request(request.scope, _LimitedReceive(request.receive, max_upload_bytes))
        try:
            form = await limited.form(max_files=64, max_fields=16)
        except UploadTooLarge:
            return error(413, f"the upload is larger than the studio takes ({max_upload_bytes / 1e6:.0f} MB; "
                              "mezzo studio --max-upload-mb)")  # fmt: skip
        saved = []
        try:
            uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            if not uploads:
                return error(400, "no file in the upload: send the audio as a file field (e.g. -F file=@song.wav)")
            for index, upload in enumerate(uploads):
                target = scratch / str(index)
                await run_in_threadpool(_copy_upload, upload, target)
                saved.append((str(target), upload.filename or f"upload-{index + 1}"))
        finally:
            await form.close()
        for path, name in saved:
            try:
                await run_in_threadpool(_check_audio, path)
            except AudioFileError as exc:
                return error(415, f"{name!r} is not audio mezzo can read: "
                                  f"{_without_path(str(exc), path)}")  # fmt: skip
        return saved

    # ------------------------------------------------------------------ page

    async def page(request: Request) -> Response:
        html = (static / "index.html").read_text("utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "plotly.min.js" and plotly_js is not None:
            return FileResponse(plotly_js, media_type="text/javascript; charset=utf-8",
                                headers={"Cache-Control": "private, max-age=86400"})  # fmt: skip
        if name not in _STATIC:
            return error(404, f"no asset {name!r}")
        data = (static / name).read_bytes()
        return Response(data, media_type=_STATIC[name], headers={"Cache-Control": "no-cache"})

    # ------------------------------------------------------------------ session

    async def session(request: Request) -> Response:
        from mezzo import __version__
        from mezzo.mastering.presets import PRESETS
        from mezzo.processors.params import LEVELER_PARAMS

        leveler = {p.name: p for p in LEVELER_PARAMS}["target_lufs"]
        return JSONResponse({
            "version": __version__,
            "presets": [p.to_dict() for p in PRESETS.values()],
            "compressor_presets": [{"name": k, "use": v} for k, v in COMPRESSOR_USES.items()],
            "leveler": {"target_lufs": leveler.default, "lo": leveler.lo, "hi": leveler.hi},
            "max_upload_bytes": max_upload_bytes,
            "workers": studio.runner.workers,
            "opened": studio.opened,
        }, headers={"Cache-Control": "no-store"})  # fmt: skip

    # ------------------------------------------------------------------ tracks

    async def list_tracks(request: Request) -> Response:
        return JSONResponse({"tracks": [track_json(t) for t in space.tracks()]}, headers={"Cache-Control": "no-store"})

    async def uploaded(request: Request, store: Any) -> Response:
        """Receive the files of an upload into a scratch folder, then ``await store(saved)``; the folder
        is removed whatever happens (a refused upload, a client that went away)."""
        scratch = space.scratch("upload")
        try:
            saved = await receive_files(request, scratch)
            return saved if isinstance(saved, Response) else await store(saved)
        except ClientDisconnect:
            return error(400, "the client went away during the upload")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    async def upload_tracks(request: Request) -> Response:
        async def store(saved: list[tuple[str, str]]) -> Response:
            tracks = [await run_in_threadpool(studio.add_track, path, name, move=True, made_by="uploaded")
                      for path, name in saved]  # fmt: skip
            return JSONResponse({"tracks": [track_json(t) for t in tracks]}, status_code=201)

        return await uploaded(request, store)

    async def get_track(request: Request) -> Response:
        return JSONResponse(track_json(space.track(request.path_params["track_id"])), headers={"Cache-Control": "no-store"})

    async def delete_track(request: Request) -> Response:
        deleted = await run_in_threadpool(studio.delete_track, request.path_params["track_id"])
        return JSONResponse({"deleted": deleted})

    async def analysis(request: Request) -> Response:
        return await track_result(request, "analysis.json")

    async def timeline(request: Request) -> Response:
        return await track_result(request, "timeline.json")

    async def advice(request: Request) -> Response:
        track_id = request.path_params["track_id"]
        seconds = wait_seconds(request)
        result = studio.advice(track_id, request.query_params.get("preset"))
        if result is None:
            job = studio.analysis_job(track_id) or studio.analyse(track_id)
            await wait_for(job, request, seconds)
            result = studio.advice(track_id, request.query_params.get("preset"))
            if result is None:
                return error(409, f"the track is not analysed yet ({job.state})", job_id=job.id)
        return JSONResponse({"advice": result}, headers={"Cache-Control": "no-store"})

    async def audio(request: Request) -> Response:
        track = space.track(request.path_params["track_id"])
        path = space.audio_path(track.id)
        ext = track.extension
        if ext not in BROWSER_PLAYABLE:
            preview = space.track_file(track.id, "preview.wav")
            if preview is None:
                return error(409, f"the browser cannot play {ext.upper()}; a WAV preview is made with the analysis — "
                                  "GET /api/tracks/{id}/analysis first")  # fmt: skip
            path, ext = preview, "wav"
        return ranged_file(request, path, _MEDIA_TYPES.get(ext, "application/octet-stream"))

    async def download(request: Request) -> Response:
        track = space.track(request.path_params["track_id"])
        path = space.audio_path(track.id)
        return ranged_file(request, path, _MEDIA_TYPES.get(track.extension, "application/octet-stream"),
                           filename=studio.download_name(track.id))  # fmt: skip

    def ranged_file(request: Request, path: Path, media_type: str, filename: str | None = None) -> Response:
        size = path.stat().st_size
        checked = _check_range(request.headers.get("range"), size)
        if checked is not None:
            return checked
        return FileResponse(path, media_type=media_type, filename=filename,
                            content_disposition_type="attachment" if filename else "inline",
                            headers={"Cache-Control": "private, no-cache"})  # fmt: skip

    async def master(request: Request) -> Response:
        track_id = request.path_params["track_id"]
        space.track(track_id)
        job = studio.master(track_id, await body_json(request))
        return JSONResponse({"job_id": job.id, "state": job.state}, status_code=202)

    async def shape(request: Request) -> Response:
        track_id = request.path_params["track_id"]
        space.track(track_id)
        job = studio.shape(track_id, await body_json(request))
        return JSONResponse({"job_id": job.id, "state": job.state}, status_code=202)

    # ------------------------------------------------------------------ jobs

    async def list_jobs(request: Request) -> Response:
        return JSONResponse({"jobs": [j.to_dict() for j in studio.runner.jobs()]}, headers={"Cache-Control": "no-store"})

    async def get_job(request: Request) -> Response:
        return JSONResponse(studio.job(request.path_params["job_id"]).to_dict(), headers={"Cache-Control": "no-store"})

    async def cancel_job(request: Request) -> Response:
        job = studio.job(request.path_params["job_id"])
        studio.runner.cancel(job.id)
        return JSONResponse(job.to_dict(), headers={"Cache-Control": "no-store"})

    async def demo(request: Request) -> Response:
        body = await body_json(request)
        if not isinstance(body, dict) or set(body) - {"stems"} or not isinstance(body.get("stems", False), bool):
            raise ParameterError('the body is {"stems": true|false} (or empty for the demo track)')
        job = studio.demo(stems=bool(body.get("stems", False)))
        return JSONResponse({"job_id": job.id, "state": job.state}, status_code=202)

    # ------------------------------------------------------------------ stems

    def stems_json(stem_set: Any) -> dict[str, Any]:
        job = studio.stems_job(stem_set.id)
        done = space.read_stems_result(stem_set.id) is not None
        return {**stem_set.to_dict(), "state": "done" if done else (job.state if job else "missing"),
                "job_id": job.id if job else None, "error": None if done or job is None else job.error}  # fmt: skip

    async def list_stems(request: Request) -> Response:
        return JSONResponse({"stems": [stems_json(s) for s in space.stem_sets()]}, headers={"Cache-Control": "no-store"})

    async def upload_stems(request: Request) -> Response:
        async def store(saved: list[tuple[str, str]]) -> Response:
            if len(saved) < 2:
                return error(400, "send at least two stems: the mix is their sum")
            stem_set = await run_in_threadpool(studio.add_stems, saved, move=True)
            return JSONResponse(stems_json(stem_set), status_code=201)

        return await uploaded(request, store)

    async def get_stems(request: Request) -> Response:
        stem_set = space.stem_set(request.path_params["stems_id"])
        seconds = wait_seconds(request)
        data = space.read_stems_result(stem_set.id)
        if data is None:
            job = studio.stems_job(stem_set.id) or studio.measure_stems(stem_set.id)
            await wait_for(job, request, seconds)
            data = space.read_stems_result(stem_set.id)
            if data is None:
                if job.state == "failed":
                    return error(422, f"measuring the stems failed: {job.error}", job_id=job.id)
                return JSONResponse(stems_json(stem_set), status_code=202, headers={"Retry-After": "1"})
        return JSONResponse({**stems_json(stem_set), "result": json.loads(data)}, headers={"Cache-Control": "no-store"})

    async def delete_stems(request: Request) -> Response:
        stems_id = request.path_params["stems_id"]
        space.stem_set(stems_id)
        job = studio.stems_job(stems_id)
        if job is not None:
            studio.runner.cancel(job.id)
        await run_in_threadpool(space.delete_stems, stems_id)
        return JSONResponse({"deleted": [stems_id]})

    # ------------------------------------------------------------------ errors

    async def not_found(request: Request, exc: Exception) -> Response:
        return error(404, str(exc))

    async def bad_parameter(request: Request, exc: Exception) -> Response:
        return error(400, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        text = {404: "no such page or endpoint", 405: f"method {request.method} is not allowed here"}.get(
            exc.status_code, str(exc.detail))
        return error(exc.status_code, text)

    async def file_error(request: Request, exc: Exception) -> Response:
        return error(422, str(exc))

    async def crash(request: Request, exc: Exception) -> Response:
        traceback.print_exception(exc, file=sys.stderr)
        return error(500, f"the studio hit a bug ({type(exc).__name__}); the terminal shows the details — "
                          "please report it")  # fmt: skip

    T = "/api/tracks/{track_id}"
    routes = [
        Route("/", page),
        Route("/static/{name}", asset),
        Route("/api/session", session),
        Route("/api/tracks", list_tracks, methods=["GET"]),
        Route("/api/tracks", upload_tracks, methods=["POST"]),
        Route(T, get_track, methods=["GET"]),
        Route(T, delete_track, methods=["DELETE"]),
        Route(T + "/analysis", analysis),
        Route(T + "/timeline", timeline),
        Route(T + "/advice", advice),
        Route(T + "/audio", audio),
        Route(T + "/download", download),
        Route(T + "/master", master, methods=["POST"]),
        Route(T + "/shape", shape, methods=["POST"]),
        Route("/api/jobs", list_jobs),
        Route("/api/jobs/{job_id}", get_job),
        Route("/api/jobs/{job_id}/cancel", cancel_job, methods=["POST"]),
        Route("/api/demo", demo, methods=["POST"]),
        Route("/api/stems", list_stems, methods=["GET"]),
        Route("/api/stems", upload_stems, methods=["POST"]),
        Route("/api/stems/{stems_id}", get_stems, methods=["GET"]),
        Route("/api/stems/{stems_id}", delete_stems, methods=["DELETE"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            NotFound: not_found,
            ParameterError: bad_parameter,
            AudioFileError: file_error,
            HTTPException: http_error,
            Exception: crash,
        },
    )
    return Gate(app, token=token, cookie_name=cookie_name, loopback_only=loopback_only)


def _copy_upload(upload: UploadFile, target: Path) -> None:
    upload.file.seek(0)
    with open(target, "xb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)


def _check_audio(path: str) -> None:
    from mezzo.studio.storage import check_audio

    check_audio(path)


def _without_path(message: str, path: str) -> str:
    """An io error message without the scratch path it starts with."""
    for form in (repr(path), repr(os.fspath(path))):
        if message.startswith(form + ": "):
            return message[len(form) + 2 :]
    return message.replace(path, "the file")


def _check_range(header: str | None, size: int) -> Response | None:
    """A JSON 400/416 for a ``Range`` header that is malformed or cannot be satisfied, else None.

    The ranges themselves are then served by Starlette's ``FileResponse``.
    """
    if header is None:
        return None
    if not header.strip().lower().startswith("bytes="):
        return error(400, f"Range {header!r} is malformed: expected bytes=START-END")
    satisfiable = False
    for part in header.strip()[6:].split(","):
        match = _RANGE.fullmatch("bytes=" + part.strip())
        if match is None or (match[1] == "" and match[2] == ""):
            return error(400, f"Range {header!r} is malformed: expected bytes=START-END")
        start, end = match[1], match[2]
        if start and end and int(end) < int(start):
            return error(400, f"Range {header!r} is malformed: the end is before the start")
        if (start and int(start) < size) or (not start and int(end) > 0):
            satisfiable = True
    if not satisfiable:
        response = error(416, f"Range {header!r} is outside the file ({size} bytes)")
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    return None

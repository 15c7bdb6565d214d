"""Fixtures of the studio tests: test audio, a running ``mezzo studio`` and an HTTP client for it.

The server is the real command (``python -m mezzo.cli.app studio ... --port 0``) in a
subprocess, started once per session; its first line gives the URL with the token.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile as sf

#: Upload limit of the test server, MB (small, so the limit can be tested cheaply).
MAX_UPLOAD_MB = 8
#: Length of the test song: the demo track up to 15 s after its drop, s.
SONG_S = 45


@dataclass
class Reply:
    """An HTTP response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert "application/json" in self.headers.get("content-type", ""), (self.status, self.headers, self.body[:200])
        return json.loads(self.body)


def multipart(files: list[tuple[str, bytes]], field_name: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body with the given ``(file name, bytes)``; returns body and content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class Studio:
    """A running studio: its address, token, work folder and process."""

    url: str
    work: Path
    proc: subprocess.Popen[bytes]
    log: Path
    host: str = field(init=False)
    port: int = field(init=False)
    token: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "", parts.port or 0
        self.token = parts.query.split("token=", 1)[1]

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                auth: bool = True, timeout: float = 120.0) -> Reply:  # fmt: skip
        """Send one request (the path goes out exactly as given: nothing is normalised)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        all_headers = dict(headers or {})
        if auth:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, payload: Any, **kw: Any) -> Reply:
        return self.request("POST", path, body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, **kw)

    def upload(self, path: str, files: list[tuple[str, bytes]], **kw: Any) -> Reply:
        body, content_type = multipart(files)
        return self.request("POST", path, body=body, headers={"Content-Type": content_type}, **kw)

    def wait_job(self, job_id: str, timeout_s: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.get(f"/api/jobs/{job_id}").json()
            if job["state"] in ("done", "failed", "cancelled"):
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['state']} after {timeout_s} s"
            time.sleep(0.1)

    def tracks(self) -> list[dict[str, Any]]:
        return self.get("/api/tracks").json()["tracks"]

    def scratch_entries(self) -> list[str]:
        return sorted(os.listdir(self.work / "scratch"))


def tone_wav(seconds: float = 2.0, *, sample_rate: int = 48000, level_dbfs: float = -20.0, subtype: str = "PCM_16") -> bytes:
    """A stereo 1 kHz tone with a little noise, as WAV bytes (made with numpy and soundfile only)."""
    import io

    t = np.arange(round(seconds * sample_rate)) / sample_rate
    rng = np.random.default_rng(7)
    x = 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1000 * t) + 0.001 * rng.standard_normal(t.size)
    buf = io.BytesIO()
    sf.write(buf, np.stack([x, 0.8 * x]).T, sample_rate, format="WAV", subtype=subtype)
    return buf.getvalue()


@pytest.fixture(scope="session")
def studio_audio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``song.wav``: the first 45 s of the demo track (intro, build-up, drop), 24-bit; ``tone.wav``: 2 s of tone."""
    import mezzo.demo

    folder = tmp_path_factory.mktemp("studio-audio")
    audio, rate = mezzo.demo.track()
    sf.write(folder / "song.wav", audio[:, : SONG_S * rate].T, rate, subtype="PCM_24")
    (folder / "tone.wav").write_bytes(tone_wav())
    return {"song": folder / "song.wav", "tone": folder / "tone.wav"}


def start_studio(args: list[str], work: Path, log: Path, *, timeout_s: float = 60.0,
                 browser: str | None = None) -> Studio:  # fmt: skip
    """Start ``mezzo studio ARGS --no-browser --port 0 --work-dir WORK`` and wait for its URL.

    With ``browser`` (a command line for Python's ``webbrowser``, ``%s`` for the URL), without
    ``--no-browser`` and with ``$BROWSER`` set to it.
    """
    out = open(log, "wb")  # noqa: SIM115 - closed when the process is stopped
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if browser is not None:
        env["BROWSER"] = browser
    proc = subprocess.Popen(
        [sys.executable, "-m", "mezzo.cli.app", "studio", *args, *([] if browser else ["--no-browser"]),
         "--port", "0", "--work-dir", str(work)],
        stdout=subprocess.PIPE, stderr=out, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline().decode()
        if line.startswith("mezzo studio: "):
            return Studio(line.split(": ", 1)[1].strip(), work, proc, log)
        if not line and proc.poll() is not None:
            raise AssertionError(f"mezzo studio exited with {proc.returncode}: {log.read_text()}")
        assert time.monotonic() < deadline, "mezzo studio printed no URL"


def stop_studio(studio: Studio) -> int:
    """Ctrl-C the studio (if it still runs); return its exit code."""
    if studio.proc.poll() is None:
        studio.proc.send_signal(signal.SIGINT)
    try:
        return studio.proc.wait(30)
    finally:
        if studio.proc.poll() is None:
            studio.proc.kill()
            studio.proc.wait()


@pytest.fixture(scope="session")
def studio(studio_audio: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Studio:
    """A running studio that opened ``song.wav`` (upload limit :data:`MAX_UPLOAD_MB`)."""
    folder = tmp_path_factory.mktemp("studio")
    running = start_studio([str(studio_audio["song"]), "--max-upload-mb", str(MAX_UPLOAD_MB)], folder / "work",
                           folder / "studio.log")  # fmt: skip
    yield running
    stop_studio(running)


@pytest.fixture(scope="session")
def song_id(studio: Studio) -> str:
    """Id of the track the studio opened from the command line (its analysis done)."""
    first = studio.tracks()[0]
    assert first["name"] == "song.wav" and first["parent_id"] is None
    reply = studio.get(f"/api/tracks/{first['id']}/analysis")
    assert reply.status == 200, reply.body
    return first["id"]
